#!/bin/bash
test_description='children: an exec gets its own uuid and its parent run; a fork without exec writes nothing'
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

# parent_run_uuid (issue 10 item 4): the XALT_RUN_UUID a run inherited.
test_expect_success 'the child names the parent run; the parent, started from a shell, names none' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./parent ./child >out;
	test $? = 5 &&
	pu=$(sed -n "s/^parent //p" out) &&
	for f in $(xalt_records); do jq -r "[.cmdline[0], .parent_run_uuid // \"none\"] | @tsv" "$f"; done |
		sort >actual &&
	printf "./child\t%s\n./parent\tnone\n" "$pu" >expect &&
	test_cmp expect actual
'

test_expect_success 'through an untracked program (SKIP) the child names the nearest tracked ancestor' '
	rm -rf "$XALT_FILE_PREFIX" &&
	cat >run-child.sh <<-EOF &&
	#!/bin/sh
	exec "$PWD/child"
	EOF
	chmod +x run-child.sh &&
	xalt_tracked ./parent ./run-child.sh >out;
	test $? = 5 &&
	pu=$(sed -n "s/^parent //p" out) &&
	test "$(xalt_records | wc -l)" = 2 &&
	for f in $(xalt_records); do jq -r "[.cmdline[0], .parent_run_uuid // \"none\"] | @tsv" "$f"; done |
		sort >actual &&
	printf "%s/child\t%s\n./parent\tnone\n" "$PWD" "$pu" | sort >expect &&
	test_cmp expect actual
'

for bad in "not-a-uuid" "../../etc/passwd" "0123456789ABCDEF0123456789ABCDEF0123" \
	   "01234567-89ab-cdef-0123-456789abcdef0" "01234567-89ab-cdef-0123-456789abcde" \
	   "0123456789abcdef0123456789abcdef0123" ""; do
	test_expect_success "an inherited XALT_RUN_UUID that is not a uuid is ignored: '$bad'" "
		rm -rf \"\$XALT_FILE_PREFIX\" &&
		XALT_RUN_UUID='$bad' xalt_tracked ./child >out;
		test \$? = 5 &&
		jq -e 'has(\"parent_run_uuid\") | not' \"\$(xalt_one_record)\" >/dev/null
	"
done

test_expect_success 'a well-formed inherited XALT_RUN_UUID is the parent run' '
	rm -rf "$XALT_FILE_PREFIX" &&
	XALT_RUN_UUID=01234567-89ab-4def-8123-456789abcdef xalt_tracked ./child >out;
	test $? = 5 &&
	jq -r .parent_run_uuid "$(xalt_one_record)" >actual &&
	echo 01234567-89ab-4def-8123-456789abcdef >expect &&
	test_cmp expect actual
'

test_expect_success 'fork without exec: only the parent records' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./forker &&
	rec=$(xalt_one_record) &&
	test "$(jq -r .exit.status "$rec")" = 0
'

test_done
