-- Schema 2 prototype: what one batch does once its staging rows are in
-- st_runs and st_pkgs (PostgreSQL: COPY; SQLite: prepared inserts), all in
-- one transaction. The loader has given each run its id (a block of ids per
-- batch from the runs sequence) and copied the run's day, user and syshost
-- into its package rows, so no statement below joins two staging tables.
--
-- The first statement (GATE, per engine in load.py) inserts the runs not
-- stored yet and notes their ids in new_runs; when some were already stored
-- (a duplicate, or another loader got there first), their staging rows are
-- deleted (PRUNE). Everything after reads only new runs: a record loaded
-- twice, or by two loaders at once, is counted once.
--
-- Rows reach each upsert in key order (ORDER BY), so two loaders updating
-- the same summary rows lock them in the same order: no deadlock.
-- Same statements on both engines. A "blk" is 32 days: blk = day / 32.

@GATE@

DELETE FROM st_pkgs WHERE @PRUNE@ AND run_id NOT IN (SELECT id FROM new_runs);
DELETE FROM st_runs WHERE @PRUNE@ AND run_id NOT IN (SELECT id FROM new_runs);

INSERT INTO run_package (day, run_id, package_id, import_us, flags, functions_used, by_name_id)
SELECT day, run_id, package_id, import_us, flags, functions_used, by_name_id
FROM st_pkgs ORDER BY run_id, package_id;

INSERT INTO sum_pkg_day AS t (day, syshost_id, version_id, name_id, runs, direct_runs, startup_runs,
	used_runs, used_known_runs, import_runs, import_us)
SELECT day, syshost_id, version_id, name_id, COUNT(*),
	SUM(flags & 1), SUM((flags & 2) / 2), SUM((flags & 4) / 4), SUM((flags & 8) / 8),
	COUNT(import_us), COALESCE(SUM(import_us), 0)
FROM st_pkgs WHERE true GROUP BY day, syshost_id, version_id, name_id ORDER BY 1, 2, 3
ON CONFLICT (day, syshost_id, version_id) DO UPDATE SET runs = t.runs + excluded.runs,
	direct_runs = t.direct_runs + excluded.direct_runs, startup_runs = t.startup_runs + excluded.startup_runs,
	used_runs = t.used_runs + excluded.used_runs, used_known_runs = t.used_known_runs + excluded.used_known_runs,
	import_runs = t.import_runs + excluded.import_runs, import_us = t.import_us + excluded.import_us;

INSERT INTO sum_pkg_blk AS t (blk, syshost_id, version_id, name_id, runs, direct_runs, startup_runs,
	used_runs, used_known_runs, import_runs, import_us)
SELECT day / 32, syshost_id, version_id, name_id, COUNT(*),
	SUM(flags & 1), SUM((flags & 2) / 2), SUM((flags & 4) / 4), SUM((flags & 8) / 8),
	COUNT(import_us), COALESCE(SUM(import_us), 0)
FROM st_pkgs WHERE true GROUP BY day / 32, syshost_id, version_id, name_id ORDER BY 1, 2, 3
ON CONFLICT (blk, syshost_id, version_id) DO UPDATE SET runs = t.runs + excluded.runs,
	direct_runs = t.direct_runs + excluded.direct_runs, startup_runs = t.startup_runs + excluded.startup_runs,
	used_runs = t.used_runs + excluded.used_runs, used_known_runs = t.used_known_runs + excluded.used_known_runs,
	import_runs = t.import_runs + excluded.import_runs, import_us = t.import_us + excluded.import_us;

INSERT INTO sum_dep_day AS t (day, syshost_id, name_id, by_name_id, runs)
SELECT day, syshost_id, name_id, by_name_id, COUNT(*) FROM st_pkgs
WHERE by_name_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (day, syshost_id, name_id, by_name_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_dep_blk AS t (blk, syshost_id, name_id, by_name_id, runs)
SELECT day / 32, syshost_id, name_id, by_name_id, COUNT(*) FROM st_pkgs
WHERE by_name_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (blk, syshost_id, name_id, by_name_id) DO UPDATE SET runs = t.runs + excluded.runs;

-- distinct users: the days of the block on which each (package, user) was
-- seen, any import and direct imports; a row is written only when a bit is new
INSERT INTO pres_pkg AS t (blk, name_id, user_id, version_id, syshost_id, days, ddays)
SELECT day / 32, name_id, user_id, version_id, syshost_id,
	SUM(DISTINCT CAST(1 AS @INT@) << CAST(day % 32 AS INTEGER)),
	SUM(DISTINCT (flags & 1) * (CAST(1 AS @INT@) << CAST(day % 32 AS INTEGER)))
FROM st_pkgs WHERE true GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (blk, name_id, user_id, version_id, syshost_id) DO UPDATE
	SET days = t.days | excluded.days, ddays = t.ddays | excluded.ddays
	WHERE (t.days | excluded.days) <> t.days OR (t.ddays | excluded.ddays) <> t.ddays;

INSERT INTO sum_exec_day AS t (day, syshost_id, exec_id, runs, run_time)
SELECT day, syshost_id, exec_id, COUNT(*), COALESCE(SUM(run_time), 0) FROM st_runs
WHERE true GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, syshost_id, exec_id) DO UPDATE SET runs = t.runs + excluded.runs,
	run_time = t.run_time + excluded.run_time;

INSERT INTO sum_exec_blk AS t (blk, syshost_id, exec_id, runs, run_time)
SELECT day / 32, syshost_id, exec_id, COUNT(*), COALESCE(SUM(run_time), 0) FROM st_runs
WHERE true GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (blk, syshost_id, exec_id) DO UPDATE SET runs = t.runs + excluded.runs,
	run_time = t.run_time + excluded.run_time;

INSERT INTO pres_exec AS t (blk, exec_id, user_id, syshost_id, days)
SELECT day / 32, exec_id, user_id, syshost_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(day % 32 AS INTEGER))
FROM st_runs WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (blk, exec_id, user_id, syshost_id) DO UPDATE SET days = t.days | excluded.days
	WHERE (t.days | excluded.days) <> t.days;

INSERT INTO sum_kind_day AS t (day, syshost_id, user_id, program, kind, runs)
SELECT day, syshost_id, user_id, interp_program, COALESCE(interp_kind, ''), COUNT(*) FROM st_runs
WHERE interp_program IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (day, syshost_id, user_id, program, kind) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_kind_blk AS t (blk, syshost_id, user_id, program, kind, runs)
SELECT day / 32, syshost_id, user_id, interp_program, COALESCE(interp_kind, ''), COUNT(*) FROM st_runs
WHERE interp_program IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (blk, syshost_id, user_id, program, kind) DO UPDATE SET runs = t.runs + excluded.runs;

-- libraries: each run's library set expanded (15-40 rows a run), one row
-- per distinct set of the batch first
INSERT INTO sum_lib_day AS t (day, syshost_id, library_id, runs)
SELECT r.day, r.syshost_id, ll.library_id, SUM(r.n)
FROM (SELECT day, syshost_id, libset_id, COUNT(*) AS n FROM st_runs
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, syshost_id, library_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_lib_blk AS t (blk, syshost_id, library_id, runs)
SELECT r.blk, r.syshost_id, ll.library_id, SUM(r.n)
FROM (SELECT day / 32 AS blk, syshost_id, libset_id, COUNT(*) AS n FROM st_runs
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (blk, syshost_id, library_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO pres_lib AS t (blk, library_id, user_id, syshost_id, days)
SELECT r.day / 32, ll.library_id, r.user_id, r.syshost_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(r.day % 32 AS INTEGER))
FROM (SELECT day, user_id, syshost_id, libset_id FROM st_runs
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3, 4) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (blk, library_id, user_id, syshost_id) DO UPDATE SET days = t.days | excluded.days
	WHERE (t.days | excluded.days) <> t.days;
