-- Schema 2 prototype: fold the delta rows the batches appended (d_*) into
-- the summaries, once per ingest run (and by `xalt db compact`), in one
-- transaction. Here the 32-day blocks and the expansion of library sets
-- into libraries happen, over all the runs loaded since the last fold:
-- far fewer rows than per batch. Reports add the pending deltas, so they
-- are exact before the fold too. A "blk" is 32 days: blk = day / 32.

@LOCK@

INSERT INTO sum_pkg_day AS t (day, syshost_id, version_id, name_id, runs, direct_runs, startup_runs,
	used_runs, used_known_runs, import_runs, import_us)
SELECT day, syshost_id, version_id, MAX(name_id), SUM(runs), SUM(direct_runs), SUM(startup_runs),
	SUM(used_runs), SUM(used_known_runs), SUM(import_runs), SUM(import_us)
FROM d_pkg WHERE true GROUP BY day, syshost_id, version_id ORDER BY 1, 2, 3
ON CONFLICT (day, syshost_id, version_id) DO UPDATE SET runs = t.runs + excluded.runs,
	direct_runs = t.direct_runs + excluded.direct_runs, startup_runs = t.startup_runs + excluded.startup_runs,
	used_runs = t.used_runs + excluded.used_runs, used_known_runs = t.used_known_runs + excluded.used_known_runs,
	import_runs = t.import_runs + excluded.import_runs, import_us = t.import_us + excluded.import_us;

INSERT INTO sum_pkg_blk AS t (blk, syshost_id, version_id, name_id, runs, direct_runs, startup_runs,
	used_runs, used_known_runs, import_runs, import_us)
SELECT day / 32, syshost_id, version_id, MAX(name_id), SUM(runs), SUM(direct_runs), SUM(startup_runs),
	SUM(used_runs), SUM(used_known_runs), SUM(import_runs), SUM(import_us)
FROM d_pkg WHERE true GROUP BY day / 32, syshost_id, version_id ORDER BY 1, 2, 3
ON CONFLICT (blk, syshost_id, version_id) DO UPDATE SET runs = t.runs + excluded.runs,
	direct_runs = t.direct_runs + excluded.direct_runs, startup_runs = t.startup_runs + excluded.startup_runs,
	used_runs = t.used_runs + excluded.used_runs, used_known_runs = t.used_known_runs + excluded.used_known_runs,
	import_runs = t.import_runs + excluded.import_runs, import_us = t.import_us + excluded.import_us;

INSERT INTO sum_dep_day AS t (day, syshost_id, name_id, by_name_id, runs)
SELECT day, syshost_id, name_id, by_name_id, SUM(runs) FROM d_dep WHERE true
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (day, syshost_id, name_id, by_name_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_dep_blk AS t (blk, syshost_id, name_id, by_name_id, runs)
SELECT day / 32, syshost_id, name_id, by_name_id, SUM(runs) FROM d_dep WHERE true
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (blk, syshost_id, name_id, by_name_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO pres_pkg AS t (blk, name_id, user_id, version_id, syshost_id, days, ddays)
SELECT day / 32, name_id, user_id, version_id, syshost_id,
	SUM(DISTINCT CAST(1 AS @INT@) << CAST(day % 32 AS INTEGER)), SUM(DISTINCT direct * (CAST(1 AS @INT@) << CAST(day % 32 AS INTEGER)))
FROM d_pres_pkg WHERE true GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (blk, name_id, user_id, version_id, syshost_id) DO UPDATE
	SET days = t.days | excluded.days, ddays = t.ddays | excluded.ddays
	WHERE (t.days | excluded.days) <> t.days OR (t.ddays | excluded.ddays) <> t.ddays;

INSERT INTO sum_exec_day AS t (day, syshost_id, exec_id, runs, run_time)
SELECT day, syshost_id, exec_id, SUM(runs), SUM(run_time) FROM d_run WHERE true
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, syshost_id, exec_id) DO UPDATE SET runs = t.runs + excluded.runs,
	run_time = t.run_time + excluded.run_time;

INSERT INTO sum_exec_blk AS t (blk, syshost_id, exec_id, runs, run_time)
SELECT day / 32, syshost_id, exec_id, SUM(runs), SUM(run_time) FROM d_run WHERE true
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (blk, syshost_id, exec_id) DO UPDATE SET runs = t.runs + excluded.runs,
	run_time = t.run_time + excluded.run_time;

INSERT INTO pres_exec AS t (blk, exec_id, user_id, syshost_id, days)
SELECT day / 32, exec_id, user_id, syshost_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(day % 32 AS INTEGER))
FROM d_run WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (blk, exec_id, user_id, syshost_id) DO UPDATE SET days = t.days | excluded.days
	WHERE (t.days | excluded.days) <> t.days;

INSERT INTO sum_kind_day AS t (day, syshost_id, user_id, program, kind, runs)
SELECT day, syshost_id, user_id, program, COALESCE(kind, ''), SUM(runs) FROM d_run
WHERE program IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (day, syshost_id, user_id, program, kind) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_kind_blk AS t (blk, syshost_id, user_id, program, kind, runs)
SELECT day / 32, syshost_id, user_id, program, COALESCE(kind, ''), SUM(runs) FROM d_run
WHERE program IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (blk, syshost_id, user_id, program, kind) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_lib_day AS t (day, syshost_id, library_id, runs)
SELECT r.day, r.syshost_id, ll.library_id, SUM(r.n)
FROM (SELECT day, syshost_id, libset_id, SUM(runs) AS n FROM d_run
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, syshost_id, library_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_lib_blk AS t (blk, syshost_id, library_id, runs)
SELECT r.blk, r.syshost_id, ll.library_id, SUM(r.n)
FROM (SELECT day / 32 AS blk, syshost_id, libset_id, SUM(runs) AS n FROM d_run
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (blk, syshost_id, library_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO pres_lib AS t (blk, library_id, user_id, syshost_id, days)
SELECT r.day / 32, ll.library_id, r.user_id, r.syshost_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(r.day % 32 AS INTEGER))
FROM (SELECT day, user_id, syshost_id, libset_id FROM d_run
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3, 4) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (blk, library_id, user_id, syshost_id) DO UPDATE SET days = t.days | excluded.days
	WHERE (t.days | excluded.days) <> t.days;

INSERT INTO sum_pkg_all AS t (syshost_id, version_id, name_id, runs, direct_runs, startup_runs,
	used_runs, used_known_runs, import_runs, import_us)
SELECT syshost_id, version_id, MAX(name_id), SUM(runs), SUM(direct_runs), SUM(startup_runs),
	SUM(used_runs), SUM(used_known_runs), SUM(import_runs), SUM(import_us)
FROM d_pkg WHERE true GROUP BY syshost_id, version_id ORDER BY 1, 2
ON CONFLICT (syshost_id, version_id) DO UPDATE SET runs = t.runs + excluded.runs,
	direct_runs = t.direct_runs + excluded.direct_runs, startup_runs = t.startup_runs + excluded.startup_runs,
	used_runs = t.used_runs + excluded.used_runs, used_known_runs = t.used_known_runs + excluded.used_known_runs,
	import_runs = t.import_runs + excluded.import_runs, import_us = t.import_us + excluded.import_us;

INSERT INTO sum_dep_all AS t (syshost_id, name_id, by_name_id, runs)
SELECT syshost_id, name_id, by_name_id, SUM(runs) FROM d_dep WHERE true
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (syshost_id, name_id, by_name_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO pres_pkg_all AS t (name_id, user_id, sys, dsys)
SELECT name_id, user_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(syshost_id AS INTEGER)),
	SUM(DISTINCT direct * (CAST(1 AS @INT@) << CAST(syshost_id AS INTEGER)))
FROM d_pres_pkg WHERE true GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (name_id, user_id) DO UPDATE SET sys = t.sys | excluded.sys, dsys = t.dsys | excluded.dsys
	WHERE (t.sys | excluded.sys) <> t.sys OR (t.dsys | excluded.dsys) <> t.dsys;

INSERT INTO sum_exec_all AS t (syshost_id, exec_id, runs, run_time)
SELECT syshost_id, exec_id, SUM(runs), SUM(run_time) FROM d_run WHERE true
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (syshost_id, exec_id) DO UPDATE SET runs = t.runs + excluded.runs,
	run_time = t.run_time + excluded.run_time;

INSERT INTO pres_exec_all AS t (exec_id, user_id, sys)
SELECT exec_id, user_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(syshost_id AS INTEGER))
FROM d_run WHERE true GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (exec_id, user_id) DO UPDATE SET sys = t.sys | excluded.sys
	WHERE (t.sys | excluded.sys) <> t.sys;

INSERT INTO sum_kind_all AS t (syshost_id, user_id, program, kind, runs)
SELECT syshost_id, user_id, program, COALESCE(kind, ''), SUM(runs) FROM d_run
WHERE program IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (syshost_id, user_id, program, kind) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO sum_lib_all AS t (syshost_id, library_id, runs)
SELECT r.syshost_id, ll.library_id, SUM(r.n)
FROM (SELECT syshost_id, libset_id, SUM(runs) AS n FROM d_run
	WHERE libset_id IS NOT NULL GROUP BY 1, 2) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (syshost_id, library_id) DO UPDATE SET runs = t.runs + excluded.runs;

INSERT INTO pres_lib_all AS t (library_id, user_id, sys)
SELECT ll.library_id, r.user_id, SUM(DISTINCT CAST(1 AS @INT@) << CAST(r.syshost_id AS INTEGER))
FROM (SELECT user_id, syshost_id, libset_id FROM d_run
	WHERE libset_id IS NOT NULL GROUP BY 1, 2, 3) r
JOIN libset_library ll ON ll.libset_id = r.libset_id
WHERE true GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (library_id, user_id) DO UPDATE SET sys = t.sys | excluded.sys
	WHERE (t.sys | excluded.sys) <> t.sys;

DELETE FROM d_pkg;
DELETE FROM d_dep;
DELETE FROM d_pres_pkg;
DELETE FROM d_run;
