#!/bin/bash
test_description='opt-out and privacy: XALT_EXECUTABLE_TRACKING=no, allow_opt_out, record_args, hash_users'
. "$(dirname "$0")/test-lib.sh"

test -f "$XALT_PREFIX/lib/libxalt_init.so" || { skip_all='preload library not built'; test_done; }
test_have_prereq JQ || { skip_all='jq missing'; test_done; }

# The program: a copy of echo outside the SKIP'd system dirs (KEEP).
cp /bin/echo ./prog
echo 'a b c' >expect.out

# Run ./prog a 'b' 'c' with the module's environment for prefix $1, and
# XALT_EXECUTABLE_TRACKING=$2 (unset if "unset"); its output must not change.
run_prog() {
	local prefix=$1 tracking=$2
	(
		test "$tracking" = unset && unset XALT_EXECUTABLE_TRACKING || export XALT_EXECUTABLE_TRACKING=$tracking
		LD_PRELOAD="${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}$prefix/lib/libxalt_init.so" \
			./prog a b c >prog.out 2>prog.err
	) && test_cmp expect.out prog.out && test ! -s prog.err
}

# A private copy of the install (the preload finds its prefix by itself),
# whose etc/xalt.conf is the test config plus the lines on stdin.
private_install() {
	rm -rf inst && cp -a "$XALT_PREFIX" inst &&
	xalt_write_config inst/etc/xalt.conf
}

# "h:" + 16 hex digits of SHA-1(key ":" value), as docs/records.md says.
keyed() { printf '%s:%s' "$1" "$2" | sha1sum | sed 's/^\(.\{16\}\).*/h:\1/'; }

test_expect_success 'tracking on: one record with the full command line and uid' '
	xalt_setup && rm -rf records &&
	run_prog "$XALT_PREFIX" yes &&
	rec=$(xalt_one_record) &&
	jq -c .cmdline "$rec" >actual &&
	echo "[\"./prog\",\"a\",\"b\",\"c\"]" >expect && test_cmp expect actual &&
	jq -e ".uid == $(id -u)" "$rec" &&
	jq -r .user "$rec" >user.plain
'

test_expect_success 'per-user opt-out: XALT_EXECUTABLE_TRACKING=no, no record' '
	xalt_setup && rm -rf records &&
	run_prog "$XALT_PREFIX" no &&
	test -z "$(xalt_records)"
'

test_expect_success 'any value but yes opts out (the module sets exactly yes)' '
	xalt_setup && rm -rf records &&
	run_prog "$XALT_PREFIX" YES &&
	run_prog "$XALT_PREFIX" "" &&
	test -z "$(xalt_records)"
'

test_expect_success 'site forbids opt-out: XALT_EXECUTABLE_TRACKING=no still records' '
	xalt_setup && rm -rf records &&
	echo "allow_opt_out = no" | private_install &&
	unset XALT_CONFIG &&
	run_prog "$TRASH_DIRECTORY/inst" no &&
	rec=$(xalt_one_record) &&
	jq -e ".exec.path == \"$TRASH_DIRECTORY/prog\"" "$rec"
'

test_expect_success 'site forbids opt-out: a user XALT_CONFIG cannot re-allow it' '
	xalt_setup && rm -rf records &&
	echo "allow_opt_out = no" | private_install &&
	echo "allow_opt_out = yes" >>xalt.conf &&
	XALT_CONFIG=$TRASH_DIRECTORY/xalt.conf run_prog "$TRASH_DIRECTORY/inst" no &&
	xalt_one_record
'

test_expect_success 'site forbids opt-out: with the variable unset the program is not tracked (documented)' '
	xalt_setup && rm -rf records &&
	echo "allow_opt_out = no" | private_install &&
	unset XALT_CONFIG &&
	run_prog "$TRASH_DIRECTORY/inst" unset &&
	test -z "$(xalt_records)"
'

test_expect_success 'record_args = drop: only argv[0]' '
	xalt_setup && rm -rf records &&
	echo "record_args = drop" >>xalt.conf &&
	run_prog "$XALT_PREFIX" yes &&
	rec=$(xalt_one_record) &&
	jq -c .cmdline "$rec" >actual &&
	echo "[\"./prog\"]" >expect && test_cmp expect actual
'

test_expect_success 'record_args = hash: argv[0], then a keyed hash per argument' '
	xalt_setup && rm -rf records &&
	printf "record_args = hash\nhash_key = s3cret\n" >>xalt.conf &&
	run_prog "$XALT_PREFIX" yes &&
	rec=$(xalt_one_record) &&
	jq -r ".cmdline[]" "$rec" >actual &&
	{ echo ./prog; keyed s3cret a; keyed s3cret b; keyed s3cret c; } >expect &&
	test_cmp expect actual &&
	! grep -x -e a -e b -e c actual
'

test_expect_success 'record_args = hash: the key defaults to the syshost' '
	xalt_setup && rm -rf records &&
	echo "record_args = hash" >>xalt.conf &&
	run_prog "$XALT_PREFIX" yes &&
	rec=$(xalt_one_record) &&
	jq -r ".cmdline[1]" "$rec" >actual &&
	keyed testhost a >expect && test_cmp expect actual
'

test_expect_success 'hash_users = yes: user hashed, uid absent' '
	xalt_setup && rm -rf records &&
	printf "hash_users = yes\nhash_key = s3cret\n" >>xalt.conf &&
	run_prog "$XALT_PREFIX" yes &&
	rec=$(xalt_one_record) &&
	jq -e "has(\"uid\") | not" "$rec" &&
	jq -r .user "$rec" >actual &&
	keyed s3cret "$(cat user.plain)" >expect && test_cmp expect actual &&
	! grep -F "$(cat user.plain)" "$rec"
'

test_expect_success 'xalt doctor shows the privacy switches' '
	xalt_setup &&
	printf "hash_users = yes\nrecord_args = drop\nallow_opt_out = no\nhash_key = s3cret\n" >>xalt.conf &&
	"$XALT_PREFIX/bin/xalt" doctor >out; test $? -le 1 &&
	grep "^hash_key: *set (not shown)" out &&
	! grep s3cret out &&
	grep "^allow_opt_out: *no " out &&
	grep "^record_args: *drop\$" out &&
	grep "^hash_users: *yes " out
'

test_done
