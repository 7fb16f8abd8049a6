-- name: create_table :exec
CREATE TABLE scratch (
    id INTEGER PRIMARY KEY, t TEXT, b BLOB, i INTEGER, f REAL, ts TIMESTAMP, flag BOOLEAN,
    UNIQUE (t)
);

-- name: insert :exec
INSERT INTO scratch (id, t, b, i, f, ts, flag) VALUES (:id, :t, :b, :i, :f, :ts, :flag);

-- name: insert_many :batch
INSERT INTO scratch (id, t) VALUES (:id, :t);

-- name: get :one
SELECT * FROM scratch WHERE id = :id;

-- name: find :opt
SELECT * FROM scratch WHERE id = :id;

-- name: list :many
SELECT * FROM scratch ORDER BY id;

-- name: count :scalar
SELECT count(*) FROM scratch;

-- name: all_ids :many
SELECT id FROM scratch;

-- name: delete_all :exec
DELETE FROM scratch;
