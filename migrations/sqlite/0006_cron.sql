-- Scheduled tasks (id derived from the name) and their run history (kept when a task goes).
-- cron_history.scheduled_for is the slot a claimed run was due at (NULL for a manual run).
-- depends: 0005_short_memories

CREATE TABLE cron_tasks (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    expression        TEXT NOT NULL,
    action            TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    source            TEXT NOT NULL DEFAULT 'config' CHECK (source IN ('config', 'tool')),
    last_triggered_at TIMESTAMP,
    next_run_at       TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX idx_cron_tasks_name ON cron_tasks (name);
CREATE INDEX idx_cron_tasks_next_run ON cron_tasks (next_run_at, id) WHERE enabled;

CREATE TABLE cron_history (
    id          TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL,
    task_name   TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    scheduled_for TIMESTAMP,
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'failed')),
    error       TEXT NOT NULL DEFAULT '',
    run_id      TEXT NOT NULL DEFAULT '',
    worker_id   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_cron_history_task ON cron_history (task_id, started_at);
CREATE INDEX idx_cron_history_status ON cron_history (status, started_at);
CREATE INDEX idx_cron_history_started ON cron_history (started_at);
