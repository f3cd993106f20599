#!/bin/bash
test_description='Python: who chose what in a real scientific stack (Debian numpy, pandas, matplotlib)

Debian'"'"'s interpreter (3.11: no sys.monitoring, so used is null) with
the distribution'"'"'s own packages, tracked with `xalt run`. The user imports
pandas; pandas pulls in numpy, dateutil and pytz. Which package pulled each
one in is read from the packages'"'"' own import statements, so the expected
rows follow from Debian'"'"'s code, not from this test.'

. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='/usr/bin/python3 is needed'; test_done; }
$PY_DEBIAN -c 'import pandas, matplotlib' 2>/dev/null ||
	{ skip_all='Debian python3-pandas and python3-matplotlib are needed (scripts/deps.sh installs them)'; test_done; }

xalt_setup
unset PYTHONDONTWRITEBYTECODE PYTHONPATH
# no user site: what the user imports is only what the scripts below say
export PYTHONNOUSERSITE=1

one_run() { cp "$(xalt_one_record)" rec.json && rm -rf "$XALT_FILE_PREFIX"; }
# row NAME: name, direct, imported_by, startup, used, functions_used
row() {
	jq -r --arg n "$1" '.packages[] | select(.name == $n) |
		[.name, .direct, .imported_by, .startup, .used, .functions_used] | map(tostring) | @tsv' rec.json
}

test_expect_success 'import pandas: pandas chosen; numpy, dateutil and pytz pulled in by pandas' '
	echo "import pandas; print(pandas.DataFrame({\"a\": [1, 2]}).sum().iloc[0])" >p.py &&
	xalt_tracked $PY_DEBIAN p.py >out && test "$(cat out)" = 3 &&
	one_run &&
	for n in pandas numpy dateutil pytz; do row $n || return 1; done >actual &&
	printf "%s\t%s\t%s\t%s\t%s\t%s\n" \
		pandas true null false null null \
		numpy false pandas false null null \
		dateutil false pandas false null null \
		pytz false pandas false null null >expect &&
	test_cmp expect actual
'

test_expect_success 'import numpy, then pandas: numpy is the user'"'"'s choice too' '
	echo "import numpy, pandas" >np.py &&
	xalt_tracked $PY_DEBIAN np.py &&
	one_run &&
	test "$(row numpy | cut -f2,3)" = "$(printf "true\tnull")" &&
	test "$(row pandas | cut -f2,3)" = "$(printf "true\tnull")" &&
	test "$(row pytz | cut -f2,3)" = "$(printf "false\tpandas")"
'

test_expect_success 'matplotlib.pyplot: matplotlib chosen, numpy pulled in by matplotlib' '
	echo "import matplotlib; matplotlib.use(\"Agg\"); import matplotlib.pyplot" >m.py &&
	MPLCONFIGDIR=$TRASH_DIRECTORY/mpl xalt_tracked $PY_DEBIAN m.py &&
	one_run &&
	test "$(row matplotlib | cut -f2,3,4)" = "$(printf "true\tnull\tfalse")" &&
	test "$(row numpy | cut -f2,3,4)" = "$(printf "false\tmatplotlib\tfalse")"
'

test_done
