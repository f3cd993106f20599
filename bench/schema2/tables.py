#!/usr/bin/python3
"""Markdown tables from bench/schema2/run.sh's log (WORK/run.log).

usage: tables.py RUN.LOG
"""
import collections
import sys


def main():
    loads, folds, sizes = {}, {}, collections.defaultdict(dict)
    rep = collections.defaultdict(dict)
    order = []
    for line in open(sys.argv[1]):
        w = line.split()
        if not w:
            continue
        if w[0] == "load":
            kv = dict(zip(w[3::2], w[4::2])) if w[1] == "sqlite" else dict(zip(w[4::2], w[5::2]))
            loads[(w[1], int(w[2]))] = kv
        elif w[0] == "compact":
            folds[(w[1], int(w[2]))] = dict(zip(w[4::2], w[5::2]))
        elif w[0] == "size":
            sizes[(w[1], int(w[2]))][w[3]] = int(w[4])
        elif w[0] == "report":
            f = line.rstrip("\n").split("\t")
            cp, eng = f[0].split()[1:3]
            key = (f[1], f[2], f[3])
            if key not in order:
                order.append(key)
            rep[key][(eng, int(cp))] = int(f[4])
    cps = sorted({k[1] for k in loads})

    print("| step (days) | engine | runs | package records | load wall | load CPU | fold wall | fold CPU |"
          " package records/s (load) | with the fold (CPU) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cp in cps:
        for eng in ("pg", "sqlite"):
            l, f = loads.get((eng, cp)), folds.get((eng, cp))
            if not l:
                continue
            cpu = float(l["server_cpu"]) if eng == "pg" else float(l["client_cpu"]) - float(l["fill"])
            print("| %d | %s | %s | %s | %s s | %.1f s | %s s | %s s | %.0f | %.0f |" % (
                cp, {"pg": "PostgreSQL", "sqlite": "SQLite"}[eng], l["runs"], l["packages"], l["wall"], cpu,
                f["wall"], f["cpu"], float(l["packages"]) / float(l["wall"]),
                float(l["packages"]) / (cpu + float(f["cpu"]))))
    print()
    print("| report | window | candidate |" + "".join(" %d d PG | %d d SQLite |" % (c, c) for c in cps))
    print("|---|---|---|" + "---|---|" * len(cps))
    for key in order:
        cells = "".join(" %s | %s |" % (rep[key].get(("pg", c), "-"), rep[key].get(("sqlite", c), "-"))
                        for c in cps)
        print("| `%s` | %s | %s |%s" % (key[0], key[1], key[2], cells))
    print()
    print("| days | engine | total | raw (runs, run_package) | entities | summaries | B per package record |")
    print("|---|---|---|---|---|---|---|")
    for (eng, cp), t in sorted(sizes.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        tot = sum(t.values())
        raw = t.get("runs", 0) + t.get("run_package", 0)
        summ = sum(v for k, v in t.items() if k.startswith(("sum_", "pres_", "d_")))
        ent = tot - raw - summ
        pk = sum(int(loads[(eng, c)]["packages"]) for c in cps if c <= cp and (eng, c) in loads)
        print("| %d | %s | %.0f MB | %.0f MB | %.0f MB | %.0f MB | %.0f |" % (
            cp, eng, tot / 1e6, raw / 1e6, ent / 1e6, summ / 1e6, tot / pk))


if __name__ == "__main__":
    main()
