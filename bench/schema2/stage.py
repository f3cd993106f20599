#!/usr/bin/python3
"""Schema 2 prototype, step 1 (not timed): run records -> staging rows.

Reads xalt-run/1 records, one per line (bench/gen-year's stream), and writes
what the schema 2 loader would send per batch: the entity rows it had to
create (OUT/ents/<table>.tsv, appended) and, per batch of --batch runs, in
PostgreSQL COPY text format, OUT/b<NNNNNN>/:
  runs.tsv    the runs (staging table st_runs, or runs itself)
  uuids.tsv   their uuid and day (the duplicate check)
  rp.tsv      their raw package rows, as run_package stores them
  pkgs.tsv    the package rows with the run's day, user and syshost
              (st_pkgs: the summaries computed by the server, batch.sql)
  agg/T.tsv   the batch's summary rows for each summary table T, computed
              here as the loader would in C (load.py upserts them)
  dlt/D.tsv   the batch's delta rows (the loader's aggregates before the
              32-day blocks and the library expansion), appended by the batch
              and folded into the summaries once per ingest (compact.sql)
Entity ids are resolved here as the real loader resolves them from its
caches; the state is kept in OUT/state.pickle so a year can be staged a few
days at a time.

usage: gen-year ... | stage.py [--batch N] OUT

Columns: see bench/schema2/schema-pg.sql (st_runs, st_pkgs).
"""
import argparse
import json
import os
import pickle
import sys

FLAG_DIRECT, FLAG_STARTUP, FLAG_USED, FLAG_USED_KNOWN = 1, 2, 4, 8
DLT_TABLES = ("d_pkg", "d_dep", "d_pres_pkg", "d_run")
AGG_TABLES = ("sum_pkg_day", "sum_pkg_blk", "sum_dep_day", "sum_dep_blk", "pres_pkg", "sum_exec_day",
              "sum_exec_blk", "pres_exec", "sum_kind_day", "sum_kind_blk", "sum_lib_day", "sum_lib_blk",
              "pres_lib")


def esc(s):
    if s is None:
        return "\\N"
    s = str(s)
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


def nulls_first(kv):
    return tuple((x is not None, 0 if x is None else x) for x in kv[0])


class Ents:
    TABLES = {
        "users": ("id", "name"), "syshosts": ("id", "name"), "hosts": ("id", "syshost_id", "host"),
        "executables": ("id", "path", "size", "mtime", "inode", "sha1", "program"),
        "libraries": ("id", "path"), "libsets": ("id", "hash", "nlibs"),
        "libset_library": ("libset_id", "library_id", "position"),
        "package_names": ("id", "program", "name"), "versions": ("id", "name_id", "version"),
        "packages": ("id", "name_id", "version_id", "path"),
    }

    def __init__(self):
        self.maps = {t: {} for t in self.TABLES}
        self.new = {t: [] for t in self.TABLES}

    def get(self, table, key, row=None):
        m = self.maps[table]
        i = m.get(key)
        if i is None:
            i = m[key] = len(m) + 1
            self.new[table].append((i,) + (row if row is not None else key))
        return i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--delta-only", action="store_true",
                    help="write runs, rp and dlt only (what AGG=delta loads)")
    ap.add_argument("out")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "ents"), exist_ok=True)
    state = os.path.join(a.out, "state.pickle")
    if os.path.exists(state):
        with open(state, "rb") as f:
            E, nbatch, run_id = pickle.load(f)
        E.new = {t: [] for t in Ents.TABLES}
    else:
        E, nbatch, run_id = Ents(), 0, 0
    runs, pkgs, seq = [], [], 0
    nruns = npkgs = 0

    rp = []
    agg = {t: {} for t in AGG_TABLES + DLT_TABLES}

    def add(t, key, vals):
        cur = agg[t].get(key)
        if cur is None:
            agg[t][key] = list(vals)
        else:
            for i, v in enumerate(vals):
                cur[i] += v

    def orbits(t, key, vals):
        cur = agg[t].get(key)
        if cur is None:
            agg[t][key] = list(vals)
        else:
            for i, v in enumerate(vals):
                cur[i] |= v

    def flush():
        nonlocal runs, pkgs, rp, nbatch, seq
        if not runs:
            return
        d = os.path.join(a.out, "b%06d" % nbatch)
        os.makedirs(os.path.join(d, "agg"), exist_ok=True)
        os.makedirs(os.path.join(d, "dlt"), exist_ok=True)
        with open(os.path.join(d, "uuids.tsv"), "w") as f:
            f.writelines("\t".join(l.split("\t", 3)[1:3]) + "\n" for l in runs)
        for name, rows in (("runs", runs), ("pkgs", pkgs), ("rp", rp)):
            if rows is not pkgs or not a.delta_only:
                with open(os.path.join(d, name + ".tsv"), "w") as f:
                    f.writelines(rows)
        for t, m in agg.items():
            if a.delta_only and t not in DLT_TABLES:
                m.clear()
                continue
            with open(os.path.join(d, "dlt" if t in DLT_TABLES else "agg", t + ".tsv"), "w") as f:
                f.writelines("\t".join(esc(v) for v in k + tuple(v)) + "\n" for k, v in sorted(m.items(), key=nulls_first))
            m.clear()
        nbatch += 1
        runs, pkgs, rp, seq = [], [], [], 0

    for line in sys.stdin:
        r = json.loads(line)
        day = int(r["start_time"] // 86400)
        uid = E.get("users", (r["user"],))
        sh = E.get("syshosts", (r["syshost"],))
        host = E.get("hosts", (sh, r["host"]))
        x = r["exec"]
        ex = E.get("executables", (x["path"], x.get("size", 0), x.get("mtime", 0), x.get("inode", 0),
                                   x.get("sha1") or "", x.get("program") or ""))
        libs = [E.get("libraries", (l["path"],)) for l in r.get("libraries") or []]
        ls = None
        if libs:
            key = tuple(libs)
            ls = E.maps["libsets"].get(key)
            if ls is None:
                ls = E.get("libsets", key, ("%032x" % (hash(key) & (2**128 - 1)), len(libs)))
                for pos, lib in enumerate(libs):
                    E.new["libset_library"].append((ls, lib, pos))
        ex_ = r.get("exit") or {}
        job = r.get("job") or {}
        it = r.get("interpreter") or {}
        run_id += 1
        runs.append("\t".join(esc(v) for v in (
            run_id, r["run_uuid"], day, uid, r.get("uid"), host, sh, ex, ls, r.get("cwd"),
            json.dumps(r.get("cmdline"), separators=(",", ":")), r["start_time"], r.get("end_time"),
            r.get("run_time"), ex_.get("how"), ex_.get("status"), ex_.get("signal"),
            (r.get("sampling") or {}).get("probability"),
            int(bool((r.get("sampling") or {}).get("forced"))), job.get("scheduler"), job.get("id"),
            job.get("ntasks"), job.get("nnodes"), job.get("rank"), r.get("omp_num_threads"),
            json.dumps(r.get("env"), separators=(",", ":"), sort_keys=True), it.get("program"),
            it.get("version"), it.get("kind"), it.get("prefix"), r.get("parent_run_uuid"),
            int(bool(r.get("packages_lost"))), "gen-year", len(r.get("packages") or []))) + "\n")
        bit, blk, rt = 1 << (day % 32), day // 32, r.get("run_time") or 0.0
        add("d_run", (day, sh, uid, ex, ls, it.get("program"), it.get("kind")), (1, rt))
        if not a.delta_only:
            add("sum_exec_day", (day, sh, ex), (1, rt))
            add("sum_exec_blk", (blk, sh, ex), (1, rt))
            orbits("pres_exec", (blk, ex, uid, sh), (bit,))
            if it.get("program"):
                add("sum_kind_day", (day, sh, uid, it["program"], it.get("kind") or ""), (1,))
                add("sum_kind_blk", (blk, sh, uid, it["program"], it.get("kind") or ""), (1,))
            for lib in set(libs):
                add("sum_lib_day", (day, sh, lib), (1,))
                add("sum_lib_blk", (blk, sh, lib), (1,))
                orbits("pres_lib", (blk, lib, uid, sh), (bit,))
        for p in r.get("packages") or []:
            nid = E.get("package_names", (p["program"], p["name"]))
            vid = E.get("versions", (nid, p.get("version") or ""))
            pid = E.get("packages", (vid, p.get("path") or ""), (nid, vid, p.get("path") or ""))
            fl = (FLAG_DIRECT if p.get("direct") else 0) | (FLAG_STARTUP if p.get("startup") else 0)
            if p.get("used") is not None:
                fl |= FLAG_USED_KNOWN | (FLAG_USED if p["used"] else 0)
            by = E.get("package_names", (p["program"], p["imported_by"])) if p.get("imported_by") else None
            t = p.get("import_time")
            us = None if t is None else int(t * 1e6 + 0.5)
            fu = p.get("functions_used")
            rp.append("%d\t%d\t%d\t%s\t%d\t%s\t%s\n" % (
                day, run_id, pid, "\\N" if us is None else us, fl, "\\N" if fu is None else fu,
                "\\N" if by is None else by))
            c = (1, fl & 1, (fl >> 1) & 1, (fl >> 2) & 1, (fl >> 3) & 1, 0 if us is None else 1, us or 0)
            add("d_pkg", (day, sh, vid, nid), c)
            orbits("d_pres_pkg", (day, nid, uid, vid, sh), (fl & 1,))
            if by is not None:
                add("d_dep", (day, sh, nid, by), (1,))
            npkgs += 1
            if a.delta_only:
                continue
            add("sum_pkg_day", (day, sh, vid, nid), c)
            add("sum_pkg_blk", (blk, sh, vid, nid), c)
            if by is not None:
                add("sum_dep_day", (day, sh, nid, by), (1,))
                add("sum_dep_blk", (blk, sh, nid, by), (1,))
            orbits("pres_pkg", (blk, nid, uid, vid, sh), (bit, bit * (fl & 1)))
            pkgs.append("%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%s\t%s\n" % (
                run_id, day, uid, sh, pid, vid, nid, "\\N" if t is None else int(t * 1e6 + 0.5), fl,
                "\\N" if p.get("functions_used") is None else p["functions_used"],
                "\\N" if by is None else by))
        seq += 1
        nruns += 1
        if seq == a.batch:
            flush()
    flush()
    for t, rows in E.new.items():
        if rows:
            with open(os.path.join(a.out, "ents", t + ".tsv"), "a") as f:
                f.writelines("\t".join(esc(v) for v in row) + "\n" for row in rows)
    with open(state + ".tmp", "wb") as f:
        pickle.dump((E, nbatch, run_id), f)
    os.replace(state + ".tmp", state)
    print("runs %d packages %d batches %d" % (nruns, npkgs, nbatch), file=sys.stderr)


if __name__ == "__main__":
    main()
