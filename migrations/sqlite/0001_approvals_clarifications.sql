-- Human-in-the-loop approvals and clarifying questions.
-- Timestamps are canonical UTC text (2026-11-25T13:24:15.123456Z), declared TIMESTAMP.

CREATE TABLE approvals (
    id             TEXT PRIMARY KEY,
    thread_id      TEXT NOT NULL,
    run_id         TEXT NOT NULL,
    tenant_id      TEXT NOT NULL DEFAULT '',
    tool_name      TEXT NOT NULL,
    args           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP,
    resolved_at    TIMESTAMP,
    resolved_by    TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL DEFAULT '',
    feedback       TEXT NOT NULL DEFAULT '',
    sender_context TEXT NOT NULL DEFAULT '',
    question       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_approvals_thread ON approvals (thread_id, created_at);
CREATE INDEX idx_approvals_tenant ON approvals (tenant_id, created_at);
CREATE INDEX idx_approvals_status ON approvals (status, created_at);
CREATE INDEX idx_approvals_expires ON approvals (expires_at) WHERE status = 'pending';

CREATE TABLE clarifications (
    id             TEXT PRIMARY KEY,
    question       TEXT NOT NULL,
    context        TEXT NOT NULL DEFAULT '',
    answer         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'answered', 'expired')),
    sender_context TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    answered_at    TIMESTAMP
);
CREATE INDEX idx_clarifications_status ON clarifications (status, created_at);
