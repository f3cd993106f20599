#!/bin/bash
test_description='PKGS runs: the spool is read at exit, filtered, merged and removed'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

# A stand-in for an interpreter's hook: a C program named python3 (PKGS in the
# test config) that appends spool lines itself, as hooks do (docs/design.md).
test_expect_success 'setup: a fake python3 that writes spool lines' '
	cat >fake.c <<-\EOF &&
	#include <fcntl.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	int main(int argc, char **argv)
	{
		char path[4096];
		const char *d = getenv("XALT_SPOOL_DIR");
		FILE *in;
		char line[1024];
		int fd;
		if (!d) { puts("no spool"); return 1; }
		snprintf(path, sizeof(path), "%s/pkgs", d);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
		in = fopen(argv[1], "r");
		while (fgets(line, sizeof(line), in))
			if (write(fd, line, strlen(line)) < 0)
				return 1;
		printf("%s\n", d);
		return 0;
	}
	EOF
	cc -o python3 fake.c &&
	printf "I\tpython\t3.11.2\tvenv\t/home/u/env\n" >lines &&
	printf "P\tpython\tnumpy\t1.24.2\t/usr/lib/python3/dist-packages/numpy\t84211\n" >>lines &&
	printf "P\tpython\tjson\t\t/usr/lib/python3.11/json\t912\n" >>lines &&
	printf "P\tpython\tnumpy\t9.9\t/elsewhere/numpy\t1000\n" >>lines &&
	printf "P\tpython\t_private\t\t/usr/lib/python3.11/_private.py\t5\n" >>lines &&
	printf "P\tpython\tnumpy.linalg\t\t/usr/lib/python3/dist-packages/numpy/linalg\t5\n" >>lines &&
	printf "P\tpython\tsys\t\t\t\n" >>lines &&
	printf "P\tpython\ttab\\\\tname\t1\\\\\\\\0\t/opt/x\\\\ny\t7\n" >>lines &&
	printf "X\tunknown kind\n" >>lines &&
	printf "P\tpython\thalfP\tpython\tjoined\t1\t/opt/j\t1\n" >>lines &&
	printf "P\tpython\ttruncated\t1" >>lines &&
	{ echo "pkg * SKIP path ^([^/]|$)"; echo "pkg * SKIP name ^_"; echo "pkg * SKIP name \\."; } |
		xalt_write_config pkg.conf
'

test_expect_success 'packages are filtered, merged per name, times summed' '
	XALT_CONFIG=$PWD/pkg.conf xalt_tracked ./python3 lines >out &&
	rec=$(xalt_one_record) &&
	test "$(jq -r .exec.track "$rec")" = PKGS &&
	test "$(jq -r .exec.program "$rec")" = python &&
	jq -c .interpreter "$rec" >actual &&
	echo "{\"program\":\"python\",\"version\":\"3.11.2\",\"kind\":\"venv\",\"prefix\":\"/home/u/env\"}" >expect &&
	test_cmp expect actual &&
	jq -c ".packages[]" "$rec" >actual &&
	cat >expect <<-\EOF &&
	{"program":"python","name":"numpy","version":"1.24.2","path":"/usr/lib/python3/dist-packages/numpy","import_time":0.085211}
	{"program":"python","name":"json","version":null,"path":"/usr/lib/python3.11/json","import_time":0.000912}
	{"program":"python","name":"tab\tname","version":"1\\0","path":"/opt/x\ny","import_time":7e-06}
	EOF
	test_cmp expect actual
'

test_expect_success 'the spool dir was named after the run and pid, and is gone' '
	d=$(cat out) &&
	uuid=$(jq -r .run_uuid "$(xalt_one_record)") &&
	case "$d" in "$XALT_SPOOL_BASE/xalt-$(id -u)/$uuid."[0-9]*) ;; *) false ;; esac &&
	test ! -e "$d"
'

test_expect_success 'a KEEP run gets no spool dir' '
	rm -rf "$XALT_FILE_PREFIX" &&
	echo "path KEEP ^$PWD/python3$" | xalt_write_config keep.conf &&
	XALT_CONFIG=$PWD/keep.conf XALT_SPOOL_DIR=/tmp/not-ours xalt_tracked ./python3 lines >out;
	echo "no spool" >expect && test_cmp expect out &&
	test "$(jq -r .exec.track "$(xalt_one_record)")" = KEEP
'

test_done
