DROP TABLE checkpoint_writes;
DROP TABLE checkpoints;
