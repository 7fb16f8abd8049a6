DROP TABLE session_summaries;
DROP TABLE user_states;
DROP TABLE app_states;
DROP TABLE session_states;
DROP TABLE session_events;
DROP TABLE sessions;
