#!/usr/bin/env bash
# The README's main job, start to end: build, install into a temporary prefix,
# track a small real Python and R workload with `xalt run` (every run kept:
# XALT_SAMPLING=no), ingest the records into SQLite, print the packages report.
#
# usage: scripts/demo.sh [--keep]     (--keep: leave the temp dir and say where)
# Installs what it needs first with scripts/deps.sh (root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=no
test "${1:-}" = --keep && keep=yes
work=$(mktemp -d /tmp/xalt-demo.XXXXXX)
test $keep = yes || trap 'rm -rf "$work"' EXIT

echo "== Debian packages (scripts/deps.sh)"
scripts/deps.sh >/dev/null
echo "== build and install into $work/prefix"
make -j2 >/dev/null
make --no-print-directory install PREFIX="$work/prefix" >/dev/null
xalt=$work/prefix/bin/xalt
export XALT_FILE_PREFIX=$work/records XALT_SAMPLING=no

echo "== track a small workload"
"$xalt" run -- /usr/bin/python3 -c 'import json, numpy, yaml; print("python:", numpy.arange(4).sum(), yaml.safe_dump({"a": 1}).strip(), json.dumps([1]))'
"$xalt" run -- /usr/bin/python3 -c 'import json, yaml; yaml.safe_load("b: 2")'
"$xalt" run -- /usr/bin/python3 -c 'import numpy; numpy.zeros(3)'
if command -v Rscript >/dev/null; then
	"$xalt" run -- Rscript -e 'suppressMessages(library(jsonlite)); library(digest); cat("R:", toJSON(1:2), digest("x", algo = "crc32"), "\n")'
	"$xalt" run -- Rscript -e 'library(magrittr); library(R6); invisible(1:3 %>% sum)'
else
	echo "(Rscript not found: no R runs)"
fi
echo "records: $(find "$XALT_FILE_PREFIX" -name 'run.*.json' | wc -l) in $XALT_FILE_PREFIX"

echo "== ingest into SQLite"
"$xalt" ingest --db "$work/xalt.db" "$XALT_FILE_PREFIX"

echo "== xalt report packages"
"$xalt" report packages --db "$work/xalt.db"
echo "== xalt report versions numpy"
"$xalt" report versions numpy --db "$work/xalt.db"
test $keep = yes && echo "kept: $work (database $work/xalt.db)"
exit 0
