#!/usr/bin/python3
"""Schema 2 prototype, step 3: the reports' queries over the summary tables,
timed on both engines, with three ways of counting distinct users.

usage: reports.py pg URL | sqlite FILE  END_DAY [REPEAT] [--explode]

END_DAY is the epoch day after the data; windows: all, the week and the 30
days before END_DAY. --explode first builds the day-level presence table
pres_pkg_day from pres_pkg (candidate "day"). One line per (report, window,
candidate): median ms of REPEAT executions in one session (the query alone:
psql's \\timing; sqlite3 in this process) and the number of rows returned.

Distinct-user candidates, all exact:
  mask   pres_pkg: one row per (32-day block, package, user, version,
         syshost) with a bitmask of the days; a window reads the blocks it
         overlaps and tests the mask (kept by batch.sql);
  day    pres_pkg_day: one row per (day, package, user, version, syshost);
  blkday whole blocks from pres_pkg without the mask test, the days at the
         window's edges from pres_pkg_day.
"""
import os
import sqlite3
import statistics
import subprocess
import sys
import time

BLK = 32
PSQL = "/usr/lib/postgresql/15/bin/psql"   # not Debian's Perl wrapper
# PostgreSQL's JIT compiled these queries for 2.4 s (libraries, 1 % of a
# year) to run them in 1.2 s: reports set it off (JIT=on to see it)
JIT = "" if os.environ.get("JIT") == "on" else "SET jit = off;\n"


def blocks(d0, d1):
    """Blocks overlapping [d0, d1) with the mask of their days in it; full blocks."""
    out = []
    for b in range(d0 // BLK, (d1 - 1) // BLK + 1):
        lo, hi = max(d0, b * BLK) - b * BLK, min(d1, b * BLK + BLK) - b * BLK
        out.append((b, ((1 << hi) - 1) ^ ((1 << lo) - 1)))
    full = [b for b, m in out if m == (1 << BLK) - 1]
    return out, full


def mask_cond(win):
    if win is None:
        return "1 = 1"
    bl, _ = blocks(*win)
    parts = ["(blk = %d AND days & %d <> 0)" % (b, m) if m != (1 << BLK) - 1 else "blk = %d" % b
             for b, m in bl]
    return "(" + " OR ".join(parts) + ")"


def counters(table, cols, win, where="1 = 1"):
    """Rows of the counters covering the window: full blocks from
    <table>_blk, the other days from <table>_day, all time from <table>_all."""
    if win is None:
        return "SELECT %s FROM %s_all WHERE %s" % (cols, table, where)
    d0, d1 = win
    _, full = blocks(d0, d1)
    if not full:
        return "SELECT %s FROM %s_day WHERE day >= %d AND day < %d AND %s" % (cols, table, d0, d1, where)
    f0, f1 = full[0] * BLK, (full[-1] + 1) * BLK
    return ("SELECT %s FROM %s_blk WHERE blk BETWEEN %d AND %d AND %s UNION ALL "
            "SELECT %s FROM %s_day WHERE ((day >= %d AND day < %d) OR (day >= %d AND day < %d)) AND %s"
            % (cols, table, full[0], full[-1], where, cols, table, d0, f0, f1, d1, where))


def users_pkg(win, cand, where="1 = 1", group="name_id"):
    if win is None and group == "name_id" and where == "1 = 1":
        if cand == "mask":   # all time: one row per (package, user)
            return "SELECT name_id, COUNT(*) AS users FROM pres_pkg_all GROUP BY name_id"
        cand = "mask"        # (the "blocks" variant: every block's rows)
    if cand == "mask" or win is None:
        return ("SELECT %s, COUNT(DISTINCT user_id) AS users FROM pres_pkg WHERE %s AND %s GROUP BY %s"
                % (group, mask_cond(win), where, group))
    d0, d1 = win
    if cand == "day":
        return ("SELECT %s, COUNT(DISTINCT user_id) AS users FROM pres_pkg_day"
                " WHERE day >= %d AND day < %d AND %s GROUP BY %s" % (group, d0, d1, where, group))
    _, full = blocks(d0, d1)
    if not full:
        return users_pkg(win, "day", where, group)
    f0, f1 = full[0] * BLK, (full[-1] + 1) * BLK
    return ("SELECT %s, COUNT(DISTINCT user_id) AS users FROM ("
            "SELECT %s, user_id FROM pres_pkg WHERE blk BETWEEN %d AND %d AND %s UNION ALL "
            "SELECT %s, user_id FROM pres_pkg_day WHERE ((day >= %d AND day < %d) OR (day >= %d AND day < %d))"
            " AND %s) x GROUP BY %s" % (group, group, full[0], full[-1], where, group, d0, f0, f1, d1,
                                        where, group))


def q_packages(win, cand):
    c = counters("sum_pkg", "name_id, runs, direct_runs, used_runs", win)
    return ("SELECT n.program, n.name, c.runs, c.direct_runs, c.used_runs, u.users FROM"
            " (SELECT name_id, SUM(runs) AS runs, SUM(direct_runs) AS direct_runs,"
            "  SUM(used_runs) AS used_runs FROM (%s) x GROUP BY name_id) c"
            " JOIN (%s) u ON u.name_id = c.name_id JOIN package_names n ON n.id = c.name_id"
            " ORDER BY n.program, c.runs DESC, u.users DESC, n.name" % (c, users_pkg(win, cand)))


def q_versions(win, cand, name_id):
    c = counters("sum_pkg", "version_id, runs", win, "name_id = %d" % name_id)
    u = users_pkg(win, cand, "name_id = %d" % name_id, "version_id")
    return ("SELECT v.version, c.runs, u.users FROM (SELECT version_id, SUM(runs) AS runs FROM (%s) x"
            " GROUP BY version_id) c JOIN (%s) u ON u.version_id = c.version_id"
            " JOIN versions v ON v.id = c.version_id ORDER BY c.runs DESC, v.version" % (c, u))


def q_conda(win, cand):
    c = counters("sum_kind", "user_id, kind, runs", win, "program = 'python'")
    return ("SELECT u.name, SUM(CASE WHEN kind = 'system' THEN runs ELSE 0 END) AS sys,"
            " SUM(CASE WHEN kind = 'venv' THEN runs ELSE 0 END) AS venv,"
            " SUM(CASE WHEN kind = 'conda' THEN runs ELSE 0 END) AS conda, SUM(runs) AS total"
            " FROM (%s) x JOIN users u ON u.id = x.user_id GROUP BY u.name ORDER BY total DESC, u.name" % c)


def q_import_time(win, cand):
    c = counters("sum_pkg", "name_id, import_runs, import_us", win)
    return ("SELECT n.program, n.name, SUM(import_runs) AS runs, SUM(import_us) AS us FROM (%s) x"
            " JOIN package_names n ON n.id = x.name_id GROUP BY n.program, n.name"
            " ORDER BY us DESC, n.program, n.name" % c)


def q_executables(win, cand):
    c = counters("sum_exec", "exec_id, runs, run_time", win)
    pres = "pres_exec_all p" if win is None and cand == "mask" else "pres_exec p"
    w = "1 = 1" if win is None else mask_cond(win)
    return ("SELECT c.path, c.runs, u.users, c.run_time FROM"
            " (SELECT e.path, SUM(runs) AS runs, SUM(run_time) AS run_time FROM (%s) x"
            "  JOIN executables e ON e.id = x.exec_id GROUP BY e.path) c JOIN"
            " (SELECT e.path, COUNT(DISTINCT p.user_id) AS users FROM %s"
            "  JOIN executables e ON e.id = p.exec_id WHERE %s GROUP BY e.path) u ON u.path = c.path"
            " ORDER BY c.runs DESC, c.path" % (c, pres, w))


def q_libraries(win, cand):
    c = counters("sum_lib", "library_id, runs", win)
    if win is None and cand == "mask":
        u = "SELECT library_id, COUNT(*) AS users FROM pres_lib_all GROUP BY library_id"
    else:
        u = ("SELECT library_id, COUNT(DISTINCT user_id) AS users FROM pres_lib WHERE %s"
             " GROUP BY library_id" % mask_cond(win))
    return ("SELECT l.path, c.runs, u.users FROM (SELECT library_id, SUM(runs) AS runs FROM (%s) x"
            " GROUP BY library_id) c JOIN (%s) u ON u.library_id = c.library_id"
            " JOIN libraries l ON l.id = c.library_id ORDER BY c.runs DESC, l.path" % (c, u))


def q_unused(win, cand):
    c = counters("sum_pkg", "name_id, runs, used_runs, used_known_runs", win)
    return ("SELECT n.program, n.name, SUM(runs) AS runs, SUM(used_known_runs) AS known,"
            " SUM(used_runs) AS used FROM (%s) x JOIN package_names n ON n.id = x.name_id"
            " GROUP BY n.program, n.name HAVING SUM(used_known_runs) > 0"
            " ORDER BY SUM(used_runs) * 1.0 / SUM(used_known_runs), runs DESC, n.name" % c)


def q_deps(win, cand, name_id):
    c = counters("sum_dep", "by_name_id, runs", win, "name_id = %d" % name_id)
    return ("SELECT n.name, SUM(runs) AS runs FROM (%s) x JOIN package_names n ON n.id = x.by_name_id"
            " GROUP BY n.name ORDER BY runs DESC, n.name" % c)


def q_user(win, uid):
    """--user: the per-user day rows (pres_pkg_day stands in for the design's
    sum_user_pkg_day: same key, plus run counts there)."""
    w = "" if win is None else " AND day >= %d AND day < %d" % win
    return ("SELECT n.program, n.name, COUNT(*) FROM pres_pkg_day x JOIN package_names n"
            " ON n.id = x.name_id WHERE x.user_id = %d%s GROUP BY n.program, n.name"
            " ORDER BY 3 DESC, n.name" % (uid, w))


def q_host(win, hid, pg):
    """--host: raw rows (runs by (host_id, day), then their package rows)."""
    w = "" if win is None else " AND r.day >= %d AND r.day < %d" % win
    part = " AND rp.day = r.day" if pg else ""
    return ("SELECT n.program, n.name, COUNT(*), COUNT(DISTINCT r.user_id) FROM runs r"
            " JOIN run_package rp ON rp.run_id = r.id%s JOIN packages p ON p.id = rp.package_id"
            " JOIN package_names n ON n.id = p.name_id WHERE r.host_id = %d%s"
            " GROUP BY n.program, n.name ORDER BY 3 DESC, n.name" % (part, hid, w))


class Engine:
    def __init__(self, kind, target):
        self.kind, self.target = kind, target

    def run(self, sql, repeat):
        """Median ms of REPEAT executions in one session (PostgreSQL: psql's
        \\timing, so the client's start and connection are not counted:
        starting a process cost 0.25-0.5 s on this loaded machine), rows."""
        if self.kind == "pg":
            out = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-d", self.target],
                                 input=JIT + "\\timing on\n" + (sql + ";\n") * repeat,
                                 text=True, capture_output=True)
            if out.returncode or out.stderr:
                sys.exit("reports.py: " + out.stderr + "\n" + sql)
            lines = out.stdout.splitlines()
            ts = [float(l.split()[1]) for l in lines if l.startswith("Time: ")]
            n = (len(lines) - len(ts)) // repeat
            return statistics.median(ts), n
        db = sqlite3.connect(self.target)
        db.execute("PRAGMA cache_size=-65536")
        ts = []
        for _ in range(repeat):
            t0 = time.time()
            n = len(db.execute(sql).fetchall())
            ts.append((time.time() - t0) * 1000)
        db.close()
        return statistics.median(ts), n

    def scalar(self, sql):
        if self.kind == "pg":
            return subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-d", self.target, "-c", sql],
                                  text=True, capture_output=True, check=True).stdout.strip()
        db = sqlite3.connect(self.target)
        v = db.execute(sql).fetchone()[0]
        db.close()
        return str(v)


def explode(e):
    """pres_pkg_day from pres_pkg: one row per set bit (candidate day)."""
    i = "BIGINT" if e.kind == "pg" else "INTEGER"
    norowid = "" if e.kind == "pg" else " WITHOUT ROWID"
    sql = ("DROP TABLE IF EXISTS pres_pkg_day; CREATE TABLE pres_pkg_day (day %s NOT NULL,"
           " name_id %s NOT NULL, user_id %s NOT NULL, version_id %s NOT NULL, syshost_id %s NOT NULL,"
           " PRIMARY KEY (day, name_id, user_id, version_id, syshost_id))%s;"
           " WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i < 31)"
           " INSERT INTO pres_pkg_day SELECT p.blk * 32 + b.i, p.name_id, p.user_id, p.version_id,"
           " p.syshost_id FROM pres_pkg p, b WHERE p.days & (CAST(1 AS %s) << b.i) <> 0"
           " ORDER BY 1, 2, 3, 4, 5;" % (i, i, i, i, i, norowid, i))
    sql += " CREATE INDEX pres_pkg_day_user ON pres_pkg_day (user_id, day);"
    if e.kind == "pg":
        subprocess.run([PSQL, "-X", "-q", "-d", e.target, "-c", sql + " ANALYZE pres_pkg_day"], check=True)
    else:
        db = sqlite3.connect(e.target)
        db.executescript(sql)
        db.close()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    kind, target, end = args[0], args[1], int(args[2])
    repeat = int(args[3]) if len(args) > 3 else 3
    e = Engine(kind, target)
    if "--explode" in sys.argv:
        explode(e)
    numpy = int(e.scalar("SELECT id FROM package_names WHERE program = 'python' AND name = 'numpy'"))
    six = int(e.scalar("SELECT id FROM package_names WHERE program = 'python' AND name = 'six'"))
    wins = {"all": None, "week": (end - 7, end), "month": (end - 30, end)}
    reports = [("packages", q_packages, True), ("versions numpy", lambda w, c: q_versions(w, c, numpy), True),
               ("conda", q_conda, False), ("import-time", q_import_time, False),
               ("executables", q_executables, False), ("libraries", q_libraries, False),
               ("unused", q_unused, False), ("deps six", lambda w, c: q_deps(w, c, six), False)]
    has_day = "--explode" in sys.argv or e.scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'pres_pkg_day'" if kind == "sqlite" else
        "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'pres_pkg_day'") != "0"
    heavy = int(e.scalar("SELECT user_id FROM sum_kind_all GROUP BY user_id ORDER BY SUM(runs) DESC LIMIT 1"))
    light = int(e.scalar("SELECT user_id FROM sum_kind_all GROUP BY user_id ORDER BY SUM(runs) DESC"
                         " LIMIT 1 OFFSET 200"))
    host = int(e.scalar("SELECT host_id FROM runs WHERE day = %d LIMIT 1" % (end - 1)))
    if has_day:
        reports += [("packages --user heavy", lambda w, c: q_user(w, heavy), False),
                    ("packages --user light", lambda w, c: q_user(w, light), False)]
    reports.append(("packages --host", lambda w, c: q_host(w, host, kind == "pg"), False))
    for name, q, users in reports:
        for wn, w in wins.items():
            if w is None:   # the all-time tables; every block's rows
                cands = ["mask", "blocks"] if users or name in ("executables", "libraries") else ["mask"]
            else:
                cands = ["mask", "day", "blkday"] if users and has_day else ["mask"]
            for c in cands:
                sql = q(w, c)
                t, n = e.run(sql, repeat)
                print("%s\t%s\t%s\t%s\t%.0f\t%d\t%s" % (kind, name, wn, c, t, n,
                                                        open("/proc/loadavg").read().split()[0]),
                      flush=True)


if __name__ == "__main__":
    main()
