#!/usr/bin/python3
"""Schema 2 prototype, step 2 (timed): load staged batches (stage.py) into
schema 2 on PostgreSQL or SQLite with batch.sql, and time it.

usage: load.py init    pg URL | sqlite FILE
       load.py ents    pg URL | sqlite FILE  STAGE
       load.py load    pg URL | sqlite FILE  STAGE FIRST LAST [--jobs N]
       load.py compact pg URL | sqlite FILE
       load.py profile pg URL | sqlite FILE  STAGE FIRST LAST

AGG=delta (default) appends each batch's delta rows, folded in by compact;
AGG=upsert upserts the batch's summary rows (computed by the loader);
AGG=server computes them in SQL from the staged package rows (batch.sql).

init creates the schema (PostgreSQL: runs and run_package partitioned by
month on `day`); ents loads STAGE/ents/*.tsv (the entity rows the loader
would have created; not timed); load loads batches FIRST..LAST-1 and prints
one line: batches, runs, package records, wall s, client CPU s, server CPU s
(PostgreSQL: the postmaster's children), and for SQLite the split between
filling the staging tables (Python here; prepared inserts in C) and the
batch statements. PostgreSQL batches run on N connections (psql processes,
batch i on connection i mod N), each batch one transaction:
COPY st_runs, COPY st_pkgs, batch.sql.
"""
import calendar
import glob
import os
import resource
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

RUN_COLS = ("uuid, day, user_id, uid, host_id, syshost_id, exec_id, libset_id, cwd, cmdline,"
            " start_time, end_time, run_time, exit_how, exit_status, exit_signal,"
            " sampling_probability, sampling_forced, job_scheduler, job_id, job_ntasks, job_nnodes,"
            " job_rank, omp_num_threads, env, interp_program, interp_version, interp_kind,"
            " interp_prefix, parent_uuid, packages_lost, origin, npkgs")

RAW = {
    "pg": ("""
CREATE SEQUENCE runs_id_seq;
CREATE TABLE runs (id BIGINT NOT NULL, uuid UUID NOT NULL, day INT NOT NULL,
	user_id BIGINT NOT NULL, uid BIGINT, host_id BIGINT NOT NULL, syshost_id BIGINT NOT NULL,
	exec_id BIGINT NOT NULL, libset_id BIGINT, cwd TEXT, cmdline TEXT,
	start_time DOUBLE PRECISION NOT NULL, end_time DOUBLE PRECISION, run_time DOUBLE PRECISION,
	exit_how TEXT, exit_status INT, exit_signal INT, sampling_probability DOUBLE PRECISION,
	sampling_forced SMALLINT, job_scheduler TEXT, job_id TEXT, job_ntasks INT, job_nnodes INT,
	job_rank INT, omp_num_threads TEXT, env TEXT, interp_program TEXT, interp_version TEXT,
	interp_kind TEXT, interp_prefix TEXT, parent_uuid UUID, packages_lost SMALLINT NOT NULL,
	origin TEXT NOT NULL, npkgs INT NOT NULL,
	ingested_at DOUBLE PRECISION NOT NULL DEFAULT extract(epoch FROM now()),
	PRIMARY KEY (uuid, day)) PARTITION BY RANGE (day);
CREATE INDEX runs_host ON runs (host_id, day);
CREATE INDEX runs_start_time ON runs USING brin (start_time);
""", """
CREATE TABLE run_package (day INT NOT NULL, run_id BIGINT NOT NULL, package_id INT NOT NULL,
	import_us INT, flags SMALLINT NOT NULL, functions_used INT, by_name_id INT)
	PARTITION BY RANGE (day);
CREATE INDEX run_package_run ON run_package USING brin (run_id);
"""),
    "sqlite": ("""
CREATE TABLE runs (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, day INTEGER NOT NULL,
	user_id INTEGER NOT NULL, uid INTEGER, host_id INTEGER NOT NULL, syshost_id INTEGER NOT NULL,
	exec_id INTEGER NOT NULL, libset_id INTEGER, cwd TEXT, cmdline TEXT, start_time REAL NOT NULL,
	end_time REAL, run_time REAL, exit_how TEXT, exit_status INTEGER, exit_signal INTEGER,
	sampling_probability REAL, sampling_forced INTEGER, job_scheduler TEXT, job_id TEXT,
	job_ntasks INTEGER, job_nnodes INTEGER, job_rank INTEGER, omp_num_threads TEXT, env TEXT,
	interp_program TEXT, interp_version TEXT, interp_kind TEXT, interp_prefix TEXT,
	parent_uuid TEXT, packages_lost INTEGER NOT NULL, origin TEXT NOT NULL, npkgs INTEGER NOT NULL,
	ingested_at REAL NOT NULL);
CREATE INDEX runs_host ON runs (host_id, day);
CREATE INDEX runs_day ON runs (day);
""", """
CREATE TABLE run_package (run_id INTEGER NOT NULL, package_id INTEGER NOT NULL,
	day INTEGER NOT NULL, import_us INTEGER, flags INTEGER NOT NULL, functions_used INTEGER,
	by_name_id INTEGER, PRIMARY KEY (run_id, package_id)) WITHOUT ROWID;
"""),
}

STAGING = {
    "pg": """
CREATE TEMP TABLE st_runs (run_id BIGINT, uuid UUID, day INT, user_id BIGINT, uid BIGINT,
	host_id BIGINT, syshost_id BIGINT, exec_id BIGINT, libset_id BIGINT, cwd TEXT, cmdline TEXT,
	start_time DOUBLE PRECISION, end_time DOUBLE PRECISION, run_time DOUBLE PRECISION,
	exit_how TEXT, exit_status INT, exit_signal INT, sampling_probability DOUBLE PRECISION,
	sampling_forced SMALLINT, job_scheduler TEXT, job_id TEXT, job_ntasks INT, job_nnodes INT,
	job_rank INT, omp_num_threads TEXT, env TEXT, interp_program TEXT, interp_version TEXT,
	interp_kind TEXT, interp_prefix TEXT, parent_uuid UUID, packages_lost SMALLINT, origin TEXT,
	npkgs INT) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE st_uuids (uuid UUID, day INT) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE st_pkgs (run_id BIGINT, day INT, user_id BIGINT, syshost_id BIGINT,
	package_id BIGINT, version_id BIGINT, name_id BIGINT, import_us BIGINT, flags SMALLINT,
	functions_used INT, by_name_id BIGINT) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE new_runs (id BIGINT) ON COMMIT DELETE ROWS;
""",
    "sqlite": """
CREATE TEMP TABLE st_runs (run_id INTEGER PRIMARY KEY, uuid TEXT, day INTEGER, user_id INTEGER,
	uid INTEGER, host_id INTEGER, syshost_id INTEGER, exec_id INTEGER, libset_id INTEGER, cwd TEXT,
	cmdline TEXT, start_time REAL, end_time REAL, run_time REAL, exit_how TEXT,
	exit_status INTEGER, exit_signal INTEGER, sampling_probability REAL, sampling_forced INTEGER,
	job_scheduler TEXT, job_id TEXT, job_ntasks INTEGER, job_nnodes INTEGER, job_rank INTEGER,
	omp_num_threads TEXT, env TEXT, interp_program TEXT, interp_version TEXT, interp_kind TEXT,
	interp_prefix TEXT, parent_uuid TEXT, packages_lost INTEGER, origin TEXT, npkgs INTEGER);
CREATE TEMP TABLE st_pkgs (run_id INTEGER, day INTEGER, user_id INTEGER, syshost_id INTEGER,
	package_id INTEGER, version_id INTEGER, name_id INTEGER, import_us INTEGER, flags INTEGER,
	functions_used INTEGER, by_name_id INTEGER);
CREATE TEMP TABLE new_runs (id INTEGER PRIMARY KEY);
""",
}

GATE = {
    "pg": """
WITH i AS (INSERT INTO runs (id, %s, ingested_at)
	SELECT run_id, %s, extract(epoch FROM now()) FROM st_runs ORDER BY uuid
	ON CONFLICT (uuid, day) DO NOTHING RETURNING id)
INSERT INTO new_runs (id) SELECT id FROM i;
""" % (RUN_COLS, RUN_COLS),
    "sqlite": """
INSERT INTO runs (id, %s, ingested_at) SELECT run_id, %s, unixepoch() FROM st_runs
	WHERE true ORDER BY run_id ON CONFLICT (uuid) DO NOTHING;
INSERT INTO new_runs (id) SELECT id FROM runs
	WHERE id BETWEEN (SELECT min(run_id) FROM st_runs) AND (SELECT max(run_id) FROM st_runs);
""" % (RUN_COLS, RUN_COLS),
}
PRUNE = "(SELECT COUNT(*) FROM new_runs) < (SELECT COUNT(*) FROM st_runs)"

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;"
                  " PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824;"
                  " PRAGMA wal_autocheckpoint=16384;")

ENT_TABLES = ("users", "syshosts", "hosts", "executables", "libraries", "libsets", "libset_library",
              "package_names", "versions", "packages")


def expand(sql, engine):
    w = {"@INT@": "BIGINT" if engine == "pg" else "INTEGER",
         "@REAL@": "DOUBLE PRECISION" if engine == "pg" else "REAL",
         "@TEXT@": 'TEXT COLLATE "C"' if engine == "pg" else "TEXT",
         "@NOROWID@": "" if engine == "pg" else " WITHOUT ROWID",
         "@RAWRUNS@": RAW[engine][0], "@RAWPKGS@": RAW[engine][1], "@GATE@": GATE[engine],
         "@PRUNE@": PRUNE}
    for k, v in w.items():
        sql = sql.replace(k, v)
    return sql


def psql(url, *args, stdin=None):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url] + list(args),
                       input=stdin, text=True, capture_output=True)
    if p.returncode:
        sys.exit("load.py: psql failed: " + p.stderr)
    return p.stdout


def month_starts():
    """Epoch days of the first of each month, 2025-12 .. 2028-01."""
    out = []
    for y in (2025, 2026, 2027, 2028):
        for m in range(1, 13):
            if (y, m) >= (2025, 12) and (y, m) <= (2028, 1):
                out.append((y, m, calendar.timegm((y, m, 1, 0, 0, 0)) // 86400))
    return out


def init(engine, target):
    sql = expand(open(os.path.join(HERE, "schema.sql")).read(), engine)
    if engine == "pg":
        ms = month_starts()
        for (y, m, d0), (_, _, d1) in zip(ms, ms[1:]):
            for t in ("runs", "run_package"):
                sql += "CREATE TABLE %s_%04d_%02d PARTITION OF %s FOR VALUES FROM (%d) TO (%d);\n" % (
                    t, y, m, t, d0, d1)
        psql(target, stdin=sql)
    else:
        db = sqlite3.connect(target)
        db.executescript(SQLITE_PRAGMAS)
        db.executescript(sql)
        db.close()


def ents(engine, target, stage):
    """Load the entity rows not loaded yet (stage.py appends to the files;
    the lines already loaded into this target are counted in a side file)."""
    mark = os.path.join(stage, "ents", ".loaded-" + "".join(c if c.isalnum() else "_" for c in target))
    done = dict(l.split() for l in open(mark)) if os.path.exists(mark) else {}
    new, counts = {}, {}
    for t in ENT_TABLES:
        f = os.path.join(stage, "ents", t + ".tsv")
        if not os.path.exists(f):
            continue
        lines = open(f).read().splitlines()
        counts[t] = len(lines)
        new[t] = lines[int(done.get(t, 0)):]
    if engine == "pg":
        tmp = os.path.join(stage, "ents", ".new")
        os.makedirs(tmp, exist_ok=True)
        script = "BEGIN;\n"
        for t, lines in new.items():
            with open(os.path.join(tmp, t + ".tsv"), "w") as f:
                f.writelines(l + "\n" for l in lines)
            script += "\\copy %s FROM '%s'\n" % (t, os.path.join(tmp, t + ".tsv"))
        psql(target, stdin=script + "COMMIT;\nANALYZE;\n")
    else:
        db = sqlite3.connect(target)
        db.executescript(SQLITE_PRAGMAS)
        db.execute("BEGIN")
        for t, lines in new.items():
            if lines:
                n = len(lines[0].split("\t"))
                db.executemany("INSERT INTO %s VALUES (%s)" % (t, ",".join("?" * n)),
                               ([unescape(v) for v in l.split("\t")] for l in lines))
        db.commit()
        db.execute("ANALYZE")
        db.close()
    with open(mark, "w") as f:
        f.writelines("%s %d\n" % kv for kv in counts.items())


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def postmaster_cpu(pidfile):
    pid = open(pidfile).readline().strip()
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in f[11:15]) / hz


def count_batches(stage, first, last):
    runs = pkgs = 0
    for b in range(first, last):
        d = os.path.join(stage, "b%06d" % b)
        runs += sum(1 for _ in open(os.path.join(d, "runs.tsv")))
        pkgs += sum(1 for _ in open(os.path.join(d, "rp.tsv")))
    return runs, pkgs


def unescape(v):
    if v == "\\N":
        return None
    if "\\" in v:
        v = v.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")
    return v


def profile_pg(url, stage, first, last):
    """Per-statement server time (psql \\timing), summed over the batches."""
    sts = statements(expand(open(os.path.join(HERE, "batch.sql")).read(), "pg"))
    s = [STAGING["pg"], "\\timing on\n"]
    for b in range(first, last):
        d = os.path.join(stage, "b%06d" % b)
        s.append("BEGIN;\n\\copy st_runs FROM '%s/runs.tsv'\n\\copy st_pkgs FROM '%s/pkgs.tsv'\n" % (d, d))
        s.extend(st + ";\n" for st in sts)
        s.append("COMMIT;\n")
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input="".join(s),
                         text=True, capture_output=True, check=True).stdout
    times = [float(l.split()[1]) for l in out.splitlines() if l.startswith("Time: ")]
    names = ["BEGIN", "COPY st_runs", "COPY st_pkgs"] + [first_words(st) for st in sts] + ["COMMIT"]
    return names, times


def first_words(st):
    w = st.split()
    return " ".join(w[:3]) if w[0] != "WITH" else "INSERT INTO runs (gate)"


def profile_sqlite(target, stage, first, last):
    sts = statements(expand(open(os.path.join(HERE, "batch.sql")).read(), "sqlite"))
    db = sqlite3.connect(target, isolation_level=None)
    db.executescript(SQLITE_PRAGMAS)
    db.executescript(STAGING["sqlite"])
    names = ["fill st_runs", "fill st_pkgs"] + [first_words(st) for st in sts] + ["COMMIT"]
    times = []
    for b in range(first, last):
        d = os.path.join(stage, "b%06d" % b)
        db.execute("BEGIN")
        t = time.time()
        with open(os.path.join(d, "runs.tsv")) as f:
            db.executemany("INSERT INTO st_runs VALUES (%s)" % ",".join("?" * 34),
                           ([unescape(v) for v in l.rstrip("\n").split("\t")] for l in f))
        times.append((time.time() - t) * 1000)
        t = time.time()
        with open(os.path.join(d, "pkgs.tsv")) as f:
            db.executemany("INSERT INTO st_pkgs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           ([None if v == "\\N" else int(v) for v in l.rstrip("\n").split("\t")] for l in f))
        times.append((time.time() - t) * 1000)
        for st in sts:
            t = time.time()
            db.execute(st)
            times.append((time.time() - t) * 1000)
        db.execute("DELETE FROM st_runs")
        db.execute("DELETE FROM st_pkgs")
        db.execute("DELETE FROM new_runs")
        t = time.time()
        db.execute("COMMIT")
        times.append((time.time() - t) * 1000)
    return names, times


# --- client-side aggregation (the loader computes each batch's summary rows) ---

AGG_TABLES = ("sum_pkg_day", "sum_pkg_blk", "sum_dep_day", "sum_dep_blk", "pres_pkg", "sum_exec_day",
              "sum_exec_blk", "pres_exec", "sum_kind_day", "sum_kind_blk", "sum_lib_day", "sum_lib_blk",
              "pres_lib")
AGG_KEYS = {
    "sum_pkg_day": "day, syshost_id, version_id", "sum_pkg_blk": "blk, syshost_id, version_id",
    "sum_dep_day": "day, syshost_id, name_id, by_name_id", "sum_dep_blk": "blk, syshost_id, name_id, by_name_id",
    "pres_pkg": "blk, name_id, user_id, version_id, syshost_id", "sum_exec_day": "day, syshost_id, exec_id",
    "sum_exec_blk": "blk, syshost_id, exec_id", "pres_exec": "blk, exec_id, user_id, syshost_id",
    "sum_kind_day": "day, syshost_id, user_id, program, kind",
    "sum_kind_blk": "blk, syshost_id, user_id, program, kind", "sum_lib_day": "day, syshost_id, library_id",
    "sum_lib_blk": "blk, syshost_id, library_id", "pres_lib": "blk, library_id, user_id, syshost_id",
}
AGG_VALS = {
    "sum_pkg_day": "name_id runs+ direct_runs+ startup_runs+ used_runs+ used_known_runs+ import_runs+ import_us+",
    "sum_dep_day": "runs+", "pres_pkg": "days| ddays|", "sum_exec_day": "runs+ run_time+",
    "pres_exec": "days|", "sum_kind_day": "runs+", "sum_lib_day": "runs+", "pres_lib": "days|",
}
for _t in ("sum_pkg", "sum_dep", "sum_exec", "sum_kind", "sum_lib"):
    AGG_VALS[_t + "_blk"] = AGG_VALS[_t + "_day"]


def agg_tables():
    only = os.environ.get("AGG_ONLY")
    return [t for t in AGG_TABLES if not only or t in only.split()]


def upsert_sql(t, source):
    """INSERT ... ON CONFLICT adding counters (x+) or OR-ing masks (x|);
    a mask row is written only when a bit is new."""
    keys = AGG_KEYS[t]
    vals = AGG_VALS[t].split()
    cols = keys + ", " + ", ".join(v.rstrip("+|") for v in vals)
    sets = ", ".join("%s = t.%s %s excluded.%s" % (v[:-1], v[:-1], v[-1], v[:-1])
                     for v in vals if v[-1] in "+|")
    where = ""
    if all(v[-1] == "|" for v in vals):
        where = " WHERE " + " OR ".join("(t.%s | excluded.%s) <> t.%s" % (v[:-1], v[:-1], v[:-1])
                                        for v in vals)
    return "INSERT INTO %s AS t (%s) %s ON CONFLICT (%s) DO UPDATE SET %s%s" % (
        t, cols, source, keys, sets, where)


def load_pg_agg(url, stage, first, last, jobs, pidfile):
    tabs = agg_tables()
    setup = STAGING["pg"] + "".join("CREATE TEMP TABLE st_%s (LIKE %s) ON COMMIT DELETE ROWS;\n" % (t, t)
                                    for t in tabs)
    gate = GATE["pg"]
    scripts = []
    for j in range(jobs):
        s = [setup]
        for b in range(first + j, last, jobs):
            d = os.path.join(stage, "b%06d" % b)
            s.append("BEGIN;\n\\copy st_runs FROM '%s/runs.tsv'\n%s" % (d, gate))
            if os.environ.get("NO_RAW") != "1":
                s.append("\\copy run_package FROM '%s/rp.tsv'\n" % d)
            for t in tabs:
                s.append("\\copy st_%s FROM '%s/agg/%s.tsv'\n" % (t, d, t))
                s.append(upsert_sql(t, "SELECT * FROM st_%s ORDER BY %s" % (t, AGG_KEYS[t])) + ";\n")
            s.append("COMMIT;\n")
        scripts.append("".join(s))
    s0, c0, t0 = postmaster_cpu(pidfile), cpu_children(), time.time()
    procs = [subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
                              stdin=subprocess.PIPE, text=True) for _ in scripts]
    for p, sc in zip(procs, scripts):
        p.stdin.write(sc)
        p.stdin.close()
    rc = [p.wait() for p in procs]
    t1 = time.time()
    time.sleep(0.5)    # let the postmaster reap the backends
    if any(rc):
        sys.exit("load.py: a psql worker failed")
    return t1 - t0, cpu_children() - c0, postmaster_cpu(pidfile) - s0, 0.0


def tsv_rows(path, conv):
    with open(path) as f:
        for l in f:
            yield [conv(v) for v in l.rstrip("\n").split("\t")]


def num(v):
    if v == "\\N":
        return None
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def load_sqlite_agg(target, stage, first, last):
    """Runs and raw package rows by prepared inserts, summary rows by
    prepared upserts: what the C loader would do (here through Python's
    executemany, whose row conversion is timed as 'fill')."""
    tabs = agg_tables()
    db = sqlite3.connect(target, isolation_level=None)
    db.executescript(SQLITE_PRAGMAS)
    ins_run = "INSERT INTO runs (id, %s, ingested_at) VALUES (%s, unixepoch()) ON CONFLICT (uuid) DO NOTHING" % (
        RUN_COLS, ",".join("?" * 34))
    ins_rp = ("INSERT INTO run_package (day, run_id, package_id, import_us, flags, functions_used, by_name_id)"
              " VALUES (?,?,?,?,?,?,?)")
    ups = {t: upsert_sql(t, "VALUES (%s)" % ",".join("?" * (len(AGG_KEYS[t].split(",")) +
                                                            len(AGG_VALS[t].split())))) for t in tabs}
    fill = 0.0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    for b in range(first, last):
        d = os.path.join(stage, "b%06d" % b)
        db.execute("BEGIN")
        f0 = time.process_time()
        runs = list(tsv_rows(os.path.join(d, "runs.tsv"), unescape))
        rp = list(tsv_rows(os.path.join(d, "rp.tsv"), num))
        aggs = {t: list(tsv_rows(os.path.join(d, "agg", t + ".tsv"), num)) for t in tabs}
        fill += time.process_time() - f0
        db.executemany(ins_run, runs)
        if os.environ.get("NO_RAW") != "1":
            db.executemany(ins_rp, rp)
        for t in tabs:
            db.executemany(ups[t], aggs[t])
        db.execute("COMMIT")
    t1 = time.time()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    db.close()
    return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), 0.0, fill


# --- deltas: batches append, compact.sql folds them in once per ingest run ----

DLT_TABLES = ("d_pkg", "d_dep", "d_pres_pkg", "d_run")


def load_pg_dlt(url, stage, first, last, jobs, pidfile):
    scripts = []
    for j in range(jobs):
        s = [STAGING["pg"]]
        for b in range(first + j, last, jobs):
            d = os.path.join(stage, "b%06d" % b)
            rows = "\\copy run_package FROM '%s/rp.tsv'\n" % d + "".join(
                "\\copy %s FROM '%s/dlt/%s.tsv'\n" % (t, d, t) for t in DLT_TABLES)
            if os.environ.get("FAST") == "1":
                # The runs of the batch already stored are looked up first;
                # none: every row goes straight into its table. (The loader
                # drops the stored ones and sends the rest the same way; a
                # unique violation, when another loader stored one meanwhile,
                # rolls the batch back and it is tried again. This script
                # knows only all-new and all-stored batches.)
                s.append("BEGIN;\n\\copy st_uuids FROM '%s/uuids.tsv'\nANALYZE st_uuids;\n"
                         "SELECT COUNT(*) = 0 AS nodup FROM st_uuids s JOIN runs r"
                         " ON r.uuid = s.uuid AND r.day = s.day \\gset\n"
                         "\\if :nodup\n\\copy runs (id, %s) FROM '%s/runs.tsv'\n%s\\endif\n"
                         % (d, RUN_COLS, d, rows))
            else:
                s.append("BEGIN;\n\\copy st_runs FROM '%s/runs.tsv'\n%s" % (d, GATE["pg"]) + rows)
            s.append("COMMIT;\n")
        scripts.append("".join(s))
    s0, c0, t0 = postmaster_cpu(pidfile), cpu_children(), time.time()
    procs = [subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
                              stdin=subprocess.PIPE, text=True) for _ in scripts]
    for p, sc in zip(procs, scripts):
        p.stdin.write(sc)
        p.stdin.close()
    rc = [p.wait() for p in procs]
    t1 = time.time()
    time.sleep(0.5)
    if any(rc):
        sys.exit("load.py: a psql worker failed")
    return t1 - t0, cpu_children() - c0, postmaster_cpu(pidfile) - s0, 0.0


def load_sqlite_dlt(target, stage, first, last):
    db = sqlite3.connect(target, isolation_level=None)
    db.executescript(SQLITE_PRAGMAS)
    ins_run = "INSERT INTO runs (id, %s, ingested_at) VALUES (%s, unixepoch()) ON CONFLICT (uuid) DO NOTHING" % (
        RUN_COLS, ",".join("?" * 34))
    ins_rp = ("INSERT INTO run_package (day, run_id, package_id, import_us, flags, functions_used, by_name_id)"
              " VALUES (?,?,?,?,?,?,?)")
    ncols = {"d_pkg": 11, "d_dep": 5, "d_pres_pkg": 6, "d_run": 9}
    fill = 0.0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    for b in range(first, last):
        d = os.path.join(stage, "b%06d" % b)
        f0 = time.process_time()
        runs = list(tsv_rows(os.path.join(d, "runs.tsv"), unescape))
        rp = list(tsv_rows(os.path.join(d, "rp.tsv"), num))
        dl = {t: list(tsv_rows(os.path.join(d, "dlt", t + ".tsv"), num)) for t in DLT_TABLES}
        fill += time.process_time() - f0
        db.execute("BEGIN")
        db.executemany(ins_run, runs)
        db.executemany(ins_rp, rp)
        for t in DLT_TABLES:
            db.executemany("INSERT INTO %s VALUES (%s)" % (t, ",".join("?" * ncols[t])), dl[t])
        db.execute("COMMIT")
    t1 = time.time()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    db.close()
    return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), 0.0, fill


def compact(engine, target, pidfile):
    sql = open(os.path.join(HERE, "compact.sql")).read()
    if engine == "pg":
        sql = expand(sql, "pg").replace("@LOCK@", "LOCK TABLE %s IN EXCLUSIVE MODE;" % ", ".join(DLT_TABLES))
        s0, t0 = postmaster_cpu(pidfile), time.time()
        psql(target, stdin="BEGIN;\n" + sql + "COMMIT;\n")
        t1 = time.time()
        time.sleep(0.5)
        return t1 - t0, postmaster_cpu(pidfile) - s0
    sql = expand(sql, "sqlite").replace("@LOCK@", "")
    db = sqlite3.connect(target, isolation_level=None)
    db.executescript(SQLITE_PRAGMAS)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.time()
    db.execute("BEGIN")
    for st in statements(sql):
        db.execute(st)
    db.execute("COMMIT")
    t1, r1 = time.time(), resource.getrusage(resource.RUSAGE_SELF)
    db.close()
    return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def load_pg(url, stage, first, last, jobs, pidfile):
    batch = expand(open(os.path.join(HERE, "batch.sql")).read(), "pg")
    scripts = []
    for j in range(jobs):
        s = [STAGING["pg"]]
        for b in range(first + j, last, jobs):
            d = os.path.join(stage, "b%06d" % b)
            s.append("BEGIN;\n\\copy st_runs FROM '%s/runs.tsv'\n\\copy st_pkgs FROM '%s/pkgs.tsv'\n%s"
                     "COMMIT;\n" % (d, d, batch))
        scripts.append("".join(s))
    s0, c0, t0 = postmaster_cpu(pidfile), cpu_children(), time.time()
    procs = [subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
                              stdin=subprocess.PIPE, text=True) for _ in scripts]
    for p, s in zip(procs, scripts):
        p.stdin.write(s)
        p.stdin.close()
    rc = [p.wait() for p in procs]
    t1 = time.time()
    if any(rc):
        sys.exit("load.py: a psql worker failed")
    return t1 - t0, cpu_children() - c0, postmaster_cpu(pidfile) - s0, 0.0


def statements(sql):
    """The statements of an SQL text: split after each ';' ending a line
    (our SQL has no ';' inside a string), comments dropped."""
    lines = [l for l in sql.split("\n") if not l.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


def load_sqlite(target, stage, first, last):
    batch = expand(open(os.path.join(HERE, "batch.sql")).read(), "sqlite")
    db = sqlite3.connect(target, isolation_level=None)
    db.executescript(SQLITE_PRAGMAS)
    db.executescript(STAGING["sqlite"])
    fill = 0.0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    for b in range(first, last):
        d = os.path.join(stage, "b%06d" % b)
        f0 = time.time()
        db.execute("BEGIN")
        with open(os.path.join(d, "runs.tsv")) as f:
            db.executemany("INSERT INTO st_runs VALUES (%s)" % ",".join("?" * 34),
                           ([unescape(v) for v in l.rstrip("\n").split("\t")] for l in f))
        with open(os.path.join(d, "pkgs.tsv")) as f:
            db.executemany("INSERT INTO st_pkgs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           ([None if v == "\\N" else int(v) for v in l.rstrip("\n").split("\t")] for l in f))
        fill += time.time() - f0
        for st in statements(batch):
            db.execute(st)
        db.execute("DELETE FROM st_runs")
        db.execute("DELETE FROM st_pkgs")
        db.execute("DELETE FROM new_runs")
        db.execute("COMMIT")
    t1 = time.time()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    db.close()
    return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), 0.0, fill


def main():
    cmd, engine, target = sys.argv[1:4]
    if cmd == "init":
        init(engine, target)
    elif cmd == "ents":
        ents(engine, target, sys.argv[4])
    elif cmd == "compact":
        w, c = compact(engine, target, os.environ.get("PG_PIDFILE"))
        print("compact wall %.2f cpu %.2f load %s" % (w, c, open("/proc/loadavg").read().split()[0]))
    elif cmd == "profile":
        stage, first, last = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        names, times = (profile_pg if engine == "pg" else profile_sqlite)(target, stage, first, last)
        tot = [0.0] * len(names)
        for i, t in enumerate(times):
            tot[i % len(names)] += t
        for n, t in zip(names, tot):
            print("%10.1f ms  %s" % (t, n))
        print("%10.1f ms  total for %d batches" % (sum(tot), last - first))
    elif cmd == "load":
        stage, first, last = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        jobs = int(sys.argv[8]) if len(sys.argv) > 8 and sys.argv[7] == "--jobs" else 1
        runs, pkgs = count_batches(stage, first, last)
        mode = os.environ.get("AGG", "delta")
        if engine == "pg":
            f = {"server": load_pg, "upsert": load_pg_agg, "delta": load_pg_dlt}[mode]
            w, c, s, fill = f(target, stage, first, last, jobs, os.environ["PG_PIDFILE"])
        else:
            f = {"server": load_sqlite, "upsert": load_sqlite_agg, "delta": load_sqlite_dlt}[mode]
            w, c, s, fill = f(target, stage, first, last)
        print("batches %d runs %d packages %d wall %.2f client_cpu %.2f server_cpu %.2f"
              " fill %.2f pkg/s %.0f load %s" % (last - first, runs, pkgs, w, c, s, fill, pkgs / w,
                                                 open("/proc/loadavg").read().split()[0]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
