-- Schema 2 prototype (issue 13; docs/database.md "Schema 2 (proposed)").
-- One text for both engines; load.py expands the placeholders (SQLite /
-- PostgreSQL): INT is INTEGER / BIGINT, REAL is REAL / DOUBLE PRECISION,
-- TEXT is TEXT / TEXT COLLATE "C", NOROWID is WITHOUT ROWID / nothing;
-- RAWRUNS and RAWPKGS are the raw tables, engine-specific (load.py).
-- A "blk" is a block of 32 days: blk = day / 32, bit day % 32 of a mask.

CREATE TABLE schema_version (version @INT@ NOT NULL);
INSERT INTO schema_version VALUES (2);

-- entities ------------------------------------------------------------------
CREATE TABLE users (id @INT@ PRIMARY KEY, name @TEXT@ NOT NULL UNIQUE);
CREATE TABLE syshosts (id @INT@ PRIMARY KEY, name @TEXT@ NOT NULL UNIQUE);
CREATE TABLE hosts (id @INT@ PRIMARY KEY, syshost_id @INT@ NOT NULL, host @TEXT@ NOT NULL,
	UNIQUE (syshost_id, host));
CREATE TABLE executables (id @INT@ PRIMARY KEY, path @TEXT@ NOT NULL, size @INT@ NOT NULL,
	mtime @INT@ NOT NULL, inode @INT@ NOT NULL, sha1 @TEXT@ NOT NULL, program @TEXT@ NOT NULL,
	UNIQUE (path, size, mtime, inode, sha1));
CREATE TABLE libraries (id @INT@ PRIMARY KEY, path @TEXT@ NOT NULL UNIQUE);
CREATE TABLE libsets (id @INT@ PRIMARY KEY, hash @TEXT@ NOT NULL UNIQUE, nlibs @INT@ NOT NULL);
CREATE TABLE libset_library (libset_id @INT@ NOT NULL, library_id @INT@ NOT NULL,
	position @INT@ NOT NULL, PRIMARY KEY (libset_id, position))@NOROWID@;
CREATE TABLE package_names (id @INT@ PRIMARY KEY, program @TEXT@ NOT NULL, name @TEXT@ NOT NULL,
	UNIQUE (program, name));
CREATE TABLE versions (id @INT@ PRIMARY KEY, name_id @INT@ NOT NULL, version @TEXT@ NOT NULL,
	UNIQUE (name_id, version));
CREATE TABLE packages (id @INT@ PRIMARY KEY, name_id @INT@ NOT NULL, version_id @INT@ NOT NULL,
	path @TEXT@ NOT NULL, UNIQUE (version_id, path));

-- raw rows --------------------------------------------------------------------
@RAWRUNS@
@RAWPKGS@

-- counters per day and per 32-day block (additive) -----------------------------
CREATE TABLE sum_pkg_day (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, version_id @INT@ NOT NULL,
	name_id @INT@ NOT NULL, runs @INT@ NOT NULL, direct_runs @INT@ NOT NULL,
	startup_runs @INT@ NOT NULL, used_runs @INT@ NOT NULL, used_known_runs @INT@ NOT NULL,
	import_runs @INT@ NOT NULL, import_us @INT@ NOT NULL,
	PRIMARY KEY (day, syshost_id, version_id))@NOROWID@;
CREATE TABLE sum_pkg_blk (blk @INT@ NOT NULL, syshost_id @INT@ NOT NULL, version_id @INT@ NOT NULL,
	name_id @INT@ NOT NULL, runs @INT@ NOT NULL, direct_runs @INT@ NOT NULL,
	startup_runs @INT@ NOT NULL, used_runs @INT@ NOT NULL, used_known_runs @INT@ NOT NULL,
	import_runs @INT@ NOT NULL, import_us @INT@ NOT NULL,
	PRIMARY KEY (blk, syshost_id, version_id))@NOROWID@;
CREATE TABLE sum_dep_day (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, name_id @INT@ NOT NULL,
	by_name_id @INT@ NOT NULL, runs @INT@ NOT NULL,
	PRIMARY KEY (day, syshost_id, name_id, by_name_id))@NOROWID@;
CREATE TABLE sum_dep_blk (blk @INT@ NOT NULL, syshost_id @INT@ NOT NULL, name_id @INT@ NOT NULL,
	by_name_id @INT@ NOT NULL, runs @INT@ NOT NULL,
	PRIMARY KEY (blk, syshost_id, name_id, by_name_id))@NOROWID@;
CREATE TABLE sum_exec_day (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, exec_id @INT@ NOT NULL,
	runs @INT@ NOT NULL, run_time @REAL@ NOT NULL,
	PRIMARY KEY (day, syshost_id, exec_id))@NOROWID@;
CREATE TABLE sum_exec_blk (blk @INT@ NOT NULL, syshost_id @INT@ NOT NULL, exec_id @INT@ NOT NULL,
	runs @INT@ NOT NULL, run_time @REAL@ NOT NULL,
	PRIMARY KEY (blk, syshost_id, exec_id))@NOROWID@;
CREATE TABLE sum_lib_day (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, library_id @INT@ NOT NULL,
	runs @INT@ NOT NULL, PRIMARY KEY (day, syshost_id, library_id))@NOROWID@;
CREATE TABLE sum_lib_blk (blk @INT@ NOT NULL, syshost_id @INT@ NOT NULL, library_id @INT@ NOT NULL,
	runs @INT@ NOT NULL, PRIMARY KEY (blk, syshost_id, library_id))@NOROWID@;
CREATE TABLE sum_kind_day (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	program @TEXT@ NOT NULL, kind @TEXT@ NOT NULL, runs @INT@ NOT NULL,
	PRIMARY KEY (day, syshost_id, user_id, program, kind))@NOROWID@;
CREATE TABLE sum_kind_blk (blk @INT@ NOT NULL, syshost_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	program @TEXT@ NOT NULL, kind @TEXT@ NOT NULL, runs @INT@ NOT NULL,
	PRIMARY KEY (blk, syshost_id, user_id, program, kind))@NOROWID@;

-- presence: who used what on which days of a block (distinct users) -------------
CREATE TABLE pres_pkg (blk @INT@ NOT NULL, name_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	version_id @INT@ NOT NULL, syshost_id @INT@ NOT NULL, days @INT@ NOT NULL, ddays @INT@ NOT NULL,
	PRIMARY KEY (blk, name_id, user_id, version_id, syshost_id))@NOROWID@;
CREATE TABLE pres_exec (blk @INT@ NOT NULL, exec_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	syshost_id @INT@ NOT NULL, days @INT@ NOT NULL,
	PRIMARY KEY (blk, exec_id, user_id, syshost_id))@NOROWID@;
CREATE TABLE pres_lib (blk @INT@ NOT NULL, library_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	syshost_id @INT@ NOT NULL, days @INT@ NOT NULL,
	PRIMARY KEY (blk, library_id, user_id, syshost_id))@NOROWID@;

-- all time: counters per syshost, and one row per (thing, user) with the
-- syshosts it was seen on as bits (sys; dsys: imported directly)
CREATE TABLE sum_pkg_all (syshost_id @INT@ NOT NULL, version_id @INT@ NOT NULL,
	name_id @INT@ NOT NULL, runs @INT@ NOT NULL, direct_runs @INT@ NOT NULL,
	startup_runs @INT@ NOT NULL, used_runs @INT@ NOT NULL, used_known_runs @INT@ NOT NULL,
	import_runs @INT@ NOT NULL, import_us @INT@ NOT NULL,
	PRIMARY KEY (syshost_id, version_id))@NOROWID@;
CREATE TABLE sum_dep_all (syshost_id @INT@ NOT NULL, name_id @INT@ NOT NULL,
	by_name_id @INT@ NOT NULL, runs @INT@ NOT NULL,
	PRIMARY KEY (syshost_id, name_id, by_name_id))@NOROWID@;
CREATE TABLE sum_exec_all (syshost_id @INT@ NOT NULL, exec_id @INT@ NOT NULL,
	runs @INT@ NOT NULL, run_time @REAL@ NOT NULL, PRIMARY KEY (syshost_id, exec_id))@NOROWID@;
CREATE TABLE sum_kind_all (syshost_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	program @TEXT@ NOT NULL, kind @TEXT@ NOT NULL, runs @INT@ NOT NULL,
	PRIMARY KEY (syshost_id, user_id, program, kind))@NOROWID@;
CREATE TABLE sum_lib_all (syshost_id @INT@ NOT NULL, library_id @INT@ NOT NULL,
	runs @INT@ NOT NULL, PRIMARY KEY (syshost_id, library_id))@NOROWID@;
CREATE TABLE pres_pkg_all (name_id @INT@ NOT NULL, user_id @INT@ NOT NULL, sys @INT@ NOT NULL,
	dsys @INT@ NOT NULL, PRIMARY KEY (name_id, user_id))@NOROWID@;
CREATE TABLE pres_exec_all (exec_id @INT@ NOT NULL, user_id @INT@ NOT NULL, sys @INT@ NOT NULL,
	PRIMARY KEY (exec_id, user_id))@NOROWID@;
CREATE TABLE pres_lib_all (library_id @INT@ NOT NULL, user_id @INT@ NOT NULL, sys @INT@ NOT NULL,
	PRIMARY KEY (library_id, user_id))@NOROWID@;

-- deltas: what each batch appends (no key: plain appends, no lock between
-- loaders); folded into the tables above once per ingest run (compact.sql)
CREATE TABLE d_pkg (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, version_id @INT@ NOT NULL,
	name_id @INT@ NOT NULL, runs @INT@ NOT NULL, direct_runs @INT@ NOT NULL,
	startup_runs @INT@ NOT NULL, used_runs @INT@ NOT NULL, used_known_runs @INT@ NOT NULL,
	import_runs @INT@ NOT NULL, import_us @INT@ NOT NULL);
CREATE TABLE d_dep (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, name_id @INT@ NOT NULL,
	by_name_id @INT@ NOT NULL, runs @INT@ NOT NULL);
CREATE TABLE d_pres_pkg (day @INT@ NOT NULL, name_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	version_id @INT@ NOT NULL, syshost_id @INT@ NOT NULL, direct @INT@ NOT NULL);
CREATE TABLE d_run (day @INT@ NOT NULL, syshost_id @INT@ NOT NULL, user_id @INT@ NOT NULL,
	exec_id @INT@ NOT NULL, libset_id @INT@, program @TEXT@, kind @TEXT@, runs @INT@ NOT NULL,
	run_time @REAL@ NOT NULL);
