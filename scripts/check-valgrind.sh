#!/usr/bin/env bash
# make check-valgrind: the CLI tools under valgrind (memcheck, definite leaks
# are errors) on a small corpus: the committed fuzz seeds (valid and hostile
# records, a real rsyslog log with chunks), the shipped config, and a spool
# written by xalt_record_pkg. Any valgrind error fails the run; the tools' own
# exit statuses are checked too (1 is expected where input is rejected).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
XALT=$B/xalt
RP=$B/xalt_record_pkg
T=$(mktemp -d /tmp/xalt-valgrind.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
n=0

# vg WANT cmd...: run cmd under valgrind; WANT is the list of accepted exit codes.
vg() {
	local want=$1 rc
	shift
	n=$((n + 1))
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--log-file="$T/vg.$n" "$@" >"$T/out.$n" 2>"$T/err.$n"
	rc=$?
	if test -s "$T/vg.$n" || ! [[ " $want " == *" $rc "* ]]; then
		echo "FAIL (exit $rc, want $want): $*"
		cat "$T/vg.$n" "$T/err.$n" | head -40
		fails=$((fails + 1))
	else
		echo "ok   $*"
	fi
}

DB=$T/db.sqlite
vg "0" "$XALT" version
vg "0" "$XALT" config check etc/xalt.conf
vg "0" "$XALT" config show etc/xalt.conf
vg "1" "$XALT" config check fuzz/corpus/config/broken
vg "0" "$XALT" db init --db "$DB"
vg "1" "$XALT" ingest --quiet --db "$DB" fuzz/corpus/ingest/*
vg "0 1" "$XALT" ingest --syslog --db "$DB" fuzz/corpus/syslog/real-log
vg "1" "$XALT" ingest --syslog --db "$DB" fuzz/corpus/syslog/shuffled-dup fuzz/corpus/syslog/missing \
	fuzz/corpus/syslog/corrupt fuzz/corpus/syslog/malformed
for r in packages conda import-time executables libraries; do
	vg "0" "$XALT" report "$r" --db "$DB"
	vg "0" "$XALT" report "$r" --db "$DB" --format json
done
vg "0" "$XALT" report versions --db "$DB" numpy
vg "0" "$XALT" report html --db "$DB" "$T/report.html"
vg "2" "$XALT" ingest --bogus-option
vg "0" "$XALT" help
vg "127" "$XALT" run /nonexistent/command
# The build tree is no install (no lib/ beside bin/): doctor fails the
# library and skips the self-tests, after every other check has run.
XALT_CONFIG=etc/xalt.conf XALT_FILE_PREFIX=relative vg "1" "$XALT" doctor
XALT_CONFIG=etc/xalt.conf HOME=$T vg "1" "$XALT" doctor --format json

# xalt_record_pkg into a real spool dir of a fake run.
U=0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7
mkdir -m 700 -p "$T/shm/xalt-$(id -u)/$U.4242"
export XALT_SPOOL_BASE=$T/shm XALT_CONFIG=$PWD/etc/xalt.conf XALT_RUN_UUID=$U
vg "0" "$RP" -u "$U" program python package_name numpy package_version 1.0 \
	package_path /usr/lib/python3/dist-packages/numpy import_time 0.5
vg "0" "$RP" -u "$U" program R package_name "$(printf 'we\tird\\name\001')" package_path /x/site-library/w
vg "2" "$RP" -u "$U" program
vg "0" "$RP" --help

echo "valgrind: $((n - fails)) passed, $fails failed"
test "$fails" = 0
