#!/bin/bash
test_description='children: an exec gets its own uuid; a fork without exec writes nothing'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

test_expect_success 'setup: a parent that runs a child, and a forker' '
	cat >parent.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	#include <sys/wait.h>
	#include <unistd.h>
	int main(int argc, char **argv)
	{
		pid_t p;
		int st;
		printf("parent %s\n", getenv("XALT_RUN_UUID"));
		fflush(stdout);
		p = fork();
		if (p == 0) {
			execl(argv[1], argv[1], "child-arg", (char *)0);
			_exit(127);
		}
		waitpid(p, &st, 0);
		return WEXITSTATUS(st);
	}
	EOF
	cat >child.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	int main(void)
	{
		printf("child %s\n", getenv("XALT_RUN_UUID"));
		return 5;
	}
	EOF
	cat >forker.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	#include <sys/wait.h>
	#include <unistd.h>
	int main(void)
	{
		int st;
		pid_t p = fork();
		if (p == 0)
			exit(7);        /* runs exit handlers in the child */
		waitpid(p, &st, 0);
		return WEXITSTATUS(st) == 7 ? 0 : 1;
	}
	EOF
	cc -o parent parent.c && cc -o child child.c && cc -o forker forker.c
'

test_expect_success 'parent and exec-ed child: two records, two uuids' '
	xalt_tracked ./parent ./child >out;
	test $? = 5 &&
	test "$(xalt_records | wc -l)" = 2 &&
	pu=$(sed -n "s/^parent //p" out) && cu=$(sed -n "s/^child //p" out) &&
	test -n "$pu" && test -n "$cu" && test "$pu" != "$cu" &&
	for f in $(xalt_records); do jq -r "[.run_uuid, .cmdline[0], .exit.status] | @tsv" "$f"; done |
		sort >actual &&
	printf "%s\t./child\t5\n%s\t./parent\t5\n" "$cu" "$pu" | sort >expect &&
	test_cmp expect actual
'

test_expect_success 'fork without exec: only the parent records' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./forker &&
	rec=$(xalt_one_record) &&
	test "$(jq -r .exit.status "$rec")" = 0
'

test_done
