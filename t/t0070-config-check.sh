#!/bin/bash
test_description='xalt config check|show: errors with line numbers, exit codes 0/1/2'
. "$(dirname "$0")/test-lib.sh"

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }

test_expect_success 'the shipped sample config is valid' '
	xalt config check "$SRC_DIRECTORY/etc/xalt.conf" >out &&
	echo "$SRC_DIRECTORY/etc/xalt.conf: ok" >expect && test_cmp expect out
'

test_expect_success 'default file: $XALT_CONFIG, else the installed etc/xalt.conf' '
	xalt config check >out &&
	echo "$XALT_PREFIX/etc/xalt.conf: ok" >expect && test_cmp expect out &&
	xalt_write_config t.conf </dev/null &&
	XALT_CONFIG=$PWD/t.conf xalt config check >out &&
	echo "$PWD/t.conf: ok" >expect && test_cmp expect out
'

test_expect_success 'each error is reported as FILE:LINE: message, exit 1' '
	cat >bad.conf <<-\EOF &&
	# a comment
	syshost = nth:2
	record_args = sometimes
	path MAYBE ^/x
	frobnicate = 1
	path SKIP ^/usr/(bin
	sample 10 5 0.5
	sample 0 inf 2
	pkg python KEEP size ^a
	env KEEP
	hello world
	transmission = file   # trailing comment
	EOF
	xalt config check bad.conf 2>err >out; rc=$? &&
	test $rc = 1 &&
	sed "s/: bad regular expression .*/: bad regular expression/" err >actual &&
	cat >expect <<-\EOF &&
	bad.conf:3: bad value '"'"'sometimes'"'"' for '"'"'record_args'"'"' (keep, drop or hash)
	bad.conf:4: path: expected KEEP, SKIP or PKGS, got '"'"'MAYBE'"'"'
	bad.conf:5: unknown setting '"'"'frobnicate'"'"'
	bad.conf:6: path: bad regular expression
	bad.conf:7: sample: minimum 10 is not below maximum 5
	bad.conf:8: sample: bad probability '"'"'2'"'"' (0 to 1)
	bad.conf:9: pkg: expected name or path, got '"'"'size'"'"'
	bad.conf:10: env: missing regular expression
	bad.conf:11: unknown directive '"'"'hello'"'"'
	EOF
	test_cmp expect actual &&
	test ! -s out
'

test_expect_success 'unreadable or missing file: exit 1 with the reason' '
	test_must_fail xalt config check no-such.conf 2>err &&
	grep "cannot read '"'"'no-such.conf'"'"': No such file or directory" err &&
	head -c 70000 /dev/zero | tr "\0" "#" >big.conf &&
	test_must_fail xalt config check big.conf 2>err &&
	grep "larger than" err
'

test_expect_success 'usage errors exit 2, --help exits 0 on stdout' '
	xalt config 2>err; test $? = 2 && grep "^usage: xalt config" err &&
	xalt config bogus 2>err; test $? = 2 && grep "unknown subcommand" err &&
	xalt config check a b 2>err; test $? = 2 && grep "too many arguments" err &&
	xalt config --bad 2>err; test $? = 2 &&
	xalt config --help >out && grep "^usage: xalt config check" out
'

test_expect_success 'show prints every setting and table; its output is a valid config' '
	xalt_write_config t.conf </dev/null &&
	{ echo "sample 0 60 0.001"; echo "pkg python SKIP name ^_"; } >>t.conf &&
	xalt config show t.conf >shown &&
	for k in syshost transmission file_prefix syslog_socket syslog_tag syslog_chunk \
		record_args hash_users allow_opt_out sha1; do
		grep -q "^$k = " shown || { echo "missing $k"; return 1; }
	done &&
	grep "^syshost = name:testhost$" shown &&
	grep "^path PKGS \^\.\*/python\[0-9\.\]\*\$$" shown &&
	grep "^sample 0 60 0.001$" shown &&
	grep "^pkg python SKIP name \^_$" shown &&
	xalt config check shown >/dev/null &&
	xalt config show shown | sed 1d >again &&
	sed 1d shown >first &&
	test_cmp first again
'

test_expect_success 'show on a bad file: errors, exit 1, nothing on stdout' '
	test_must_fail xalt config show bad.conf >out 2>err &&
	test ! -s out && test -s err
'

test_expect_success 'xalt run: usage errors exit 2, missing command 127' '
	xalt run 2>err; test $? = 2 && grep "missing command" err &&
	xalt run --help >out && grep "^usage: xalt run" out &&
	xalt run ./no-such-program 2>err; test $? = 127 &&
	grep "cannot run" err
'

test_done
