#!/bin/bash
test_description='xalt_record_pkg: the public hook CLI

The contract from the seed talk: key/value pairs in any order after -u,
filters from the site config, one P line per call in the caller'"'"'s own
run spool, silent and exit 0 unless the command line is malformed.'

. "$(dirname "$0")/test-lib.sh"

RP=$XALT_PREFIX/libexec/xalt_record_pkg
xalt_setup
cat "$SRC_DIRECTORY/t/filter-cases.conf" >>"$XALT_CONFIG"
UDIR=$XALT_SPOOL_BASE/xalt-$(id -u)
U1=0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7
U2=1b5d4f63-8baf-4a1c-8b64-7b2a3ef1d2c8
RUN=$UDIR/$U1.$$
T=$(printf '\t')

# Record one package of run U1; extra arguments are more key/value pairs.
rec() {
	"$RP" -u "$U1" program "$1" xalt_run_uuid "$U1" package_name "$2" "${@:3}"
}

test_expect_success 'setup: a spool dir for run U1' '
	mkdir -m 700 "$UDIR" &&
	mkdir -m 700 "$RUN"
'

test_expect_success '--help goes to stdout, exit 0, documents exit codes' '
	"$RP" --help >out 2>err &&
	test ! -s err &&
	grep "^usage: xalt_record_pkg -u UUID" out &&
	grep "^exit status: 0 " out &&
	grep "^2 usage error" out
'

test_expect_success 'one call appends one P line, silently' '
	rec R magrittr package_version 2.0.3 \
		package_path /usr/lib/R/site-library/magrittr >out 2>err &&
	test ! -s out && test ! -s err &&
	printf "P\tR\tmagrittr\t2.0.3\t/usr/lib/R/site-library/magrittr\t\n" >expect &&
	test_cmp expect "$RUN/pkgs"
'

test_expect_success 'key/value order does not matter; import_time in seconds' '
	rm -f "$RUN/pkgs" &&
	rec python numpy package_version 1.24.2 package_path /usr/lib/python3/dist-packages/numpy \
		import_time 0.25 &&
	"$RP" -u "$U1" import_time 0.25 package_path /usr/lib/python3/dist-packages/numpy \
		package_name numpy package_version 1.24.2 xalt_run_uuid "$U1" program python &&
	"$RP" -u "$U1" package_name jsonlite program R &&
	printf "P\tpython\tnumpy\t1.24.2\t/usr/lib/python3/dist-packages/numpy\t250000\n" >expect &&
	cat expect expect >expect2 &&
	printf "P\tR\tjsonlite\t\t\t\n" >>expect2 &&
	test_cmp expect2 "$RUN/pkgs"
'

test_expect_success 'a value that looks like an option is a value' '
	rm -f "$RUN/pkgs" &&
	rec R neg package_version -1 &&
	printf "P\tR\tneg\t-1\t\t\n" >expect &&
	test_cmp expect "$RUN/pkgs"
'

test_expect_success 'odd number of key/value arguments: exit 2, one error line, nothing written' '
	rm -f "$RUN/pkgs" &&
	{ rec R odd package_version; rc=$?; } 2>err;
	test $rc = 2 &&
	head -n 1 err | grep "^xalt_record_pkg: error: odd number" &&
	grep "^usage: " err &&
	test ! -e "$RUN/pkgs"
'

test_expect_success 'missing -u, missing program or package_name, bad option: exit 2' '
	{ "$RP" program R package_name x; rc1=$?; } 2>/dev/null;
	{ "$RP" -u "$U1" package_name x; rc2=$?; } 2>/dev/null;
	{ "$RP" -u "$U1" program R; rc3=$?; } 2>/dev/null;
	{ "$RP" --bogus -u "$U1" program R package_name x; rc4=$?; } 2>/dev/null;
	test "$rc1 $rc2 $rc3 $rc4" = "2 2 2 2" &&
	test ! -e "$RUN/pkgs"
'

test_expect_success 'unknown keys are ignored (and traced)' '
	rm -f "$RUN/pkgs" &&
	rec R digest colour blue package_version 0.6.31 2>err &&
	test ! -s err &&
	XALT_TRACING=yes rec R digest colour blue 2>err &&
	grep "unknown key .colour." err &&
	test $(wc -l <"$RUN/pkgs") = 2
'

test_expect_success 'bad import_time is dropped, the package still recorded' '
	rm -f "$RUN/pkgs" &&
	rec R x import_time soon &&
	rec R y import_time -1 &&
	printf "P\tR\tx\t\t\t\nP\tR\ty\t\t\t\n" >expect &&
	test_cmp expect "$RUN/pkgs"
'

# The keys of issue 11 (docs/design.md "Spool line format"): any of direct,
# imported_by, startup makes the P line 9 fields; used 1 / functions_used N
# add a U line and used 0 an M line, in the same write.
test_expect_success 'direct, imported_by, startup: a 9-field P line' '
	rm -f "$RUN/pkgs" &&
	rec python pandas package_path /s/pandas direct 1 startup 0 &&
	rec python numpy package_path /s/numpy imported_by pandas direct 0 &&
	rec python six package_path /s/six startup 1 &&
	rec python plain package_path /s/plain &&
	{
		printf "P\tpython\tpandas\t\t/s/pandas\t\t1\t\t0\n" &&
		printf "P\tpython\tnumpy\t\t/s/numpy\t\t0\tpandas\t\n" &&
		printf "P\tpython\tsix\t\t/s/six\t\t\t\t1\n" &&
		printf "P\tpython\tplain\t\t/s/plain\t\n"
	} >expect &&
	test_cmp expect "$RUN/pkgs"
'

test_expect_success 'used and functions_used: a U line; used 0: an M line' '
	rm -f "$RUN/pkgs" &&
	rec julia CSV used 1 &&
	rec julia DataFrames functions_used 3 direct 1 &&
	rec julia Plots used 0 &&
	rec julia Zero functions_used 0 &&
	{
		printf "P\tjulia\tCSV\t\t\t\nU\tjulia\tCSV\t\n" &&
		printf "P\tjulia\tDataFrames\t\t\t\t1\t\t\nU\tjulia\tDataFrames\t3\n" &&
		printf "P\tjulia\tPlots\t\t\t\nM\tjulia\ton\n" &&
		printf "P\tjulia\tZero\t\t\t\nM\tjulia\ton\n"
	} >expect &&
	test_cmp expect "$RUN/pkgs"
'

test_expect_success 'bad values of the new keys are ignored (traced), the package still recorded' '
	rm -f "$RUN/pkgs" &&
	XALT_TRACING=yes rec python p package_path /s/p direct yes startup 2 used maybe functions_used -3 2>err &&
	printf "P\tpython\tp\t\t/s/p\t\n" >expect &&
	test_cmp expect "$RUN/pkgs" &&
	grep "ignoring direct .yes.: not 0 or 1" err &&
	grep "ignoring startup .2.: not 0 or 1" err &&
	grep "ignoring used .maybe.: not 0 or 1" err &&
	grep "ignoring functions_used .-3.: not a count" err
'

test_expect_success 'a filtered package writes neither its P nor its U line' '
	rm -f "$RUN/pkgs" &&
	rec python _private package_path /s/_private used 1 functions_used 2 &&
	test ! -s "$RUN/pkgs"
'

test_expect_success 'unknown uuid: nothing recorded, exit 0, silent; traced on request' '
	rm -f "$RUN/pkgs" &&
	"$RP" -u "$U2" program R package_name x >out 2>err &&
	test ! -s out && test ! -s err &&
	test ! -e "$RUN/pkgs" &&
	test -z "$(find "$XALT_SPOOL_BASE" -name pkgs)" &&
	XALT_TRACING=yes "$RP" -u "$U2" program R package_name x 2>err &&
	grep "no spool of run .$U2." err
'

test_expect_success 'a uuid that is a path is refused, not followed' '
	mkdir -m 700 "$UDIR/evil.1" &&
	"$RP" -u "../xalt-$(id -u)/evil" program R package_name x &&
	"$RP" -u "$U1/../evil" program R package_name x &&
	test ! -e "$UDIR/evil.1/pkgs" &&
	rmdir "$UDIR/evil.1"
'

test_expect_success 'xalt_run_uuid differing from -u: nothing recorded, exit 0' '
	rm -f "$RUN/pkgs" &&
	"$RP" -u "$U1" program R package_name x xalt_run_uuid "$U2" &&
	test ! -e "$RUN/pkgs"
'

test_expect_success 'a config with errors: nothing recorded, exit 0' '
	rm -f "$RUN/pkgs" &&
	printf "pkg R MAYBE name x\n" >bad.conf &&
	XALT_CONFIG=$PWD/bad.conf rec R x &&
	test ! -e "$RUN/pkgs"
'

test_expect_success 'no config at all: no filters, recorded' '
	rm -f "$RUN/pkgs" &&
	XALT_CONFIG=$PWD/none.conf rec python _private &&
	test $(wc -l <"$RUN/pkgs") = 1
'

test_expect_success 'the config is found through XALT_DIR when XALT_CONFIG is unset' '
	rm -f "$RUN/pkgs" &&
	mkdir -p xdir/etc &&
	printf "pkg R SKIP name ^viaxaltdir\$\n" >xdir/etc/xalt.conf &&
	(unset XALT_CONFIG; XALT_DIR=$PWD/xdir rec R viaxaltdir; XALT_DIR=$PWD/xdir rec R other) &&
	printf "P\tR\tother\t\t\t\n" >expect &&
	test_cmp expect "$RUN/pkgs"
'

test_expect_success 'the shared filter cases (t/filter-cases.tsv) hold through xalt_record_pkg' '
	rm -f "$RUN/pkgs" &&
	# TAB is IFS white space (runs collapse, empty paths vanish): use \001.
	grep -v "^#" "$SRC_DIRECTORY/t/filter-cases.tsv" | grep . | tr "\t" "\001" >cases &&
	test $(wc -l <cases) -ge 40 &&
	while IFS=$(printf "\001") read -r prog name path want; do
		rec "$prog" "$name" package_path "$path" || return 1
		test "$want" = KEEP && printf "%s\t%s\t%s\n" "$prog" "$name" "$path"
	done <cases >expect &&
	cut -f2,3,5 "$RUN/pkgs" >actual &&
	test_cmp expect actual
'

test_expect_success 'TACC'"'"'s table (t/filter-cases-tacc.tsv) decides as under XALT, through xalt_record_pkg' '
	rm -f "$RUN/pkgs" &&
	cp "$SRC_DIRECTORY/t/filter-cases-tacc.conf" tacc.conf &&
	grep -v "^#" "$SRC_DIRECTORY/t/filter-cases-tacc.tsv" | grep . | tr "\t" "\001" >cases &&
	test $(wc -l <cases) -ge 25 &&
	while IFS=$(printf "\001") read -r prog name path want; do
		XALT_CONFIG=$PWD/tacc.conf rec "$prog" "$name" package_path "$path" || return 1
		test "$want" = KEEP && printf "%s\t%s\t%s\n" "$prog" "$name" "$path"
	done <cases >expect &&
	cut -f2,3,5 "$RUN/pkgs" >actual &&
	test_cmp expect actual
'

test_expect_success 'the shipped config: R dotted names and user R libraries are kept' '
	rm -f "$RUN/pkgs" &&
	(
		XALT_CONFIG=$XALT_PREFIX/etc/xalt.conf &&
		rec R data.table package_path /usr/lib/R/site-library/data.table &&
		rec python numpy.linalg package_path /usr/lib/python3/dist-packages/numpy/linalg &&
		rec R mine package_path /home/u/R/x86_64-pc-linux-gnu-library/4.2/mine &&
		rec R script package_path /home/u/proj/script
	) &&
	cut -f3 "$RUN/pkgs" >actual &&
	printf "data.table\nmine\n" >expect &&
	test_cmp expect actual
'

# Hostile names: quotes, spaces, TAB/LF/CR/backslash, non-UTF-8 bytes, 4 KiB.
# Each must give one spool line whose name field unescapes to the same bytes.
check_roundtrip() {
	rm -f "$RUN/pkgs" &&
	rec R "$1" package_version "$1" package_path "/x/$1" &&
	test $(wc -l <"$RUN/pkgs") = 1 &&
	test $(awk -F"$T" "{print NF}" "$RUN/pkgs") = 6 &&
	printf "%s" "$1" >want &&
	printf "%b" "$(cut -f3 "$RUN/pkgs")" >got &&
	cmp want got &&
	printf "%b" "$(cut -f4 "$RUN/pkgs")" >got &&
	cmp want got &&
	printf "/x/%s" "$1" >want &&
	printf "%b" "$(cut -f5 "$RUN/pkgs")" >got &&
	cmp want got
}

test_expect_success 'names with quotes and spaces round-trip' '
	check_roundtrip "it'"'"'s a \"quoted\" name"
'

test_expect_success 'names with TAB, LF, CR and backslashes round-trip' '
	check_roundtrip "$(printf "a\tb\nc\rd\\\\e\\\\tf")" &&
	grep -F "a\\tb\\nc\\rd\\\\e\\\\tf" "$RUN/pkgs"
'

test_expect_success 'non-UTF-8 bytes round-trip' '
	check_roundtrip "$(printf "caf\351\377\376\200x")"
'

test_expect_success 'a 4 KiB name round-trips in one line' '
	long=$(printf "%4096s" "" | tr " " "n") &&
	test ${#long} = 4096 &&
	check_roundtrip "$long"
'

# A full spool: a private mount namespace with an 8 KiB tmpfs, one page for
# pkgs, the other filled. A 6000-byte line fills pkgs'"'"'s page, then ENOSPC: the
# short write must not leave half a line for the next append to run into.
if test_have_prereq ROOT && unshare -m true 2>/dev/null; then
	test_set_prereq UNSHARE
fi
test_expect_success UNSHARE 'a full spool: exit 0, silent, traced, no half line left' '
	mkdir full &&
	cat >full.sh <<-\EOF &&
	set -e
	mount -t tmpfs -o size=8k,mode=755 none full
	u=full/xalt-$(id -u) && mkdir -m 700 $u $u/$U1.7
	export XALT_SPOOL_BASE=$PWD/full
	"$RP" -u $U1 program R package_name first
	head -c 65536 /dev/zero >full/filler 2>/dev/null || :
	long=$(printf "%6000s" "" | tr " " n)
	rc=0; XALT_TRACING=yes "$RP" -u $U1 program R package_name "$long" 2>err || rc=$?
	echo $rc >rc
	"$RP" -u $U1 program R package_name second
	cp $u/$U1.7/pkgs pkgs.after
	umount full
	EOF
	RP=$RP U1=$U1 unshare -m bash full.sh &&
	test "$(cat rc)" = 0 &&
	grep "cannot append .*No space left on device" err &&
	printf "P\tR\tfirst\t\t\t\nP\tR\tsecond\t\t\t\n" >expect &&
	test_cmp expect pkgs.after
'

# --- another user cannot inject into our runs, nor we into theirs ------------
OTHER=xalttest
if test_have_prereq ROOT; then
	id "$OTHER" >/dev/null 2>&1 ||
		useradd -M -N -r -s /usr/sbin/nologin "$OTHER" >/dev/null 2>&1
	id "$OTHER" >/dev/null 2>&1 && test_set_prereq OTHERUSER
fi
as_other() {
	setpriv --reuid="$(id -u $OTHER)" --regid="$(id -g $OTHER)" --clear-groups "$@"
}

test_expect_success ROOT,OTHERUSER 'another user passing our uuid cannot write into our run' '
	rm -f "$RUN/pkgs" &&
	as_other "$RP" -u "$U1" program R package_name injected >out 2>err &&
	test ! -s out && test ! -s err &&
	test ! -e "$RUN/pkgs" &&
	test ! -e "$XALT_SPOOL_BASE/xalt-$(id -u $OTHER)"
'

test_expect_success ROOT,OTHERUSER 'we cannot write into another user'"'"'s run by its uuid' '
	odir=$XALT_SPOOL_BASE/xalt-$(id -u $OTHER) &&
	mkdir -m 700 "$odir" "$odir/$U2.4242" &&
	chown -R "$OTHER" "$odir" &&
	"$RP" -u "$U2" program R package_name injected &&
	test ! -e "$odir/$U2.4242/pkgs" &&
	as_other "$RP" -u "$U2" program R package_name theirs &&
	printf "P\tR\ttheirs\t\t\t\n" >expect &&
	test_cmp expect "$odir/$U2.4242/pkgs"
'

test_done
