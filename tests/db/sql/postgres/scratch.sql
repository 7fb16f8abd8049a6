-- name: create_table :exec
CREATE TABLE scratch (
    id BIGINT PRIMARY KEY, t TEXT, b BYTEA, i BIGINT, f DOUBLE PRECISION, ts TIMESTAMPTZ,
    flag BOOLEAN, UNIQUE (t)
);

-- name: insert :exec
INSERT INTO scratch (id, t, b, i, f, ts, flag) VALUES (%(id)s, %(t)s, %(b)s, %(i)s, %(f)s, %(ts)s, %(flag)s);

-- name: insert_many :batch
INSERT INTO scratch (id, t) VALUES (%(id)s, %(t)s);

-- name: get :one
SELECT * FROM scratch WHERE id = %(id)s;

-- name: find :opt
SELECT * FROM scratch WHERE id = %(id)s;

-- name: list :many
SELECT * FROM scratch ORDER BY id;

-- name: count :scalar
SELECT count(*) FROM scratch;

-- name: all_ids :many
SELECT id FROM scratch;

-- name: delete_all :exec
DELETE FROM scratch;
