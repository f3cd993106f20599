#!/bin/bash
# Build a big SQLite database for the report benchmark: RUNS runs (default
# 1,000,000) and about 10 package rows per run, in our schema (created by
# `xalt db init`), generated inside SQLite with recursive CTEs: no JSON, no
# ingest, about a minute on a 2-core machine.
#
# usage: bench/gen-bigdb.sh XALT DBFILE [RUNS]
#
# Shape: 1000 users with a skewed share of runs (uniform^3), 64 hosts on two
# clusters, 600 package names (500 python, 100 R) picked with a skew
# (uniform^2.5: the head is imported by most runs, a long tail), 2 versions
# each, import times of a few ms. Picks repeated within a run are dropped
# (a run lists each package once), so the row count is printed at the end.
set -eu
xalt=$1 db=$2 runs=${3:-1000000}
rm -f "$db" "$db-wal" "$db-shm"
"$xalt" db init --db "$db" >/dev/null
sqlite3 -batch "$db" <<EOF
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = FILE;
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 999)
INSERT INTO users (id, name) SELECT x + 1, printf('user%04d', x) FROM c;
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 63)
INSERT INTO hosts (id, syshost, host) SELECT x + 1, CASE WHEN x < 48 THEN 'frontera' ELSE 'stampede' END,
	printf('c%03d', x) FROM c;
INSERT INTO executables (id, path, size, mtime, inode, sha1, program) VALUES
	(1, '/usr/bin/python3.11', 1, 1, 1, '', 'python'), (2, '/usr/lib/R/bin/exec/R', 1, 1, 2, '', 'R');
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 599)
INSERT INTO package_names (id, program, name) SELECT x + 1, CASE WHEN x < 500 THEN 'python' ELSE 'R' END,
	printf(CASE WHEN x < 500 THEN 'pypkg%03d' ELSE 'rpkg%03d' END, x) FROM c;
INSERT INTO packages (id, name_id, version, path)
	SELECT 2 * id - 1, id, '1.0', '/p/' || name FROM package_names
	UNION ALL SELECT 2 * id, id, '2.0', '/p/' || name FROM package_names;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $runs)
INSERT INTO runs (id, uuid, user_id, host_id, exec_id, start_time, run_time, interp_program,
		  interp_kind, origin, ingested_at)
	SELECT x, printf('%08x-0000-4000-8000-%012x', x, x),
	       1 + CAST(pow((abs(random()) % 1000000) / 1e6, 3) * 1000 AS INTEGER),
	       1 + abs(random()) % 64, 1 + (x % 5 = 0), 1764000000 + x * 2.5, 10.0,
	       CASE WHEN x % 5 = 0 THEN 'R' ELSE 'python' END,
	       CASE abs(random()) % 4 WHEN 0 THEN 'system' WHEN 1 THEN 'venv' ELSE 'conda' END,
	       'bench', 0 FROM c;
CREATE TEMP TABLE picks (name_id INTEGER, user_id INTEGER, run_id INTEGER, package_id INTEGER, import_us INTEGER);
WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 10)
INSERT INTO picks
	SELECT n, user_id, id, 2 * n - abs(random()) % 2, 1000 + abs(random()) % 20000 FROM (
		SELECT r.id, r.user_id,
		       CASE WHEN r.exec_id = 2 THEN 501 + CAST(pow((abs(random()) % 1000000) / 1e6, 2.5) * 100 AS INTEGER)
			    ELSE 1 + CAST(pow((abs(random()) % 1000000) / 1e6, 2.5) * 500 AS INTEGER) END AS n
		FROM runs r, k);
INSERT OR IGNORE INTO run_package (name_id, user_id, run_id, package_id, import_us)
	SELECT * FROM picks ORDER BY name_id, user_id, run_id;
DROP TABLE picks;
COMMIT;
PRAGMA journal_mode = WAL;
ANALYZE;
SELECT 'runs ' || (SELECT count(*) FROM runs) || ' packages ' || (SELECT count(*) FROM run_package);
EOF
