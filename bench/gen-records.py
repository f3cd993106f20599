#!/usr/bin/python3
"""Generate a realistic synthetic corpus of xalt-run/1 records (docs/records.md).

Used by bench/bench-ingest.sh (ingest throughput) and by hand. Deterministic
for a given --seed. Shape, after what centres running XALT have published
(TACC, NERSC: about 30 % of users run Python, mostly from their own conda envs):
  - users and nodes on two clusters; a few heavy users make most runs;
  - ~85 % interpreter runs (Python mostly, some R), the rest compiled programs;
  - Python interpreters: system, venv or conda (most Python runs from conda);
  - package popularity Zipf-like (s = 1.1) over real package names plus a tail;
    1-4 versions per package, import time log-normal;
  - 15-40 shared libraries per run drawn from per-program sets (so library sets
    repeat, as on a real cluster).

usage: gen-records.py [--runs N] [--packages-per-run M] [--users U] [--seed S]
                      [--days D] [--start EPOCH] OUTDIR
Writes OUTDIR/dNNNN/run.<time>.<uuid>.json (1000 files per directory) and
prints "runs R packages P" on stdout.
"""
import argparse
import json
import os
import random
import time
import uuid

PY = ("numpy scipy pandas matplotlib json yaml requests torch tensorflow sklearn h5py "
      "mpi4py netCDF4 xarray dask numba sympy seaborn jinja2 click tqdm pytest setuptools "
      "urllib3 six packaging cython astropy pillow networkx statsmodels numexpr tables "
      "pyarrow boto3 lxml bs4 joblib psutil cffi mpmath zmq ipykernel jupyter_core "
      "transformers keras jax flax optax").split()
R = ("jsonlite digest magrittr R6 ggplot2 dplyr tidyr data.table Rcpp stringr readr "
     "purrr tibble lubridate shiny knitr rmarkdown devtools lme4 survival Matrix MASS "
     "caret randomForest xgboost").split()


def zipf_table(names, s):
    w = [1.0 / (i + 1) ** s for i in range(len(names))]
    return names, w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100000)
    ap.add_argument("--packages-per-run", type=float, default=11.8)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", type=float, default=1764000000.0)
    ap.add_argument("outdir")
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    py_names = PY + ["pkg%03d" % i for i in range(400)]
    r_names = R + ["rpkg%03d" % i for i in range(100)]
    py_pop = zipf_table(py_names, 1.1)
    r_pop = zipf_table(r_names, 1.1)
    versions = {}
    for n in py_names + r_names:
        major = rnd.randint(0, 3)
        versions[n] = ["%d.%d.%d" % (major, rnd.randint(0, 30), rnd.randint(0, 9))
                       for _ in range(rnd.randint(1, 4))]
    users = ["user%03d" % i for i in range(a.users)]
    user_w = [1.0 / (i + 1) ** 0.9 for i in range(a.users)]
    hosts = [("frontera", "c%03d-%03d.frontera" % (i // 40, i % 40)) for i in range(96)] + \
            [("stampede", "s%03d.stampede" % i) for i in range(32)]
    libpool = ["/lib/x86_64-linux-gnu/lib%s.so.%d" % (n, v) for n in
               "c m dl pthread rt z bz2 lzma ffi ssl crypto util expat gfortran quadmath "
               "gomp stdc++ gcc_s blas lapack openblas hdf5 netcdf mpi fabric ucx numa "
               "curl xml2 icuuc sqlite3 readline tinfo pcre2-8 uuid".split() for v in (1, 2)]
    programs = []
    for kind, exe, prefix in (("system", "/usr/bin/python3.11", "/usr"),
                              ("conda", "/home/%s/miniconda3/envs/ml/bin/python3.10", "/home/%s/miniconda3/envs/ml"),
                              ("venv", "/work/%s/venv/bin/python3", "/work/%s/venv")):
        programs.append(("python", kind, exe, prefix))
    compiled = ["/opt/apps/gromacs/2023/bin/gmx_mpi", "/opt/apps/lammps/bin/lmp",
                "/work/%s/bin/a.out", "/opt/apps/vasp/6.4/bin/vasp_std"]
    libsets = [sorted(rnd.sample(libpool, rnd.randint(15, 40))) for _ in range(40)]

    os.makedirs(a.outdir, exist_ok=True)
    span = a.days * 86400.0
    npk = 0
    mean = a.packages_per_run
    for i in range(a.runs):
        user = rnd.choices(users, user_w)[0]
        syshost, host = rnd.choice(hosts)
        start = a.start + span * i / a.runs + rnd.random()
        run_time = rnd.lognormvariate(2.0, 1.5)
        u = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        roll = rnd.random()
        rec = {
            "schema": "xalt-run/1", "run_uuid": u, "syshost": syshost, "host": host,
            "user": user, "uid": 1000 + users.index(user),
            "cwd": "/home/%s/proj" % user,
            "start_time": round(start, 6), "end_time": round(start + run_time, 6),
            "run_time": round(run_time, 6),
            "exit": {"how": "exit", "status": 0 if rnd.random() < 0.95 else 1, "signal": 0},
            "sampling": {"probability": 1.0, "forced": False},
            "job": {"scheduler": "slurm", "id": str(4000000 + i // 7), "ntasks": 1,
                    "nnodes": 1, "rank": 0},
            "env": {"SLURM_JOB_PARTITION": rnd.choice(["normal", "development", "gpu"])},
            "libraries": [{"path": p} for p in rnd.choice(libsets)],
        }
        if roll < 0.15:
            exe = rnd.choice(compiled).replace("%s", user)
            rec["exec"] = {"path": exe, "size": 1000000 + len(exe), "mtime": 1700000000,
                           "inode": 1000 + len(exe), "sha1": None, "program": None, "track": "KEEP"}
            rec["cmdline"] = [exe, "-in", "input.dat"]
            rec["packages"] = []
        else:
            if roll < 0.75:
                prog, pop = "python", py_pop
                # NERSC: most Python runs come from users' own conda envs
                _, kind, exe, prefix = rnd.choices(programs, [0.25, 0.55, 0.2])[0]
                exe, prefix = exe.replace("%s", user), prefix.replace("%s", user)
                ver = {"system": "3.11.2", "conda": "3.10.13", "venv": "3.11.2"}[kind]
            else:
                prog, pop, kind = "R", r_pop, "system"
                exe, prefix, ver = "/usr/lib/R/bin/exec/R", "/usr/lib/R", "4.2.2"
            rec["exec"] = {"path": exe, "size": 6831704, "mtime": 1700000000, "inode": 4242,
                           "sha1": None, "program": prog, "track": "PKGS"}
            rec["cmdline"] = [os.path.basename(exe), "script.%s" % ("py" if prog == "python" else "R")]
            rec["interpreter"] = {"program": prog, "version": ver, "kind": kind, "prefix": prefix}
            k = max(1, min(len(pop[0]), int(rnd.expovariate(1.0 / mean)) + 1))
            names = set()
            while len(names) < k:
                names.update(rnd.choices(pop[0], pop[1], k=k - len(names)))
            pk = []
            for n in sorted(names):
                v = versions[n][int(rnd.random() ** 2 * len(versions[n]))]
                pk.append({"program": prog, "name": n, "version": v if rnd.random() < 0.9 else None,
                           "path": "%s/lib/site-packages/%s" % (prefix, n),
                           "import_time": round(rnd.lognormvariate(-5, 1.2), 6)})
            rec["packages"] = pk
            npk += len(pk)
        d = os.path.join(a.outdir, "d%04d" % (i // 1000))
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(start)) + ".%06dZ" % int((start % 1) * 1e6)
        with open(os.path.join(d, "run.%s.%s.json" % (stamp, u)), "w") as f:
            json.dump(rec, f, separators=(",", ":"))
    print("runs %d packages %d" % (a.runs, npk))


if __name__ == "__main__":
    main()
