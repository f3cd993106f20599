#!/bin/bash
test_description='runs that must not be tracked leave no record and no file'
. "$(dirname "$0")/test-lib.sh"

xalt_setup

test_expect_success 'setup: a program in a SKIP dir and one elsewhere' '
	printf "int main(void) { return 0; }\n" >p.c &&
	mkdir -p skipdir keepdir &&
	cc -o skipdir/prog p.c && cp skipdir/prog keepdir/prog &&
	echo "path SKIP ^$PWD/skipdir/" | xalt_write_config skip.conf
'

nothing_left() {
	test -z "$(xalt_records)" &&
	test -z "$(find "$XALT_SPOOL_BASE" -mindepth 2)"
}

test_expect_success 'SKIP path: no record, no spool' '
	XALT_CONFIG=$PWD/skip.conf xalt_tracked ./skipdir/prog &&
	nothing_left
'

test_expect_success 'the same program outside the SKIP dir is tracked (the test can fail)' '
	XALT_CONFIG=$PWD/skip.conf xalt_tracked ./keepdir/prog &&
	test "$(xalt_records | wc -l)" = 1 &&
	rm -rf "$XALT_FILE_PREFIX"
'

test_expect_success 'system programs are SKIP in the test config' '
	xalt_tracked /bin/true &&
	nothing_left
'

test_expect_success 'no XALT_EXECUTABLE_TRACKING: nothing, even with the library loaded' '
	LD_PRELOAD=$XALT_LD_PRELOAD ./keepdir/prog &&
	nothing_left
'

test_expect_success 'XALT_EXECUTABLE_TRACKING=no: nothing (opting out is allowed by default)' '
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=no ./keepdir/prog &&
	nothing_left
'

test_expect_success 'allow_opt_out = no in the site config: the opt-out is ignored' '
	mkdir -p site/lib site/etc &&
	cp "$XALT_LIB" site/lib/ &&
	echo "allow_opt_out = no" | xalt_write_config site/etc/xalt.conf &&
	LD_PRELOAD=${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}$PWD/site/lib/libxalt_init.so \
		XALT_EXECUTABLE_TRACKING=no ./keepdir/prog &&
	test "$(xalt_records | wc -l)" = 1 &&
	rm -rf "$XALT_FILE_PREFIX"
'

test_expect_success 'a relative LD_PRELOAD entry: its prefix is resolved, its etc/xalt.conf read' '
	cat >dir.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	int main(void) { const char *d = getenv("XALT_DIR"); puts(d ? d : "unset"); return 0; }
	EOF
	cc -o keepdir/dir dir.c &&
	# Tracked although XALT_EXECUTABLE_TRACKING=no: only site/etc/xalt.conf
	# (allow_opt_out = no) says so, found from the relative name.
	LD_PRELOAD=${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}site/lib/libxalt_init.so \
		XALT_EXECUTABLE_TRACKING=no ./keepdir/dir >out &&
	echo "$(cd site && pwd -P)" >expect &&
	test_cmp expect out &&
	test "$(xalt_records | wc -l)" = 1 &&
	rm -rf "$XALT_FILE_PREFIX"
'

test_expect_success 'two copies of the library preloaded: one record, from the first' '
	mkdir -p copy/lib &&
	cp "$XALT_LIB" copy/lib/ &&
	LD_PRELOAD=$XALT_LD_PRELOAD:$PWD/copy/lib/libxalt_init.so XALT_EXECUTABLE_TRACKING=yes \
		./keepdir/prog &&
	test "$(xalt_records | wc -l)" = 1 &&
	rm -rf "$XALT_FILE_PREFIX"
'

test_expect_success 'our own helpers are never tracked' '
	xalt_tracked "$XALT_PREFIX/bin/xalt" version >/dev/null &&
	nothing_left
'

test_expect_success 'a config with errors turns tracking off, silently' '
	echo "bogus line" | xalt_write_config bad.conf &&
	XALT_CONFIG=$PWD/bad.conf xalt_tracked ./keepdir/prog 2>err &&
	test_must_fail test -s err &&
	nothing_left
'

test_expect_success 'a missing config turns tracking off' '
	XALT_CONFIG=$PWD/does-not-exist xalt_tracked ./keepdir/prog &&
	nothing_left
'

test_expect_success 'host table: a node that matches no KEEP line is not tracked' '
	echo "host KEEP ^no-such-node$" | xalt_write_config host.conf &&
	XALT_CONFIG=$PWD/host.conf xalt_tracked ./keepdir/prog &&
	nothing_left &&
	echo "host KEEP ^$(uname -n)$" | xalt_write_config host2.conf &&
	XALT_CONFIG=$PWD/host2.conf xalt_tracked ./keepdir/prog &&
	test "$(xalt_records | wc -l)" = 1
'

test_expect_success 'XALT_TRACING=yes explains the SKIP on stderr' '
	XALT_TRACING=yes XALT_CONFIG=$PWD/skip.conf xalt_tracked ./skipdir/prog 2>err &&
	grep "^xalt: .*/skipdir/prog: SKIP$" err
'

test_done
