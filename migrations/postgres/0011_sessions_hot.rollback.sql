ALTER TABLE sessions RESET (fillfactor);
CREATE INDEX idx_sessions_updated ON sessions (app_name, user_id, updated_at DESC, session_id DESC);
