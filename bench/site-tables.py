#!/usr/bin/python3
"""Markdown tables from the raw measurements of bench/site-baseline.sh.

usage: site-tables.py RAW.tsv

RAW lines: what, engine, days, arg, wall_s, client_cpu_s, server_cpu_s, load1
(tab-separated). Repeated measurements are reduced to their median; the
load averages are shown as a range.
"""
import collections
import statistics
import sys


def med(v):
    return statistics.median(v) if v else float("nan")


def main():
    rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    m = collections.defaultdict(list)
    sizes, counts, loads = {}, {}, collections.defaultdict(list)
    corpus = ""
    for what, eng, days, arg, wall, ccpu, scpu, load in rows:
        if what == "corpus":
            corpus = arg
            continue
        if what == "size":
            sizes[(eng, int(days), arg)] = int(wall)
            continue
        if what == "rows":
            counts[(int(days), arg)] = int(wall)
            continue
        m[(what, eng, int(days), arg)].append((float(wall), float(ccpu), float(scpu)))
        loads[what].append(float(load))

    def cell(key):
        v = m.get(key)
        if not v:
            return "-"
        return "%.2f" % med([x[0] for x in v])

    def cpu(key):
        v = m.get(key)
        if not v:
            return "-"
        return "%.2f + %.2f" % (med([x[1] for x in v]), med([x[2] for x in v]))

    print("### Ingest throughput, one generated day (%s)\n" % corpus)
    npk = int(corpus.split("packages=")[1]) if "packages=" in corpus else 0
    print("| engine | wall (median) | all walls | package records/s | CPU client + server |")
    print("|---|---|---|---|---|")
    for what in ("ingest", "ingest-dup"):
        for eng in ("sqlite", "pg"):
            v = m.get((what, eng, 1, next((k[3] for k in m if k[0] == what), "")))
            if not v:
                continue
            w = med([x[0] for x in v])
            print("| %s%s | %.2f s | %s | %.0f | %.2f + %.2f s |" % (
                {"sqlite": "SQLite", "pg": "PostgreSQL"}[eng],
                " (all duplicates)" if what == "ingest-dup" else "", w,
                " ".join("%.2f" % x[0] for x in v), npk / w,
                med([x[1] for x in v]), med([x[2] for x in v])))
    print("\nload average (1 min) during these runs: %.2f-%.2f\n" % (
        min(loads["ingest"] + loads["ingest-dup"]), max(loads["ingest"] + loads["ingest-dup"])))

    days = sorted({k[2] for k in m if k[0] == "report"})
    print("### Daily ingest as the database grows (wall s per day)\n")
    dd = sorted({k[2] for k in m if k[0] == "day-ingest"})
    print("| day | runs/packages | SQLite | PostgreSQL | PostgreSQL / SQLite |")
    print("|---|---|---|---|---|")
    for d in dd:
        arg = next(k[3] for k in m if k[0] == "day-ingest" and k[2] == d)
        s = m[("day-ingest", "sqlite", d, arg)][0][0]
        p = m[("day-ingest", "pg", d, arg)][0][0]
        print("| %d | %s | %.2f | %.2f | %.2f |" % (d, arg, s, p, p / s))
    print("\nload average (1 min): %.2f-%.2f\n" % (min(loads["day-ingest"]), max(loads["day-ingest"])))

    print("### Reports (median wall s of the repeats; SQLite / PostgreSQL)\n")
    hdr = "| report | window |" + "".join(" %d days |" % d for d in days)
    print(hdr)
    print("|---|---|" + "---|" * len(days))
    reps = []
    for k in m:
        if k[0] == "report" and k[3] not in reps:
            reps.append(k[3])
    for r in reps:
        q, win = r.rsplit(" ", 1)
        line = "| `%s` | %s |" % (q, win)
        for d in days:
            line += " %s / %s |" % (cell(("report", "sqlite", d, r)), cell(("report", "pg", d, r)))
        print(line)
    print("\nload average (1 min) during the reports: %.2f-%.2f\n" % (min(loads["report"]), max(loads["report"])))

    print("### CPU of the reports at %d days (client + PostgreSQL server, s)\n" % days[-1])
    print("| report | window | SQLite | PostgreSQL |")
    print("|---|---|---|---|")
    for r in reps:
        q, win = r.rsplit(" ", 1)
        print("| `%s` | %s | %s | %s |" % (q, win, cpu(("report", "sqlite", days[-1], r)),
                                          cpu(("report", "pg", days[-1], r))))
    print()

    print("### Database size\n")
    print("| days | runs | package records | SQLite | B/package record | PostgreSQL | B/package record |")
    print("|---|---|---|---|---|---|---|")
    for d in days:
        runs, rp = counts.get((d, "runs"), 0), counts.get((d, "run_package"), 0)
        s, p = sizes.get(("sqlite", d, "db"), 0), sizes.get(("pg", d, "db"), 0)
        print("| %d | %d | %d | %.0f MB | %.0f | %.0f MB | %.0f |" % (
            d, runs, rp, s / 1e6, s / rp if rp else 0, p / 1e6, p / rp if rp else 0))
    d = days[-1]
    print("\nPer table at %d days (bytes with indexes; rows):\n" % d)
    print("| table | rows | SQLite | PostgreSQL |")
    print("|---|---|---|---|")
    tabs = sorted({k[2] for k in sizes if k[1] == d and k[2] != "db"},
                  key=lambda t: -sizes.get(("pg", d, t), 0))
    for t in tabs:
        print("| %s | %s | %.1f MB | %.1f MB |" % (t, counts.get((d, t), ""),
                                                  sizes.get(("sqlite", d, t), 0) / 1e6,
                                                  sizes.get(("pg", d, t), 0) / 1e6))


if __name__ == "__main__":
    main()
