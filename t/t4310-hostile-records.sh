#!/bin/bash
test_description='hostile names: quotes, control bytes, invalid UTF-8, 64 KiB fields, 10k packages give valid records that ingest'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

# A "python3" (PKGS by name) that copies a file of spool lines into its
# spool in one write per line, as the hooks do.
test_expect_success 'setup: a fake python3 and hostile spool lines' '
	cat >fake.c <<-\EOF &&
	#include <fcntl.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	int main(int argc, char **argv)
	{
		char path[4096], *line = NULL;
		const char *d = getenv("XALT_SPOOL_DIR");
		size_t cap = 0;
		ssize_t n;
		FILE *in;
		int fd;
		if (!d || argc < 2)
			return 1;
		snprintf(path, sizeof(path), "%s/pkgs", d);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
		in = fopen(argv[1], "r");
		while ((n = getline(&line, &cap, in)) > 0)
			if (write(fd, line, (size_t)n) != n)
				return 1;
		puts("done");
		return 0;
	}
	EOF
	cc -o python3 fake.c &&
	{
		printf "I\tpython\t3.\001\"11\tvenv\t/home/\\\\t/\xff\xfeenv\n"
		printf "P\tpython\tq\"uote\\\\\\\\back\t\"1\"\t/s/site-packages/q\t5\n"
		printf "P\tpython\tctl\001\002\033[31m\x7f\t\t/s/site-packages/ctl\t\n"
		printf "P\tpython\tbad\xc3\x28utf\xed\xa0\x80\xf8\x88\x80\x80\x80\t\xff\t/s/\xc0\xaf\t1\n"
		printf "P\tpython\tgood-\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\t1\t/s/site-packages/g\t2\n"
		printf "P\tpython\t%s\t1\t/s/site-packages/long\t3\n" "$(head -c 65536 /dev/zero | tr "\0" n)"
		printf "P\tpython\tlongpath\t1\t/%s\t3\n" "$(head -c 65536 /dev/zero | tr "\0" p)"
	} >hostile
'

test_expect_success 'hostile names: the program is unaffected, the record is valid pure-ASCII JSON' '
	xalt_tracked ./python3 hostile "arg\"with\\quotes" "$(printf "\001\377")" >out &&
	echo done >expect && test_cmp expect out &&
	rec=$(xalt_one_record) &&
	! LC_ALL=C grep -q "[^ -~]" "$rec" &&
	jq -e . "$rec" >/dev/null &&
	jq -r ".packages[].name" "$rec" | grep -Fx "q\"uote\\back" &&
	test "$(jq -r ".packages[] | select(.name | startswith(\"good-\")) | .name" "$rec")" = "$(printf "good-\303\251\346\227\245\360\237\230\200")" &&
	test "$(jq -r ".packages[] | select(.name | startswith(\"nnnn\")) | .name | length" "$rec")" = 65536 &&
	test "$(jq -r ".cmdline[2]" "$rec")" = "arg\"with\\quotes" &&
	test "$(jq -r ".cmdline[3]" "$rec")" = "$(printf "\001\303\277")" &&
	mv "$rec" hostile.json
'

test_expect_success 'ingest: loaded, or rejected with a reason for the 64 KiB key fields; never a crash' '
	"$XALT_PREFIX/bin/xalt" ingest --db db.sqlite hostile.json >summary 2>err;
	rc=$? && cat summary err &&
	{ test $rc = 0 && grep "^read 1, loaded 1" summary ||
	  { test $rc = 1 && grep "rejected" err && grep -E "longer|too long|exceeds|limit" err; }; }
'

test_expect_success 'without the 64 KiB fields, the hostile record loads whole' '
	grep -v -e "nnnnnnnn" -e "pppppppp" hostile >hostile2 &&
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./python3 hostile2 >out &&
	rec=$(xalt_one_record) &&
	"$XALT_PREFIX/bin/xalt" ingest --db db2.sqlite "$rec" >summary &&
	grep "^read 1, loaded 1, duplicate 0, rejected 0$" summary &&
	sqlite3 db2.sqlite "select name from package_names" | grep -F "q\"uote" &&
	test "$(sqlite3 db2.sqlite "select count(*) from run_package")" = 4
'

test_expect_success '10k distinct packages in one run: a valid record, capped, that ingests' '
	for i in $(seq 10000); do printf "P\tpython\tpkg%05d\t1.%d\t/s/site-packages/pkg%05d\t%d\n" $i $i $i $i; done >many &&
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./python3 many >out &&
	rec=$(xalt_one_record) &&
	n=$(jq ".packages | length" "$rec") &&
	say_err "10000 spool lines -> $n packages in a $(wc -c <"$rec")-byte record" &&
	test "$n" = 4096 &&
	test "$(jq -r ".packages_dropped" "$rec")" = $((10000 - n)) &&
	test "$(jq -r ".packages[0].name" "$rec")" = pkg00001 &&
	"$XALT_PREFIX/bin/xalt" ingest --db db3.sqlite "$rec" >summary &&
	grep "^read 1, loaded 1" summary &&
	test "$(sqlite3 db3.sqlite "select count(*) from run_package")" = "$n"
'

test_done
