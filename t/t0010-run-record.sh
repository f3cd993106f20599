#!/bin/bash
test_description='a tracked C program leaves exactly one record with the right fields'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

test_expect_success 'build a small C program' '
	cat >prog.c <<-\EOF &&
	#include <stdio.h>
	#include <stdlib.h>
	int main(int argc, char **argv)
	{
		const char *u = getenv("XALT_RUN_UUID");
		printf("uuid=%s argc=%d\n", u ? u : "", argc);
		return argc > 1 ? atoi(argv[1]) : 0;
	}
	EOF
	cc -o prog prog.c
'

test_expect_success 'tracked run: exit status passes, one record appears' '
	SLURM_JOB_ID=4242 SLURM_JOB_PARTITION=normal OMP_NUM_THREADS=4 \
	SECRET_TOKEN=hunter2 xalt_tracked ./prog 3 "two words" >out;
	test $? = 3 &&
	rec=$(xalt_one_record) &&
	cp "$rec" rec.json &&
	jq -e . rec.json >/dev/null
'

test_expect_success 'identity: schema, uuid, user, host' '
	jq -r .schema rec.json >actual && echo xalt-run/1 >expect && test_cmp expect actual &&
	uuid=$(jq -r .run_uuid rec.json) &&
	echo "$uuid" | grep -Eq "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" &&
	echo "uuid=$uuid argc=3" >expect && test_cmp expect out &&
	test "$(jq -r .uid rec.json)" = "$(id -u)" &&
	test "$(jq -r .user rec.json)" = "${USER:-$(id -un)}" &&
	test "$(jq -r .host rec.json)" = "$(uname -n)" &&
	test "$(jq -r .syshost rec.json)" = testhost
'

test_expect_success 'the file name carries the time and the uuid' '
	uuid=$(jq -r .run_uuid rec.json) &&
	name=$(basename "$(xalt_one_record)") &&
	echo "$name" | grep -Eq "^run\.[0-9]{8}T[0-9]{6}\.[0-9]{6}Z\.$uuid\.json$"
'

test_expect_success 'exec: path, size, mtime, inode, kind' '
	test "$(jq -r .exec.path rec.json)" = "$(readlink -f prog)" &&
	test "$(jq -r .exec.size rec.json)" = "$(stat -c %s prog)" &&
	test "$(jq -r .exec.mtime rec.json)" = "$(stat -c %Y prog)" &&
	test "$(jq -r .exec.inode rec.json)" = "$(stat -c %i prog)" &&
	test "$(jq -r .exec.track rec.json)" = KEEP &&
	test "$(jq -r .exec.program rec.json)" = null &&
	test "$(jq -r .exec.sha1 rec.json)" = null
'

test_expect_success 'cwd, cmdline, times, exit' '
	test "$(jq -r .cwd rec.json)" = "$(pwd -P)" &&
	jq -c .cmdline rec.json >actual &&
	echo "[\"./prog\",\"3\",\"two words\"]" >expect && test_cmp expect actual &&
	jq -e ".start_time > 1600000000 and .end_time >= .start_time and .run_time >= 0 and .run_time < 60" rec.json &&
	jq -c .exit rec.json >actual &&
	echo "{\"how\":\"exit\",\"status\":3,\"signal\":0}" >expect && test_cmp expect actual &&
	jq -c .sampling rec.json >actual &&
	echo "{\"probability\":1,\"forced\":true}" >expect && test_cmp expect actual
'

test_expect_success 'job, OpenMP and the env allow-list' '
	jq -c .job rec.json >actual &&
	echo "{\"scheduler\":\"slurm\",\"id\":\"4242\",\"ntasks\":1,\"nnodes\":0,\"rank\":0}" >expect &&
	test_cmp expect actual &&
	test "$(jq -r .omp_num_threads rec.json)" = 4 &&
	jq -c .env rec.json >actual &&
	echo "{\"SLURM_JOB_ID\":\"4242\",\"SLURM_JOB_PARTITION\":\"normal\",\"OMP_NUM_THREADS\":\"4\"}" >expect0 &&
	jq -c -S . expect0 >expect && jq -c -S .env rec.json >actual &&
	test_cmp expect actual
'

test_expect_success 'libraries: libc, not the preload library' '
	jq -r ".libraries[].path" rec.json >libs &&
	grep -q "/libc\.so\.6$" libs &&
	! grep -q libxalt_init libs &&
	test "$(jq -r ".packages | length" rec.json)" = 0
'

test_expect_success 'record is owner-only, in an owner-only dir, no temp file left' '
	test "$(stat -c %a "$(xalt_one_record)")" = 600 &&
	test "$(stat -c %a "$XALT_FILE_PREFIX")" = 700 &&
	test -z "$(find "$XALT_FILE_PREFIX" -name "*.tmp")"
'

test_expect_success 'odd bytes in arguments still give valid pure-ASCII JSON' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./prog 0 "$(printf "q\"b\\\\t\tn\nc\001 \303\251 \360\237\230\200 \377\376")" >/dev/null &&
	rec=$(xalt_one_record) &&
	! LC_ALL=C grep -q "[^ -~]" "$rec" &&
	jq -r ".cmdline[2]" "$rec" >actual &&
	printf "q\"b\\\\t\tn\nc\001 \303\251 \360\237\230\200 \303\277\303\276\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'record_args = drop keeps argv[0] only; hash_users hides the user' '
	rm -rf "$XALT_FILE_PREFIX" &&
	{ echo "record_args = drop"; echo "hash_users = yes"; } | xalt_write_config priv.conf &&
	XALT_CONFIG=$PWD/priv.conf xalt_tracked ./prog 0 secret >/dev/null &&
	rec=$(xalt_one_record) &&
	jq -c .cmdline "$rec" >actual && echo "[\"./prog\"]" >expect && test_cmp expect actual &&
	jq -r .user "$rec" | grep -Eq "^h:[0-9a-f]{16}$" &&
	test "$(jq -r .uid "$rec")" = null
'

test_expect_success 'record_args = hash: stable keyed hashes of each argument' '
	rm -rf "$XALT_FILE_PREFIX" &&
	echo "record_args = hash" | xalt_write_config hash.conf &&
	XALT_CONFIG=$PWD/hash.conf xalt_tracked ./prog 0 secret secret >/dev/null &&
	rec=$(xalt_one_record) &&
	jq -r ".cmdline[0]" "$rec" >actual && echo ./prog >expect && test_cmp expect actual &&
	h1=$(jq -r ".cmdline[2]" "$rec") && h2=$(jq -r ".cmdline[3]" "$rec") &&
	echo "$h1" | grep -Eq "^h:[0-9a-f]{16}$" && test "$h1" = "$h2" &&
	! grep -q secret "$rec"
'

test_expect_success 'sha1 = yes records the executable hash' '
	rm -rf "$XALT_FILE_PREFIX" &&
	echo "sha1 = yes" | xalt_write_config sha.conf &&
	XALT_CONFIG=$PWD/sha.conf xalt_tracked ./prog 0 >/dev/null &&
	rec=$(xalt_one_record) &&
	sha1sum <prog | cut -d" " -f1 >expect &&
	jq -r .exec.sha1 "$rec" >actual &&
	test_cmp expect actual
'

test_expect_success 'file_prefix from the config, ~ is $HOME' '
	rm -rf "$XALT_FILE_PREFIX" "$HOME/.xalt.d" &&
	xalt_write_config home.conf </dev/null &&
	(unset XALT_FILE_PREFIX && XALT_CONFIG=$PWD/home.conf xalt_tracked ./prog 0 >/dev/null) &&
	test "$(find "$HOME/.xalt.d" -name "run.*.json" | wc -l)" = 1
'

test_done
