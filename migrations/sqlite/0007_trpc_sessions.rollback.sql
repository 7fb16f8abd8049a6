DROP TABLE trpc_memory_events;
DROP TABLE trpc_historical_events;
DROP TABLE trpc_sessions;
