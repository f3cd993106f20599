#!/bin/bash
# `xalt recover` of 1,000 dead spools (issue 10's budget: <= 1 s). The spools
# are copies of one real run's (a tracked /usr/bin/python3 that imported
# yaml and was killed with SIGKILL), each under its own uuid with its start
# note's checksum made again; all are sampled (XALT_SAMPLING=no at the run)
# and go to file records. Timed: the wall time of one `xalt recover`, its
# median over REPEATS fresh sets. Run by bench/run.sh (make bench), which
# sets XALT_PREFIX and BENCH_TMP.
set -eu
N=${BENCH_RECOVER_SPOOLS:-1000}
REPEATS=${BENCH_RECOVER_REPEATS:-5}
XALT=$XALT_PREFIX/bin/xalt
export XALT_SPOOL_BASE=$BENCH_TMP/recover-shm XALT_FILE_PREFIX=$BENCH_TMP/recover-rec
mkdir -p "$XALT_SPOOL_BASE"
UDIR=$XALT_SPOOL_BASE/xalt-$(id -u)

# The template: one killed run's spool.
rm -f "$BENCH_TMP/pid"
XALT_SAMPLING=no "$XALT" run -- /usr/bin/python3 -c \
	"import os, yaml; open(\"$BENCH_TMP/pid\", \"w\").write(str(os.getpid())); os.kill(os.getpid(), 9)" || :
tpl=$(ls -d "$UDIR"/*.$(cat "$BENCH_TMP/pid"))
mv "$tpl" "$BENCH_TMP/template"

make_spools() {
	/usr/bin/python3 - "$BENCH_TMP/template" "$UDIR" "$N" "$(cat "$BENCH_TMP/pid")" <<-\PY
	import os, sys, uuid, zlib
	tpl, udir, n, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
	note = open(os.path.join(tpl, "start"), "rb").read()
	pkgs = open(os.path.join(tpl, "pkgs"), "rb").read()
	body = note[:note.rindex(b"end ")]
	old = [l for l in body.split(b"\n") if l.startswith(b"uuid ")][0][5:]
	for _ in range(n):
	    u = str(uuid.uuid4()).encode()
	    b = body.replace(old, u)
	    d = os.path.join(udir, u.decode() + "." + pid)
	    os.mkdir(d, 0o700)
	    with open(os.path.join(d, "start"), "wb") as f:
	        f.write(b + b"end %08x\n" % zlib.crc32(b))
	    with open(os.path.join(d, "pkgs"), "wb") as f:
	        f.write(pkgs)
	PY
}

echo "## xalt recover: 1,000 dead spools (budget <= 1 s)"
echo
echo "Each set: $N copies of a killed tracked \`python3 -c 'import yaml'\` run's spool (start"
echo "note + pkgs), all sampled, file transmission; \`time xalt recover\` once per set,"
echo "$REPEATS sets. Also the user and system CPU time of the same runs."
echo
times=()
for i in $(seq "$REPEATS"); do
	rm -rf "$XALT_FILE_PREFIX"
	make_spools
	s=$(date +%s%N)
	/usr/bin/time -f "%U %S" -o "$BENCH_TMP/cpu" "$XALT" recover >"$BENCH_TMP/out"
	e=$(date +%s%N)
	test "$(grep -c '^recovered' "$BENCH_TMP/out")" = "$N"
	test "$(find "$XALT_FILE_PREFIX" -name 'run.*.json' | wc -l)" = "$N"
	times+=("$(( (e - s) / 1000000 )) $(cat "$BENCH_TMP/cpu")")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$N" '
	{ w[NR] = $1; u[NR] = $2; s[NR] = $3 }
	END {
		m = int((NR + 1) / 2)
		print "| spools | median wall ms | min | max | user s | sys s (median run) |"
		print "|---|---|---|---|---|---|"
		printf "| %d | %d | %d | %d | %s | %s |\n", n, w[m], w[1], w[NR], u[m], s[m]
	}'
