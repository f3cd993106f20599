#!/usr/bin/python3
"""A random corpus of xalt-run/1 records for the summary property test (t3120).

usage: random-corpus.py SEED RUNS OUTDIR [MORE_USERS]

Deterministic for a SEED. Small worlds so that keys collide: a few users,
two clusters, executables sharing a path, packages with versions (some
unknown), the direct/used/startup/imported_by fields present, absent or
null, import and run times with odd fractions (or none), library lists with
a library twice or none. Start times fall on days around two 32-day block
edges (and before 1970), so windows cross blocks. Some records are written
twice (another file name, same run). Prints the first and last start day
(days since the epoch) on stdout. MORE_USERS adds that many users, so user
ids span several words of the presence tables (64 users each).
"""
import json
import os
import random
import sys

seed, nruns, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
more_users = int(sys.argv[4]) if len(sys.argv) > 4 else 0
rnd = random.Random(seed)
USERS = ["alice", "bob", "carol", "dave", "eve", "mallory"] + ["u%03d" % i for i in range(more_users)]
HOSTS = [("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"), ("beta", "b2"), ("gamma", "a1")]
EXECS = [("/usr/bin/python3.11", 1), ("/usr/bin/python3.11", 2), ("/usr/bin/Rscript", 1),
         ("/opt/app/bin/sim", 1), ("/home/u/a.out", 7)]
PKGS = {"python": ["numpy", "scipy", "pandas", "requests", "yaml", "six", "torch"],
        "R": ["ggplot2", "dplyr", "Rcpp", "MASS"]}
VERS = ["1.0", "1.1", "2.0", ""]
LIBS = ["/lib/libc.so.6", "/lib/libm.so.6", "/lib/libz.so.1", "/opt/lib/libmpi.so.40"]
# day 20480 = 640 blocks of 32: runs on days 20470..20520 cross two block edges;
# a few at days -40..-20 (before 1970) cross the edge at -32
days = list(range(20470, 20521)) + list(range(-40, -19))


def maybe(v, p_absent=0.2, p_null=0.1):
    x = rnd.random()
    return "absent" if x < p_absent else None if x < p_absent + p_null else v


def record(n):
    user = rnd.choice(USERS)
    syshost, host = rnd.choice(HOSTS)
    path, size = rnd.choice(EXECS)
    day = rnd.choice(days) if rnd.random() < 0.9 else rnd.choice(days[-21:])
    start = day * 86400 + rnd.choice([0, 0.25, 3600.5, 86399.75, rnd.uniform(0, 86399)])
    r = {"schema": "xalt-run/1", "run_uuid": "%08x-0000-4000-8000-%012x" % (seed, n),
         "syshost": syshost, "host": host, "user": user, "uid": 1000 + USERS.index(user),
         "exec": {"path": path, "size": size, "mtime": 1700000000, "inode": 5, "sha1": None,
                  "program": None, "track": "KEEP"},
         "cwd": "/home/" + user, "cmdline": ["x", str(n)], "start_time": start,
         "end_time": start + 10, "exit": {"how": "exit", "status": 0, "signal": 0},
         "sampling": {"probability": 1.0, "forced": True}, "env": {}}
    rt = rnd.choice([10.5, 0.0015, 0.0005, rnd.uniform(0, 5000), round(rnd.uniform(0, 99), 3), None])
    if rt is not None:
        r["run_time"] = rt
    libs = rnd.choice([[], LIBS[:2], LIBS[1:], [LIBS[0], LIBS[0], LIBS[2]], LIBS])
    if libs:
        r["libraries"] = [{"path": p} for p in libs]
    prog = rnd.choice(["python", "python", "R", None])
    if prog:
        r["interpreter"] = {"program": prog, "version": "3.12.1",
                            "kind": rnd.choice(["system", "venv", "conda"]), "prefix": "/usr"}
        names = rnd.sample(PKGS[prog], rnd.randint(0, len(PKGS[prog])))
        pk = []
        for i, name in enumerate(names):
            p = {"program": prog, "name": name, "path": "/p/%s/%d" % (name, rnd.randint(0, 1))}
            v = rnd.choice(VERS)
            if v:
                p["version"] = v
            if rnd.random() < 0.8:
                p["import_time"] = rnd.choice([0.084211, 1e-6, rnd.uniform(0, 2)])
            for key in ("direct", "used", "startup"):
                val = maybe(rnd.random() < 0.5)
                if val != "absent":
                    p[key] = val
            if i and rnd.random() < 0.5:
                p["imported_by"] = rnd.choice(names[:i])
            pk.append(p)
        r["packages"] = pk
    return r


os.makedirs(out, exist_ok=True)
for n in range(nruns):
    r = record(n)
    text = json.dumps(r)
    d = os.path.join(out, "d%d" % (n % 4))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "run.%d.%s.json" % (n, r["run_uuid"])), "w") as f:
        f.write(text)
    if rnd.random() < 0.05:   # the same run in a second file
        with open(os.path.join(d, "run.%d.copy.%s.json" % (n, r["run_uuid"])), "w") as f:
            f.write(text)
print(min(days), max(days))
