#!/bin/bash
test_description='a program that aborts inside malloc still leaves its record (the package filters never allocate)'
. "$(dirname "$0")/test-lib.sh"

# glibc's malloc aborts on a corrupted heap with its arena lock held (in a
# process that has had a second thread). The fatal-signal handler then
# filters the run's packages: with glibc's regexec, which builds its DFA
# states with malloc, it waited on that lock forever; with src/common/ere.c
# it allocates nothing (issue 12, item 3).

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test "${XALT_TEST_ASAN:-}" = 1 && { skip_all='ASan replaces malloc: there is no glibc arena lock to hold'; test_done; }

xalt_setup
ulimit -c 0

test_expect_success 'setup: a PKGS program that corrupts its heap, pkg lines that need the matcher' '
	xalt_write_config <<-\EOF &&
	path PKGS /heapabort$
	pkg * SKIP name ^_[a-z]+$
	pkg * KEEP path /(site|dist)-packages/[a-z]+$
	pkg * SKIP path .
	EOF
	cat >heapabort.c <<-\EOF &&
	#include <pthread.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	static void *nothing(void *arg) { return arg; }
	static void *zeros[8];
	int main(void)
	{
		const char *spool = getenv("XALT_SPOOL_DIR");
		char path[4096];
		void **a;
		pthread_t t;
		FILE *f;

		/* what a package hook would have noted */
		snprintf(path, sizeof(path), "%s/pkgs", spool ? spool : ".");
		f = fopen(path, "a");
		fputs("P\tpython\tnumpy\t1.26\t/x/site-packages/numpy\t5\n", f);
		fputs("P\tpython\t_priv\t\t/x/site-packages/_priv\t1\n", f);
		fputs("P\tpython\tmine\t\t/home/u/mine\t1\n", f);
		fclose(f);
		/* from now on malloc locks its arena */
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
		/* a freed chunk in the unsorted bin, its links pointing elsewhere */
		a = malloc(0x500);
		malloc(0x20);
		free(a);
		a[0] = a[1] = zeros;
		/* "malloc(): unsorted double linked list corrupted": abort with the lock held */
		return malloc(0x600) != NULL;
	}
	EOF
	cc -O0 -pthread -o heapabort heapabort.c &&
	XALT_CONFIG= ./heapabort 2>err;
	test $? = 134 && grep "corrupted" err
'

test_expect_success 'tracked: it dies of SIGABRT at once, with its record and filtered packages' '
	rm -rf "$XALT_FILE_PREFIX" &&
	LD_PRELOAD="${XALT_TEST_LIBASAN:-}" timeout -s KILL 30 "$XALT_PREFIX/bin/xalt" run -- ./heapabort 2>err;
	test $? = 134 &&
	rec=$(xalt_one_record) &&
	jq -c .exit "$rec" >actual &&
	echo "{\"how\":\"signal\",\"status\":null,\"signal\":6}" >expect &&
	test_cmp expect actual &&
	jq -r ".packages[].name" "$rec" >actual &&
	echo numpy >expect &&
	test_cmp expect actual
'

test_done
