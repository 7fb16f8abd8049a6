DROP TABLE adk_memory_entries;
