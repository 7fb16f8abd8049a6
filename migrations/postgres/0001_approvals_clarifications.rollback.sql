DROP TABLE clarifications;
DROP TABLE approvals;
