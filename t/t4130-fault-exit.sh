#!/bin/bash
test_description='faults: exec without fork, threads at exit, kill -9, exit from a signal handler, fork in Python'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

test_expect_success 'setup: test programs' '
	cat >execer.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	#include <unistd.h>
	int main(int argc, char **argv)
	{
		printf("first %s\n", getenv("XALT_RUN_UUID"));
		fflush(stdout);
		execv(argv[1], argv + 1);
		return 126;
	}
	EOF
	cat >second.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	int main(void)
	{
		printf("second %s\n", getenv("XALT_RUN_UUID"));
		return 6;
	}
	EOF
	cat >threads.c <<-\EOF &&
	#include <pthread.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	static void *spin(void *arg)
	{
		volatile unsigned long n = 0;
		for (;;) {
			n++;
			if (arg && n % 1000000 == 0)
				free(malloc(64));     /* the allocator busy at exit */
		}
		return NULL;
	}
	static void *exiter(void *arg)
	{
		(void)arg;
		usleep(20000);
		exit(9);                   /* a thread ends the process */
	}
	int main(int argc, char **argv)
	{
		pthread_t t;
		for (int i = 0; i < 4; i++)
			pthread_create(&t, NULL, spin, i % 2 ? "m" : NULL);
		if (argc > 1 && !strcmp(argv[1], "thread-exit")) {
			pthread_create(&t, NULL, exiter, NULL);
			pause();
		}
		usleep(20000);
		puts("main returns");
		return 4;
	}
	EOF
	cat >handler.c <<-\EOF &&
	#include <signal.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <unistd.h>
	static void on_term(int sig) { (void)sig; exit(3); }
	int main(void)
	{
		signal(SIGTERM, on_term);
		puts("ready");
		fflush(stdout);
		raise(SIGTERM);
		pause();
		return 0;
	}
	EOF
	cc -o execer execer.c && cc -o second second.c && cc -pthread -o threads threads.c &&
	cc -o handler handler.c
'

# Decided (docs/design.md, "Exit paths"): exec replaces the image before any
# exit path of the first one runs, so only the image that exits records.
# The first image's uuid is never seen again: one record, never two.
test_expect_success 'exec without fork: one record, the second image'"'"'s' '
	xalt_tracked ./execer ./second >out;
	test $? = 6 &&
	u1=$(sed -n "s/^first //p" out) && u2=$(sed -n "s/^second //p" out) &&
	test -n "$u1" && test -n "$u2" && test "$u1" != "$u2" &&
	rec=$(xalt_one_record) &&
	test "$(jq -r .run_uuid "$rec")" = "$u2" &&
	test "$(jq -r .cmdline[0] "$rec")" = ./second
'

test_expect_success PYTHON 'Python execs Python: one record; the first image'"'"'s spool is removed at once' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked /usr/bin/python3 -c "
import os, yaml
os.execv(\"/usr/bin/python3\", [\"python3\", \"-c\", \"import json; exit(8)\"])" >out; test $? = 8 &&
	rec=$(xalt_one_record) &&
	test "$(jq -r .cmdline[1] "$rec")" = -c &&
	! jq -r ".packages[].name" "$rec" | grep -x yaml &&
	test -z "$(ls -A "$XALT_SPOOL_BASE"/xalt-*)"
'

test_expect_success 'threads still running at exit: status and output kept, one record' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./threads >out; test $? = 4 &&
	echo "main returns" >expect && test_cmp expect out &&
	jq -e ".exit.how == \"exit\" and .exit.status == 4" "$(xalt_one_record)"
'

test_expect_success 'a thread calls exit while main waits: one record with its status' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./threads thread-exit >out; test $? = 9 &&
	jq -e ".exit.status == 9" "$(xalt_one_record)"
'

test_expect_success 'exit() from a signal handler: one record with that status' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./handler >out; test $? = 3 &&
	echo ready >expect && test_cmp expect out &&
	jq -e ".exit.how == \"exit\" and .exit.status == 3" "$(xalt_one_record)"
'

test_expect_success PYTHON 'kill -9: the next run recovers its record, with its packages' '
	rm -rf "$XALT_FILE_PREFIX" &&
	{ xalt_tracked /usr/bin/python3 -c "import os, yaml, time; open(\"pid\", \"w\").write(str(os.getpid())); time.sleep(30)" & } &&
	for i in $(seq 600); do test -s pid && break; sleep 0.1; done &&
	pid=$(cat pid) &&
	spool=$(ls -d "$XALT_SPOOL_BASE"/xalt-*/*.$pid) &&
	grep -q "yaml" "$spool/pkgs" &&
	kill -9 $pid && wait;
	test -d "$spool" &&
	test -z "$(xalt_records)" &&
	xalt_tracked /usr/bin/python3 -c "pass" &&
	! test -e "$spool" &&
	test $(xalt_records | wc -l) = 2 &&
	cat $(xalt_records) | jq -s -e "map(select(.exit.how == \"recovered\")) |
		length == 1 and any(.[0].packages[]; .name == \"yaml\")"
'

test_expect_success PYTHON 'a live run'"'"'s spool is left alone by another run'"'"'s end' '
	rm -rf "$XALT_FILE_PREFIX" &&
	rm -f pid &&
	{ xalt_tracked /usr/bin/python3 -c "import os, time; open(\"pid\", \"w\").write(str(os.getpid())); time.sleep(30)" & } &&
	for i in $(seq 600); do test -s pid && break; sleep 0.1; done &&
	pid=$(cat pid) && spool=$(ls -d "$XALT_SPOOL_BASE"/xalt-*/*.$pid) &&
	xalt_tracked /usr/bin/python3 -c "pass" &&
	test -d "$spool" &&
	xalt_one_record &&
	kill -9 $pid && wait;
	rm -rf "$spool"
'

# A forked child is part of the run (docs/design.md "Spool"): it sends no
# record of its own, and what it imports is the run's.
test_expect_success PYTHON 'Python fork without exec: the child sends no record; its imports are the run'"'"'s' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked /usr/bin/python3 -c "
import os, sys
pid = os.fork()
if pid == 0:
    import yaml
    sys.exit(0)
os.waitpid(pid, 0)
import json
print(\"parent done\")
sys.exit(2)" >out; test $? = 2 &&
	echo "parent done" >expect && test_cmp expect out &&
	rec=$(xalt_one_record) &&
	jq -e ".exit.status == 2" "$rec" &&
	jq -r ".packages[].name" "$rec" | grep -x yaml
'

test_done
