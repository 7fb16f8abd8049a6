DROP TABLE cron_history;
DROP TABLE cron_tasks;
