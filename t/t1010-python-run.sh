#!/bin/bash
test_description='Python runs end to end: xalt run -> hook -> preload -> record

Real interpreters under `xalt run` (preload library, PYTHONPATH to our hook),
the shared package filters (t/filter-cases.conf) applied at exit, and the
run record read with jq. Also: the spools of os._exit and kill -9 runs are
recovered by the next tracked run; a run not sampled leaves no spool.'

. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
ALL_PY="$PY_DEBIAN $PY_VERSIONS"
test -n "${ALL_PY// /}" || { skip_all='no Python interpreter'; test_done; }

xalt_setup
cat "$SRC_DIRECTORY/t/filter-cases.conf" >>"$XALT_CONFIG"
UDIR=$XALT_SPOOL_BASE/xalt-$(id -u)
unset PYTHONDONTWRITEBYTECODE

is_py2() { "$1" -c 'import sys; sys.exit(sys.version_info[0] != 2)'; }

# one_run: the only record, then clear the records for the next test.
one_run() { cp "$(xalt_one_record)" rec.json && rm -rf "$XALT_FILE_PREFIX"; }

test_expect_success PYTHON 'the hook holds no file descriptor: fds are as without tracking' '
	cat >fds.py <<-\EOF &&
	import os, json, csv
	print(sorted(os.listdir("/proc/self/fd")))
	print(os.open("/dev/null", os.O_RDONLY))
	EOF
	$PY_DEBIAN fds.py >want &&
	xalt_tracked $PY_DEBIAN fds.py >got &&
	test_cmp want got &&
	one_run &&
	jq -e ".interpreter.program == \"python\"" rec.json
'

for PY in $ALL_PY; do
	test_expect_success "$PY: interpreter and json in the record, filters applied" '
		xalt_tracked $PY -c "import json" >out 2>err &&
		test ! -s out && test ! -s err &&
		one_run &&
		$PY -c "import sys; print(sys.version.split()[0]); print(sys.prefix)" >want &&
		printf "python\nsystem\n" >>want &&
		jq -r ".interpreter | .version, .prefix, .program, .kind" rec.json >got &&
		test_cmp want got &&
		$PY -c "import os, json; print(os.path.dirname(json.__file__))" >want &&
		jq -r ".packages[] | select(.name == \"json\") | .path" rec.json >got &&
		test_cmp want got &&
		jq -e ".packages[] | select(.name == \"json\") | .version == null" rec.json &&
		if is_py2 $PY; then
			jq -e ".packages[] | select(.name == \"json\") | .import_time == null" rec.json
		else
			jq -e ".packages[] | select(.name == \"json\") | .import_time > 0" rec.json
		fi &&
		jq -e "[.packages[] | select(.name | test(\"^_|[.]\"))] == []" rec.json &&
		jq -e "[.packages[] | select(.path == null)] == []" rec.json &&
		jq -e "[.packages[] | select(.path == \"built-in\" or .path == \"frozen\")] == []" rec.json &&
		jq -e "[.packages[].name] | length == (unique | length)" rec.json
	'
done

test_expect_success PYTHON 'Debian numpy: dpkg version, path, import time; spool removed' '
	npv=$(dpkg-query -W -f="\${Version}" python3-numpy) && npv=${npv#*:} && npv=${npv%-*} &&
	xalt_tracked $PY_DEBIAN -c "import numpy" &&
	one_run &&
	jq -r ".packages[] | select(.name == \"numpy\") | .version, .path" rec.json >got &&
	printf "%s\n/usr/lib/python3/dist-packages/numpy\n" "$npv" >want &&
	test_cmp want got &&
	jq -e ".packages[] | select(.name == \"numpy\") | .import_time > 0.001" rec.json &&
	test -z "$(ls "$UDIR")"
'

# writer_cases TSV: the python rows of TSV, written by the hook'"'"'s own writer
# (write_cases.py) in a tracked run under $XALT_CONFIG, reach the record as
# the table says (KEEP rows only, first path per name).
writer_cases() {
	grep -v "^#" "$1" | grep "^python	" >cases &&
	test $(wc -l <cases) -ge 10 &&
	xalt_tracked $PY_DEBIAN write_cases.py cases &&
	one_run &&
	cut -f2 cases | sort -u >names &&
	awk -F"\t" "\$4 == \"KEEP\" && !seen[\$2]++ { print \$2 \"\t\" \$3 }" cases | sort >want &&
	jq -r ".packages[] | [.name, (.path // \"\")] | @tsv" rec.json | sort |
		awk -F"\t" "NR == FNR { n[\$1]; next } \$1 in n" names - >got &&
	test_cmp want got
}

test_expect_success PYTHON 'the shared filter cases hold for lines the hook writes' '
	cat >write_cases.py <<-\EOF &&
	import sys
	# The hook'"'"'s own writer (escaping, one write per line), fed the table.
	st = sys.meta_path[0].find_spec.__globals__["_st"]
	for line in open(sys.argv[1]):
	    prog, name, path, want = line.rstrip("\n").split("\t")
	    st.package(name, None, path, None, (b"", b"", b""))
	EOF
	writer_cases "$SRC_DIRECTORY/t/filter-cases.tsv"
'

# TACC's table (issue 12 item 9): the hook's own writer fed its rows, then
# real interpreters: built-ins and frozen modules carry XALT's path text, so
# sys, builtins, marshal, posix, time and itertools are skipped as under XALT.
test_expect_success PYTHON 'TACC'"'"'s table: its cases hold for lines the hook writes' '
	{ grep -v "^pkg" "$XALT_CONFIG"; cat "$SRC_DIRECTORY/t/filter-cases-tacc.conf"; } >tacc.conf &&
	XALT_CONFIG=$PWD/tacc.conf writer_cases "$SRC_DIRECTORY/t/filter-cases-tacc.tsv"
'

for PY in $ALL_PY; do
	test_expect_success "$PY: TACC's table skips the built-ins (sys, builtins, marshal, posix, time, itertools)" '
		XALT_CONFIG=$PWD/tacc.conf xalt_tracked $PY -c "import itertools, time, json" &&
		one_run &&
		jq -r ".packages[].name" rec.json >names &&
		grep -x json names &&
		$PY -c "import sys; print(\" \".join(n for n in \"sys builtins __builtin__ marshal posix time itertools\".split() if n in sys.builtin_module_names))" >builtins &&
		test $(wc -w <builtins) -ge 4 &&
		for n in $(cat builtins); do ! grep -x "$n" names || return 1; done
	'
done

# A run that never reaches the preload's exit code leaves its spool; the end
# of the next tracked run of the user finds its process gone and sends its
# record, "recovered", with the packages it had imported (docs/design.md,
# "Exit paths"). No waiting: the pid and its start time decide.
for how in "os._exit(3)" "os.kill(os.getpid(), 9)"; do
	test_expect_success PYTHON "$how: the next run recovers its record" '
		rm -rf "$XALT_FILE_PREFIX" "$UDIR"/* &&
		{ xalt_tracked $PY_DEBIAN -c "import os, json; $how"; rc=$?; } ;
		test $rc = 3 || test $rc = 137 &&
		test -z "$(xalt_records)" &&
		ls "$UDIR" >stale && test $(wc -l <stale) = 1 &&
		grep -q "^P	python	json	" "$UDIR/$(cat stale)/pkgs" &&
		xalt_tracked $PY_DEBIAN -c pass &&
		test -z "$(ls "$UDIR")" &&
		uuid=$(sed "s/\.[0-9]*$//" stale) &&
		test $(xalt_records | wc -l) = 2 &&
		cat $(xalt_records) | jq -s -e "map(select(.run_uuid == \"$uuid\")) |
			length == 1 and .[0].exit.how == \"recovered\" and .[0].exit.status == null"
	'
done

test_expect_success PYTHON 'a run not sampled sends nothing and leaves no spool' '
	rm -rf "$XALT_FILE_PREFIX" "$UDIR"/* &&
	printf "sample 0 inf 0.0\n" | xalt_write_config nosample.conf &&
	(unset XALT_SAMPLING && XALT_CONFIG=$PWD/nosample.conf &&
		xalt_tracked $PY_DEBIAN -c "import json") &&
	test -z "$(xalt_records)" &&
	test -z "$(ls "$UDIR")"
'

test_done
