#!/bin/bash
test_description='xalt doctor: facts, one verdict per check, exit status, JSON; broken installs say exactly what is wrong'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-modules.sh"

doctor() { "$XALT_PREFIX/bin/xalt" doctor "$@"; }

# A user's program: a copy of the shell outside the SKIP'd system dirs, so
# it is tracked; it writes to both streams and exits 3.
cp /bin/sh ./prog
user_program() { ./prog -c 'echo out; echo err >&2; exit 3'; }
printf 'out\n' >expect.out
printf 'err\n' >expect.err

# Run the user's program with the environment the module gives (tracking
# on, preload from prefix $1): exit status, stdout and stderr must be as
# without xalt.
program_unaffected() {
	LD_PRELOAD="${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}$1/lib/libxalt_init.so" \
	XALT_EXECUTABLE_TRACKING=yes PYTHONPATH="$1/site" user_program >p.out 2>p.err
	test $? = 3 && test_cmp expect.out p.out && test_cmp expect.err p.err
}

test_expect_success '--help goes to stdout, exit 0' '
	doctor --help >out &&
	grep "^usage: xalt doctor" out &&
	grep "exit status" out
'

test_expect_success 'bad usage: one error line and the usage, exit 2' '
	doctor --format xml >out 2>err; test $? = 2 &&
	test_must_be_empty out &&
	grep "^error: unknown format .xml." err &&
	doctor extra >out 2>err; test $? = 2
'

test_expect_success 'facts: version, prefix, config, rules, sampling, privacy' '
	xalt_setup &&
	printf "sample 0 60 0.01\nsample 60 inf 1\nrecord_args = hash\n" >>xalt.conf &&
	doctor >out; test $? -le 1 &&
	grep "^xalt [0-9]" out &&
	grep "^prefix: *$XALT_PREFIX\$" out &&
	grep "^config: *$TRASH_DIRECTORY/xalt.conf\$" out &&
	grep "^  PKGS  \^\.\*/python\[0-9\.\]\*\\$\$" out &&
	grep "^  \[60 s, inf)  1\$" out &&
	grep "^transmission: *file\$" out &&
	grep "^destination: *$TRASH_DIRECTORY/records\$" out &&
	grep "^record_args: *hash\$" out &&
	grep "^allow_opt_out: *yes" out &&
	grep "^hash_users: *no" out
'

test_expect_success 'every check line has the documented form' '
	xalt_setup &&
	doctor >out; test $? -le 1 &&
	sed -n "/^checks:/,\$p" out | sed 1d | grep -v "^      hint: " >lines &&
	test -s lines &&
	! grep -v -E "^(ok  |warn|FAIL)  [a-z-]+: " lines
'

test_expect_success PRELOAD 'healthy install: exit 0, every check ok' '
	xalt_setup &&
	doctor >out 2>err &&
	test_must_be_empty err &&
	grep -E "^(FAIL|warn)" out >bad;
	test_must_be_empty bad &&
	grep "^ok    library: .*version" out &&
	grep "^ok    config: " out &&
	grep "^ok    spool: " out &&
	grep "^ok    destination: " out &&
	grep "^ok    selftest-c: .* gave one record" out &&
	! ls "$XALT_FILE_PREFIX"/run.* 2>/dev/null
'

test_expect_success PRELOAD,PYTHON,PYHOOK 'healthy install: the Python self-test finds packages' '
	xalt_setup &&
	doctor >out &&
	grep "^ok    selftest-python: .*the python hook ran, [1-9][0-9]* packages kept" out
'

# The shipped config keeps dist-packages, so what it keeps depends on what
# the machine has installed (a .pth file imports at start-up): the test
# prepends a rule that skips every package, whatever is installed.
test_expect_success PRELOAD,PYTHON,PYHOOK 'shipped config with every package skipped: the hook still counts as running' '
	xalt_setup &&
	{ echo "pkg * SKIP name .*" && cat "$XALT_PREFIX/etc/xalt.conf"; } >skip-all.conf &&
	XALT_CONFIG=$PWD/skip-all.conf doctor >out &&
	grep "^ok    selftest-python: .*the python hook ran, 0 packages kept" out
'

test_expect_success PRELOAD,R,RHOOK 'healthy install: the R self-test finds packages' '
	xalt_setup &&
	doctor >out &&
	grep "^ok    selftest-r: .*the R hook ran, [1-9][0-9]* packages kept" out
'

test_expect_success PRELOAD,JQ 'healthy install, --format json' '
	xalt_setup &&
	doctor --format json >out.json &&
	jq -e ".ok == true and .prefix == \"$XALT_PREFIX\" and (.checks | length) >= 5" out.json &&
	jq -e "[.checks[] | select(.status == \"FAIL\")] | length == 0" out.json &&
	jq -e ".record_args == \"keep\" and .hash_users == false and .allow_opt_out == true" out.json
'

test_expect_success 'library missing: exit 1, FAIL library with a hint' '
	xalt_setup &&
	rm -rf inst && cp -a "$XALT_PREFIX" inst &&
	rm -f inst/lib/libxalt_init.so &&
	test_must_fail inst/bin/xalt doctor >out &&
	grep "^FAIL  library: .$TRASH_DIRECTORY/inst/lib/libxalt_init.so. missing" out &&
	grep -A1 "^FAIL  library" out | grep "hint: reinstall" &&
	grep "^FAIL  selftest: not run" out
'

test_expect_success JQ 'library missing, --format json: ok false, the check named' '
	xalt_setup &&
	test_must_fail inst/bin/xalt doctor --format json >out.json &&
	jq -e ".ok == false" out.json &&
	jq -e "[.checks[] | select(.name == \"library\" and .status == \"FAIL\" and (.hint | length) > 0)] | length == 1" out.json
'

# With whichever module system the machine has (Tcl or Lua modulefile).
test_expect_success MODULES 'library missing: the module keeps a program unaffected' '
	xalt_setup && modules_pick &&
	mkdir -p mf/xalt && f=$(ls "$MODULES_DIR"/xalt/* | head -n 1) &&
	sed "s|$XALT_PREFIX|$TRASH_DIRECTORY/inst|g" "$f" >"mf/xalt/${f##*/}" &&
	MODULES_DIR=$TRASH_DIRECTORY/mf modules_run : "module load xalt && ./prog -c \"echo out; echo err >&2; exit 3\"";
	test $? = 3 &&
	test_cmp expect.out out && test_cmp expect.err err
'

test_expect_success PRELOAD 'prefix moved: FAIL environment names both libraries' '
	xalt_setup &&
	rm -rf moved && cp -a "$XALT_PREFIX" moved &&
	LD_PRELOAD=$XALT_PREFIX/lib/libxalt_init.so XALT_EXECUTABLE_TRACKING=yes \
		test_must_fail moved/bin/xalt doctor >out &&
	grep "^FAIL  environment: LD_PRELOAD has .$XALT_PREFIX/lib/libxalt_init.so., not this install.s .$TRASH_DIRECTORY/moved/lib/libxalt_init.so." out &&
	grep "^ok    library: " out
'

test_expect_success 'tracking on in this shell, the library not preloaded: warn environment' '
	xalt_setup &&
	XALT_EXECUTABLE_TRACKING=yes doctor >out; test $? -le 1 &&
	grep "^warn  environment: XALT_EXECUTABLE_TRACKING=yes but no libxalt_init.so in LD_PRELOAD" out
'

test_expect_success 'prefix moved away: LD_PRELOAD names a missing file: FAIL environment' '
	xalt_setup &&
	LD_PRELOAD=/nonexistent/xalt/lib/libxalt_init.so XALT_EXECUTABLE_TRACKING=yes \
		test_must_fail "$XALT_PREFIX/bin/xalt" doctor >out 2>/dev/null &&
	grep "^FAIL  environment: LD_PRELOAD has ./nonexistent/xalt/lib/libxalt_init.so." out
'

test_expect_success 'config unreadable: exit 1, FAIL config' '
	xalt_setup &&
	XALT_CONFIG=$TRASH_DIRECTORY/no-such.conf test_must_fail doctor >out &&
	grep "^FAIL  config: cannot read .$TRASH_DIRECTORY/no-such.conf.: No such file" out &&
	mkdir conf.d &&
	XALT_CONFIG=$TRASH_DIRECTORY/conf.d test_must_fail doctor >out &&
	grep "^FAIL  config: cannot read .$TRASH_DIRECTORY/conf.d." out
'

test_expect_success 'config readable by root only: exit 1, FAIL config (root passes, users do not)' '
	xalt_setup &&
	chmod 600 xalt.conf &&
	test_must_fail doctor >out &&
	grep "^FAIL  config: .$TRASH_DIRECTORY/xalt.conf. parses, but .$TRASH_DIRECTORY/xalt.conf. is not readable by other users" out &&
	chmod 644 xalt.conf && mkdir -p private && chmod 700 private && cp xalt.conf private/ &&
	XALT_CONFIG=$TRASH_DIRECTORY/private/xalt.conf test_must_fail doctor >out &&
	grep "^FAIL  config: .* but .$TRASH_DIRECTORY/private. is not readable by other users" out
'

test_expect_success 'library readable by root only: exit 1, FAIL library' '
	xalt_setup &&
	rm -rf inst && cp -a "$XALT_PREFIX" inst &&
	chmod 600 inst/lib/libxalt_init.so &&
	test_must_fail inst/bin/xalt doctor >out &&
	grep "^FAIL  library: .* is not readable by all users" out
'

test_expect_success 'config with errors: exit 1, the line is named' '
	xalt_setup &&
	echo "no_such_key = 1" >>xalt.conf &&
	test_must_fail doctor >out &&
	grep "^FAIL  config: .* has errors: .*xalt.conf:[0-9]*: unknown setting .no_such_key." out
'

test_expect_success PRELOAD 'config unreadable: a tracked program is unaffected' '
	xalt_setup &&
	rm -rf "$XALT_FILE_PREFIX" &&
	XALT_CONFIG=$TRASH_DIRECTORY/no-such.conf program_unaffected "$XALT_PREFIX" &&
	test -z "$(xalt_records)"
'

test_expect_success 'file prefix unwritable: exit 1, FAIL destination' '
	xalt_setup &&
	echo x >afile &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/afile/records test_must_fail doctor >out &&
	grep "^FAIL  destination: .$TRASH_DIRECTORY/afile. is in the way" out
'

test_expect_success !ROOT 'file prefix in a read-only dir: exit 1, FAIL destination' '
	xalt_setup &&
	mkdir ro && chmod 555 ro &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/ro/records test_must_fail doctor >out &&
	grep "^FAIL  destination: cannot write into .$TRASH_DIRECTORY/ro." out
'

test_expect_success PRELOAD 'file prefix unwritable: a tracked program is unaffected' '
	xalt_setup &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/afile/records program_unaffected "$XALT_PREFIX"
'

test_expect_success 'syslog configured, socket unreachable: FAIL syslog' '
	xalt_setup &&
	XALT_TRANSMISSION_STYLE=syslog &&
	echo "syslog_socket = $TRASH_DIRECTORY/no.sock" >>xalt.conf &&
	XALT_TRANSMISSION_STYLE=syslog test_must_fail doctor >out &&
	grep "^FAIL  syslog: cannot reach .$TRASH_DIRECTORY/no.sock." out
'

test_expect_success PYTHON 'syslog configured, socket listening: ok syslog' '
	xalt_setup &&
	echo "syslog_socket = $TRASH_DIRECTORY/log.sock" >>xalt.conf || exit 1
	/usr/bin/python3 -c "import socket,sys,time; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); time.sleep(300)" "$TRASH_DIRECTORY/log.sock" &
	listener=$! &&
	for i in $(seq 600); do test -S log.sock && break; sleep 0.1; done &&
	test -S log.sock &&
	XALT_TRANSMISSION_STYLE=syslog doctor >out; rc=$?
	kill $listener; wait $listener
	test $rc -le 1 && grep "^ok    syslog: " out
'

test_expect_success PRELOAD 'path rules that SKIP the self-test program: a warning, not a failure' '
	xalt_setup &&
	mkdir -p tmp &&
	echo "path SKIP ^$TRASH_DIRECTORY/tmp/" | xalt_write_config &&
	TMPDIR=$TRASH_DIRECTORY/tmp doctor >out &&
	grep "^warn  selftest-c: not run: the path rules SKIP .$TRASH_DIRECTORY/tmp/xalt-doctor-.*/true." out &&
	test -z "$(ls tmp)"
'

test_expect_success 'XALT_SPOOL_BASE not a directory: warn, the spool goes to the next base (as the library does)' '
	xalt_setup &&
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/afile doctor >out; test $? -le 1 &&
	grep "^warn  spool: XALT_SPOOL_BASE .$TRASH_DIRECTORY/afile. is not a directory: the spool goes to ./dev/shm." out
'

test_done
