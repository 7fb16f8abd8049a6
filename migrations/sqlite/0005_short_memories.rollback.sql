DROP TABLE short_memories;
