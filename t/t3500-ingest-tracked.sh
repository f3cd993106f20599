#!/bin/bash
test_description='end to end: records of real tracked Python and R runs, ingested and reported'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-corpus.sh"

test_have_prereq JQ || { skip_all='jq is needed to compute the expected rows'; test_done; }
xalt_setup
CORPUS=$XALT_FILE_PREFIX
xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }

test_expect_success PYTHON 'a tracked Python run importing json, yaml, numpy' '
	xalt_tracked "$PY_DEBIAN" -c "import json, yaml, numpy" &&
	test $(xalt_records | wc -l) = 1
'

test_expect_success R 'a tracked R run loading jsonlite and digest' '
	xalt_tracked Rscript -e "suppressMessages(library(jsonlite)); library(digest)" &&
	test $(xalt_records | wc -l) -ge 1
'

test_expect_success 'xalt ingest loads every record the tracker wrote' '
	n=$(xalt_records | wc -l) && test "$n" -ge 1 &&
	xalt ingest --db db.sqlite "$XALT_FILE_PREFIX" >out &&
	echo "read $n, loaded $n, duplicate 0, rejected 0" >expect && test_cmp expect out
'

test_expect_success 'report packages equals jq over the real records' '
	expect_report packages . 1000 >expect &&
	xalt report packages --top 1000 --db db.sqlite --format csv >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON 'numpy and yaml are there with their own versions, not the interpreter'"'"'s' '
	py=$("$PY_DEBIAN" -c "import numpy, yaml, platform; print(numpy.__version__, yaml.__version__, platform.python_version())") &&
	set -- $py &&
	xalt report versions numpy --program python --db db.sqlite --format csv >actual &&
	printf "program,version,runs,users\npython,%s,1,1\n" "$1" >expect && test_cmp expect actual &&
	xalt report versions yaml --db db.sqlite --format csv >actual &&
	printf "program,version,runs,users\npython,%s,1,1\n" "$2" >expect && test_cmp expect actual &&
	sqlite3 db.sqlite "SELECT interp_version, interp_kind FROM runs WHERE interp_program = '\''python'\''" >actual &&
	echo "$3|system" >expect && test_cmp expect actual
'

test_expect_success R 'jsonlite and digest are reported for R' '
	xalt report packages --program R --top 0 --db db.sqlite --format csv >actual &&
	grep "^R,jsonlite,1,1,[01],0$" actual && grep "^R,digest,1,1,[01],0$" actual
'

test_expect_success 'the executables and libraries reports name the interpreters and libc' '
	xalt report executables --db db.sqlite --format csv >actual &&
	expect_report executables >expect && test_cmp expect actual &&
	xalt report libraries --top 0 --db db.sqlite --format csv >actual &&
	grep "/libc.so.6," actual
'

test_done
