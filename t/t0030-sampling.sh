#!/bin/bash
test_description='sampling: not sampled means no record and no spool; XALT_SAMPLING=no keeps all'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup
unset XALT_SAMPLING

test_expect_success 'setup' '
	printf "int main(void) { return 0; }\n" >p.c &&
	cc -o prog p.c && cp prog python3 &&
	echo "sample 0 inf 0" | xalt_write_config never.conf &&
	echo "sample 0 inf 1" | xalt_write_config always.conf &&
	{ echo "sample 0 3600 0.5"; echo "sample 3600 inf 1"; } | xalt_write_config half.conf
'

test_expect_success 'probability 0: no record' '
	XALT_CONFIG=$PWD/never.conf xalt_tracked ./prog &&
	test -z "$(xalt_records)"
'

test_expect_success 'probability 0, PKGS run: its spool is removed too' '
	XALT_CONFIG=$PWD/never.conf xalt_tracked ./python3 &&
	test -z "$(xalt_records)" &&
	test -d "$XALT_SPOOL_BASE/xalt-$(id -u)" &&
	test -z "$(ls "$XALT_SPOOL_BASE/xalt-$(id -u)")"
'

test_expect_success 'XALT_SAMPLING=no: recorded, forced' '
	XALT_SAMPLING=no XALT_CONFIG=$PWD/never.conf xalt_tracked ./prog &&
	rec=$(xalt_one_record) &&
	jq -c .sampling "$rec" >actual &&
	echo "{\"probability\":1,\"forced\":true}" >expect && test_cmp expect actual &&
	rm -rf "$XALT_FILE_PREFIX"
'

test_expect_success 'probability 1: recorded, not forced' '
	XALT_CONFIG=$PWD/always.conf xalt_tracked ./prog &&
	rec=$(xalt_one_record) &&
	jq -c .sampling "$rec" >actual &&
	echo "{\"probability\":1,\"forced\":false}" >expect && test_cmp expect actual &&
	rm -rf "$XALT_FILE_PREFIX"
'

test_expect_success 'probability 0.5 over 40 runs keeps some and drops some' '
	for i in $(seq 40); do XALT_CONFIG=$PWD/half.conf xalt_tracked ./prog || return 1; done &&
	n=$(xalt_records | wc -l) &&
	say_err "kept $n of 40" &&
	test "$n" -ge 5 && test "$n" -le 35 &&
	for f in $(xalt_records); do jq -e ".sampling.probability == 0.5" "$f" >/dev/null || return 1; done
'

test_done
