#!/bin/bash
test_description='syslog transmission through a real rsyslogd, and xalt ingest --syslog'
. "$(dirname "$0")/test-lib.sh"

RSYSLOGD=$(PATH=$PATH:/usr/sbin:/sbin command -v rsyslogd)
test -n "$RSYSLOGD" || { skip_all='rsyslogd is not installed'; test_done; }
test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 is needed to check the database'; test_done; }

# Our own rsyslogd: a private socket in the trash dir (SysSock.Use="off" is
# the RainerScript form of $OmitLocalLogging on: /dev/log is never opened),
# rate limiting off as docs/syslog.md asks of sites, one omfile action in
# rsyslog's traditional format (time, host, tag[pid]: message).
SOCK=$TRASH_DIRECTORY/log.sock
LOG=$TRASH_DIRECTORY/syslog.out
mkdir -p rsyslog.d
cat >rsyslog.conf <<EOF
global(workDirectory="$TRASH_DIRECTORY/rsyslog.d" maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$SOCK" RateLimit.Interval="0" CreatePath="on")
*.* action(type="omfile" File="$LOG" template="RSYSLOG_TraditionalFileFormat")
EOF
"$RSYSLOGD" -n -f "$TRASH_DIRECTORY/rsyslog.conf" -i "$TRASH_DIRECTORY/rsyslog.pid" \
	>rsyslogd.out 2>&1 &
RSYSLOG_PID=$!
trap 'kill $RSYSLOG_PID 2>/dev/null; wait $RSYSLOG_PID 2>/dev/null' EXIT
for i in $(seq 600); do test -S "$SOCK" && break; sleep 0.1; done

xalt_setup
xalt_write_config "$XALT_CONFIG" <<EOF
syslog_socket = $SOCK
EOF
XALT_TRANSMISSION_STYLE=syslog
export XALT_TRANSMISSION_STYLE

# Chunk lines in the log for a run (rsyslog writes them as they arrive).
chunks_of() { grep -c "XALTCHUNK1 $1 " "$LOG"; }

# Wait until every run in uuids.txt has all its chunks in the log (60 s at
# most, by the clock: rsyslogd writes asynchronously, and on a loaded machine
# one look at the log can itself take seconds).
wait_for_log() {
	local u n end=$((SECONDS + 60))
	while test $SECONDS -lt $end; do
		n=0
		while read -r u; do
			c=$(grep -m1 "XALTCHUNK1 $u " "$LOG" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i == "XALTCHUNK1") print $(i + 3) }')
			test -n "$c" && test "$(chunks_of "$u")" -ge "$c" && n=$((n + 1))
		done <uuids.txt
		test "$n" = "$(wc -l <uuids.txt)" && return 0
		sleep 0.1
	done
	say_err "the log never got all chunks"
	return 1
}

test_expect_success 'rsyslogd is up on the private socket' '
	test -S "$SOCK" && kill -0 $RSYSLOG_PID
'

test_expect_success 'setup: a program that prints its run uuid' '
	cat >prog.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	int main(int argc, char **argv)
	{
		const char *u = getenv("XALT_RUN_UUID");
		printf("%s\n", u ? u : "untracked");
		return argc > 1 ? atoi(argv[1]) : 0;
	}
	EOF
	cc -o prog prog.c
'

test_expect_success 'tracked runs (5 chunks each): output and exit status unchanged, no record file' '
	: >uuids.txt &&
	long=$(printf "word%04d " $(seq 500)) &&
	for i in 0 1 2 3 4 5 6 7; do
		xalt_tracked ./prog $i "$long" >out; test $? = $i || return 1
		grep -E "^[0-9a-f-]{36}$" out >>uuids.txt || return 1
	done &&
	test "$(sort -u uuids.txt | wc -l)" = 8 &&
	test -z "$(xalt_records)" &&
	wait_for_log &&
	test "$(chunks_of "$(head -n1 uuids.txt)")" -ge 4
'

test_expect_success PYTHON 'a Python run with many imports: more than 20 chunks' '
	xalt_tracked /usr/bin/python3 -c "import os, numpy, yaml, json, email, http.client, xml.dom.minidom, sqlite3, decimal, csv, asyncio, ctypes; print(os.environ[\"XALT_RUN_UUID\"])" >out &&
	cat out >>uuids.txt &&
	wait_for_log &&
	n=$(chunks_of "$(cat out)") &&
	say_err "python record: $n chunks" &&
	test "$n" -gt 20
'

test_expect_success 'every message stays under 1 KiB, pure printable ASCII' '
	wait_for_log &&
	grep "XALTCHUNK1" "$LOG" | sed "s/^.*XALTCHUNK1/XALTCHUNK1/" >msgs &&
	awk "length(\$0) > 1000 { bad++ } END { exit bad > 0 }" msgs &&
	! LC_ALL=C grep -q "[^ -~]" msgs
'

test_expect_success 'ingest --syslog: every run lands exactly once' '
	wait_for_log &&
	"$XALT_PREFIX/bin/xalt" ingest --syslog --db db.sqlite "$LOG" >summary &&
	n=$(wc -l <uuids.txt) &&
	grep "^read $n, loaded $n, duplicate 0, rejected 0$" summary &&
	grep "runs complete $n, incomplete 0, corrupt 0;" summary &&
	sqlite3 db.sqlite "select uuid from runs" | sort >actual &&
	sort uuids.txt >expect &&
	test_cmp expect actual
'

test_expect_success PYTHON 'the Python run came whole: its packages and origin are stored' '
	u=$(tail -n1 uuids.txt) &&
	n=$(sqlite3 db.sqlite "select count(*) from run_package p join runs r on p.run_id = r.id where r.uuid = '\''$u'\''") &&
	say_err "python run: $n packages" &&
	test "$n" -gt 20 &&
	sqlite3 db.sqlite "select origin from runs where uuid = '\''$u'\''" | grep -q "^syslog:$LOG:[0-9]*$"
'

test_expect_success 'ingesting the same log again: all duplicates' '
	"$XALT_PREFIX/bin/xalt" ingest --syslog --db db.sqlite "$LOG" >summary &&
	n=$(wc -l <uuids.txt) &&
	grep "^read $n, loaded 0, duplicate $n, rejected 0$" summary
'

test_expect_success 'chunks split over two hosts files, shuffled: still one record each' '
	grep XALTCHUNK1 "$LOG" | awk "NR % 2" | tac >host1.log &&
	grep XALTCHUNK1 "$LOG" | awk "!(NR % 2)" | sed "s/ [^ ]* xalt\[/ other-node xalt[/" >host2.log &&
	"$XALT_PREFIX/bin/xalt" ingest --syslog --db split.sqlite host2.log host1.log >summary &&
	n=$(wc -l <uuids.txt) &&
	grep "^read $n, loaded $n, duplicate 0, rejected 0$" summary
'

# A hostile log, made from the real one: run 1 reversed and every chunk
# twice, run 2 missing a chunk, run 3 with one damaged byte, run 4 with a
# chunk truncated, interleaved with foreign lines; run 5 complete in order.
# The damage goes into each run's first chunk: it is always full size, where
# the last one may hold only a few bytes (cutting five of those would leave a
# malformed line, not a corrupt chunk, depending on the record's length).
test_expect_success 'damaged log: exact counts, nothing invented' '
	big=$(tail -n1 uuids.txt) &&
	u1=$(sed -n 1p uuids.txt) && u2=$(sed -n 2p uuids.txt) && u3=$(sed -n 3p uuids.txt) &&
	u4=$(sed -n 4p uuids.txt) &&
	{
		grep "XALTCHUNK1 $u1 " "$LOG" | tac
		echo "Nov 25 12:00:00 node sshd[1]: Accepted publickey for alice"
		grep "XALTCHUNK1 $u1 " "$LOG"
		grep "XALTCHUNK1 $u2 " "$LOG" | sed 1d
		grep "XALTCHUNK1 $u3 " "$LOG" | sed "1s/\"schema\"/\"schemb\"/"
		grep "XALTCHUNK1 $u4 " "$LOG" | sed "1s/.....\$//"
		echo "Nov 25 12:00:01 node xalt[2]: XALTCHUNK1 garbage"
		grep "XALTCHUNK1 $big " "$LOG"
	} >damaged.log &&
	test_must_fail "$XALT_PREFIX/bin/xalt" ingest --syslog --db damaged.sqlite damaged.log >summary 2>err &&
	cat summary err &&
	grep "^read 2, loaded 2, duplicate 0, rejected 0$" summary &&
	grep "runs complete 2, incomplete 1, corrupt 2; chunks duplicate $(chunks_of $u1), corrupt 2, malformed 1, conflicting 0$" summary &&
	grep "incomplete run $u2 " err &&
	grep "corrupt run $u3 " err &&
	grep "corrupt run $u4 " err &&
	sqlite3 damaged.sqlite "select uuid from runs" | sort >actual &&
	printf "%s\n" "$u1" "$big" | sort >expect &&
	test_cmp expect actual
'

test_expect_success 'usage: --syslog with --delete is refused, naming both' '
	test_expect_code() { "$@"; test $? = 2; } &&
	test_expect_code "$XALT_PREFIX/bin/xalt" ingest --syslog --delete --db x.sqlite "$LOG" 2>err &&
	grep -- "--syslog cannot be used with --delete" err
'

test_expect_success 'no daemon on the socket: the program is unaffected, no record file' '
	kill $RSYSLOG_PID && wait $RSYSLOG_PID 2>/dev/null;
	rm -f "$SOCK" &&
	xalt_tracked ./prog 7 >out; test $? = 7 &&
	grep -Eq "^[0-9a-f-]{36}$" out &&
	test -z "$(xalt_records)"
'

test_done
