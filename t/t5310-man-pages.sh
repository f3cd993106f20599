#!/bin/bash
test_description='manual pages: every installed page renders without warnings; xalt help opens them'
. "$(dirname "$0")/test-lib.sh"

command -v man >/dev/null || { skip_all='man-db missing (scripts/deps.sh)'; test_done; }
MAN=$XALT_PREFIX/share/man

test_expect_success 'a page for xalt, each command, xalt_record_pkg and xalt.conf' '
	for p in man1/xalt.1 man1/xalt-run.1 man1/xalt-config.1 man1/xalt-ingest.1 \
		 man1/xalt-db.1 man1/xalt-report.1 man1/xalt-doctor.1 man1/xalt-recover.1 \
		 man1/xalt_record_pkg.1 man5/xalt.conf.5; do
		test -s "$MAN/$p" || { echo "missing $p"; exit 1; }
	done
'

# check_pages PAGE...: each page renders to something, with no warning.
# Every page's failure fails the whole (a loop's status is its last
# command's: a chain that stopped early for one page used to be forgotten).
check_pages() {
	for p in "$@"; do
		MANWIDTH=80 man --warnings -l "$p" >rendered 2>warnings ||
			{ echo "$p: man failed"; return 1; }
		test -s rendered || { echo "$p: renders to nothing"; return 1; }
		if test -s warnings; then echo "$p:"; cat warnings; return 1; fi
	done
}

test_expect_success 'the check fails for a page before the last: one with a warning, one empty' '
	mkdir pages &&
	printf ".TH GOOD 1\n.SH NAME\ngood \\- fine\n" >pages/good.1 &&
	printf ".TH BAD 1\n.SH NAME\nbad \\- x\n.BOGUS\n" >pages/bad.1 &&
	: >pages/empty.1 &&
	check_pages pages/good.1 &&
	test_must_fail check_pages pages/bad.1 pages/good.1 &&
	test_must_fail check_pages pages/empty.1 pages/good.1
'

test_expect_success 'every installed page renders with no warning' '
	check_pages "$MAN"/man*/*
'

test_expect_success 'pages name the install prefix, not a placeholder' '
	! grep -l "@PREFIX@\\|@VERSION@" "$MAN"/man*/* &&
	sed "s/\\\\&//g" "$MAN/man1/xalt.1" | grep -F "$XALT_PREFIX/lib/libxalt_init.so"
'

test_expect_success 'every command in xalt --help has a page' '
	"$XALT_PREFIX/bin/xalt" --help | sed -n "s/^  \([a-z-]*\)  .*/\1/p" >cmds &&
	test -s cmds &&
	while read c; do
		case $c in help|version) continue ;; esac
		test -f "$MAN/man1/xalt-$c.1" || { echo "no page for $c"; exit 1; }
	done <cmds
'

test_expect_success 'xalt help CMD opens the installed page without MANPATH' '
	MANPATH=/nonexistent MANPAGER=cat MANWIDTH=80 "$XALT_PREFIX/bin/xalt" help doctor >out &&
	grep "xalt-doctor - check an XALT installation" out &&
	MANPATH=/nonexistent MANPAGER=cat "$XALT_PREFIX/bin/xalt" help xalt.conf >out &&
	grep "allow_opt_out" out
'

test_expect_success '--help stays short' '
	"$XALT_PREFIX/bin/xalt" doctor --help >out &&
	test $(wc -l <out) -lt 25
'

test_done
