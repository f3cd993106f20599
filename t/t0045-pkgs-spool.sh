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
	{"program":"python","name":"numpy","version":"1.24.2","path":"/usr/lib/python3/dist-packages/numpy","import_time":0.085211,"direct":null,"imported_by":null,"startup":null,"used":null,"functions_used":null}
	{"program":"python","name":"json","version":null,"path":"/usr/lib/python3.11/json","import_time":0.000912,"direct":null,"imported_by":null,"startup":null,"used":null,"functions_used":null}
	{"program":"python","name":"tab\tname","version":"1\\0","path":"/opt/x\ny","import_time":7e-06,"direct":null,"imported_by":null,"startup":null,"used":null,"functions_used":null}
	EOF
	test_cmp expect actual
'

test_expect_success 'the spool dir was named after the run and pid, and is gone' '
	d=$(cat out) &&
	uuid=$(jq -r .run_uuid "$(xalt_one_record)") &&
	case "$d" in "$XALT_SPOOL_BASE/xalt-$(id -u)/$uuid."[0-9]*) ;; *) false ;; esac &&
	test ! -e "$d"
'

# The 9-field P lines and the U and M lines of usage (docs/design.md): direct
# is true once any line says so, imported_by the first non-empty one (null
# when direct), startup the first line's; U lines keep the largest count; an
# M line makes the packages without a U line used false, 0 functions; U
# lines of filtered or unknown packages make no entry.
test_expect_success 'direct, imported_by, startup, used and functions_used are merged' '
	rm -rf "$XALT_FILE_PREFIX" &&
	{
		printf "P\tpython\tpandas\t2.0\t/s/pandas\t10\t1\t\t0\n" &&
		printf "P\tpython\tnumpy\t1.2\t/s/numpy\t5\t0\tpandas\t0\n" &&
		printf "M\tpython\ton\n" &&
		printf "U\tpython\tnumpy\t1\n" &&
		printf "P\tpython\tnumpy\t9.9\t/t/numpy\t1\t0\tscipy\t1\n" &&
		printf "U\tpython\tnumpy\t3\n" &&
		printf "U\tpython\tnumpy\t2\n" &&
		printf "P\tpython\tsix\t1\t/s/six\t1\t0\tdateutil\t1\n" &&
		printf "P\tpython\tsix\t1\t/s/six\t1\t1\t\t0\n" &&
		printf "P\tpython\tmpl_toolkits\t\t/s/mpl_toolkits\t\t0\t\t1\n" &&
		printf "U\tpython\t_private\t4\n" &&
		printf "U\tpython\tnever_imported\t4\n" &&
		printf "P\tpython\tbadflag\t1\t/s/b\t1\tyes\t\t0\n" &&
		printf "P\tpython\tseven\t1\t/s/b\t1\t1\t\n" &&
		printf "U\tpython\tpandas\tx\n" &&
		printf "P\tR\trlang\t1.1\t/r/rlang\t3\t0\ttibble\t0\n"
	} >lines9 &&
	XALT_CONFIG=$PWD/pkg.conf xalt_tracked ./python3 lines9 >out &&
	jq -c ".packages[] | [.name, .version, .path, .direct, .imported_by, .startup, .used, .functions_used]" \
		"$(xalt_one_record)" >actual &&
	cat >expect <<-\EOF &&
	["pandas","2.0","/s/pandas",true,null,false,false,0]
	["numpy","1.2","/s/numpy",false,"pandas",false,true,3]
	["six","1","/s/six",true,null,true,false,0]
	["mpl_toolkits",null,"/s/mpl_toolkits",false,null,true,false,0]
	["rlang","1.1","/r/rlang",false,"tibble",false,null,null]
	EOF
	test_cmp expect actual
'

test_expect_success 'a spool longer than the read buffer, with an overlong line, is read whole' '
	rm -rf "$XALT_FILE_PREFIX" &&
	awk "BEGIN { for (i = 0; i < 3000; i++) printf \"P\\tpython\\tpkg%d\\t1\\t/s/pkg%d\\t1\\t1\\t\\t0\\n\", i, i;
		printf \"P\\tpython\\tlong\\t1\\t/s/\"; for (i = 0; i < 300000; i++) printf \"x\";
		printf \"\\t1\\n\"; printf \"P\\tpython\\tlast\\t1\\t/s/last\\t1\\n\" }" >many &&
	test $(wc -c <many) -gt 350000 &&
	XALT_CONFIG=$PWD/pkg.conf xalt_tracked ./python3 many >out &&
	rec=$(xalt_one_record) &&
	test "$(jq ".packages | length" "$rec")" = 3001 &&
	test "$(jq -r ".packages[2999].name, .packages[3000].name" "$rec" | tr "\n" " ")" = "pkg2999 last "
'

test_expect_success 'a KEEP run gets no spool dir' '
	rm -rf "$XALT_FILE_PREFIX" &&
	echo "path KEEP ^$PWD/python3$" | xalt_write_config keep.conf &&
	XALT_CONFIG=$PWD/keep.conf XALT_SPOOL_DIR=/tmp/not-ours xalt_tracked ./python3 lines >out;
	echo "no spool" >expect && test_cmp expect out &&
	test "$(jq -r .exec.track "$(xalt_one_record)")" = KEEP
'

test_done
