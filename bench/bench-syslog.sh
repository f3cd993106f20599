#!/bin/bash
# Syslog transmission's budget (issue 5): sending the record through syslog
# adds at most +1 ms (median) to a tracked run over the same run with file
# transmission... measured against a real rsyslogd started here on a private
# socket (never /dev/log), writing to a file in the scratch dir.
set -eu
T=$BENCH_BIN/timer
LIB=$XALT_PREFIX/lib/libxalt_init.so
N=$BENCH_RUNS
RSYSLOGD=$(PATH=$PATH:/usr/sbin:/sbin command -v rsyslogd || true)

echo "## Syslog transmission"
echo
if test -z "$RSYSLOGD"; then
	echo "rsyslogd is not installed: not measured."
	exit 0
fi
D=$BENCH_TMP/syslog
mkdir -p "$D/work"
cat >"$D/rsyslog.conf" <<CONF
global(workDirectory="$D/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$D/log.sock" RateLimit.Interval="0")
*.* action(type="omfile" File="$D/out.log")
CONF
"$RSYSLOGD" -n -f "$D/rsyslog.conf" -i "$D/pid" >/dev/null 2>&1 &
RPID=$!
trap 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null || true' EXIT
for i in $(seq 100); do test -S "$D/log.sock" && break; sleep 0.1; done
{ cat "$XALT_PREFIX/etc/xalt.conf"; echo "syslog_socket = $D/log.sock"; } >"$D/xalt.conf"
ARGS=$(printf "argument-%04d " $(seq 400))     # ~6 KB of argv: a 7-chunk record
COMMON="LD_PRELOAD=$LIB,XALT_EXECUTABLE_TRACKING=yes,XALT_CONFIG=$D/xalt.conf,XALT_SAMPLING=no,XALT_FILE_PREFIX=$D/rec"

echo "rsyslogd $("$RSYSLOGD" -v | sed -n '1s/^rsyslogd *\([^ ]*\).*/\1/p') on a private imuxsock socket, omfile to"
echo "the scratch dir; \`trivial\` tracked (\`path KEEP .*\`), \`XALT_SAMPLING=no\`. The record is"
echo "about 1 KB (1-2 chunks) without arguments, and about 7 chunks of 900 B with"
echo "400 arguments (\`argument-0001 ...\`)."
for case in "1-chunk:" "7-chunk:$ARGS"; do
	label=${case%%:*}
	args=${case#*:}
	echo
	echo "### $label record (budget: syslog <= file + 1000 µs)"
	echo
	echo "\`$T -n $N -v none: -v file:$COMMON -v syslog:$COMMON,XALT_TRANSMISSION_STYLE=syslog -- $BENCH_BIN/trivial${args:+ \$ARGS}\`"
	echo
	echo "| variant | median µs | p10 | p90 | ratio | +µs |"
	echo "|---|---|---|---|---|---|"
	# shellcheck disable=SC2086
	rows=$("$T" -n "$N" -v "none:" -v "file:$COMMON" \
		-v "syslog:$COMMON,XALT_TRANSMISSION_STYLE=syslog" -- "$BENCH_BIN/trivial" $args)
	echo "$rows"
	echo
	echo "syslog - file = $(echo "$rows" | awk -F'|' '$2 ~ /file/ {f=$3; f10=$4} $2 ~ /syslog/ {s=$3; s10=$4} END {printf "%+d µs by medians, %+d µs by 10th percentiles", s-f, s10-f10}') (budget +1000 µs)."
done
sleep 1
echo
echo "Every syslog run's record, checked by \`xalt ingest --syslog\` afterwards (no chunk may be lost):"
echo
echo "    $("$XALT_PREFIX/bin/xalt" ingest --syslog --db "$D/db.sqlite" "$D/out.log" 2>&1 | head -1)"
