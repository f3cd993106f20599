#!/bin/bash
test_description='xalt report: exact tables from a hand-made corpus, checked against jq'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-corpus.sh"

test_have_prereq JQ || { skip_all='jq is needed to compute the expected rows'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
CORPUS=$TRASH_DIRECTORY/corpus
DB=$TRASH_DIRECTORY/db.sqlite

test_expect_success 'setup: ingest the corpus' '
	make_corpus corpus &&
	xalt ingest --db "$DB" corpus >out &&
	echo "read 8, loaded 8, duplicate 0, rejected 0" >expect && test_cmp expect out
'

test_expect_success 'help and misuse' '
	xalt report --help >out && grep "^usage: xalt report" out && grep "exit status" out &&
	xalt report packages --help >out && grep -- "--since" out &&
	test_must_fail xalt report 2>err && grep "^error: no report named" err &&
	xalt report nonsense 2>err; test $? = 2 && grep "unknown report .nonsense." err &&
	xalt report versions --db "$DB" 2>err; test $? = 2 && grep "needs a PACKAGE" err &&
	xalt report conda --by users --db "$DB" 2>err; test $? = 2 && grep -- "--by applies to .packages. only" err &&
	xalt report packages --format xml 2>err; test $? = 2 && grep -- "--format wants" err &&
	xalt report html --format csv x.html 2>err; test $? = 2 && grep -- "--format cannot be used with .html." err &&
	xalt report packages --since tomorrow 2>err; test $? = 2 && grep "cannot parse time" err &&
	xalt report packages --since 2026-01-02 --until 2026-01-01 2>err; test $? = 2 && grep -- "--until must be later" err
'

test_expect_success 'a missing database fails with exit 1' '
	test_must_fail xalt report packages --db nowhere.db 2>err &&
	grep "^error: cannot open database .nowhere.db." err
'

for kind in packages conda import-time executables libraries unused; do
	test_expect_success "report $kind matches jq" '
		expect_report '"$kind"' >expect &&
		xalt report '"$kind"' --db "$DB" --format csv >actual &&
		test_cmp expect actual
	'
done

test_expect_success 'report versions numpy matches jq' '
	expect_report versions . numpy >expect &&
	xalt report versions numpy --db "$DB" --format csv >actual &&
	test_cmp expect actual
'

test_expect_success 'issue 11: packages --direct, deps, unused --sort match jq' '
	corpus_json | jq -e "[.[].packages[] | select(.direct == true)] | length > 2" &&
	expect_report packages "(.packages |= map(select(.direct == true)))" >expect &&
	xalt report packages --direct --db "$DB" --format csv >actual && test_cmp expect actual &&
	for pkg in numpy requests pandas; do
		expect_report deps . $pkg >expect &&
		xalt report deps $pkg --db "$DB" --format csv >actual && test_cmp expect actual || return 1
	done &&
	test $(xalt report deps numpy --db "$DB" --format csv | wc -l) = 3 &&
	xalt report unused --db "$DB" --format csv >unused.csv &&
	test $(wc -l <unused.csv) -gt 2 &&
	xalt report unused --sort runs --db "$DB" --format csv >actual &&
	{ head -1 unused.csv; tail -n +2 unused.csv | sort -t, -k3,3nr -k4,4n -k1,1 -k2,2; } >expect &&
	test_cmp expect actual &&
	xalt report unused --sort ratio --db "$DB" --format csv >actual &&
	{ head -1 unused.csv; tail -n +2 unused.csv | sort -t, -k6,6n -k3,3nr -k1,1 -k2,2; } >expect &&
	test_cmp expect actual &&
	xalt report unused --db "$DB" --format json | jq -e "map(select(.package == \"pandas\")) | .[0].used_ratio == 0.5" &&
	{ xalt report versions --direct numpy --db "$DB" 2>err; test $? = 2; } && grep -- "--direct applies" err &&
	{ xalt report unused --sort name --db "$DB" 2>err; test $? = 2; } && grep -- "--sort wants" err &&
	{ xalt report deps --db "$DB" 2>err; test $? = 2; } && grep "needs a PACKAGE" err
'

test_expect_success 'packages: --top applies per program' '
	expect_report packages . 1 >expect &&
	test $(wc -l <expect) = 3 &&
	xalt report packages --top 1 --db "$DB" --format csv >actual &&
	test_cmp expect actual
'

test_expect_success 'packages: --program, --user, --host, --syshost' '
	expect_report packages "select(.interpreter.program? == \"R\")" >expect &&
	xalt report packages --program R --db "$DB" --format csv >actual && test_cmp expect actual &&
	expect_report packages "select(.user == \"alice\")" >expect &&
	xalt report packages --user alice --db "$DB" --format csv >actual && test_cmp expect actual &&
	expect_report packages "select(.host == \"node1\")" >expect &&
	xalt report packages --host node1 --db "$DB" --format csv >actual && test_cmp expect actual &&
	expect_report packages "select(.syshost == \"beta\")" >expect &&
	xalt report packages --syshost beta --db "$DB" --format csv >actual && test_cmp expect actual &&
	xalt report packages --user nobody-at-all --db "$DB" --format csv >actual &&
	echo "program,package,runs,users,direct,used" >expect && test_cmp expect actual
'

test_expect_success 'time window: --since inclusive, --until exclusive, dates in UTC' '
	since=$(corpus_json | jq ".[2].start_time") && until=$(corpus_json | jq ".[6].start_time") &&
	expect_report packages "select(.start_time >= $since and .start_time < $until)" >expect &&
	xalt report packages --since "$since" --until "$until" --db "$DB" --format csv >actual &&
	test_cmp expect actual &&
	expect_report import-time "select(.start_time >= $since)" >expect &&
	xalt report import-time --since "$since" --db "$DB" --format csv >actual &&
	test_cmp expect actual &&
	day=$(date -u -d @1764090000 +%Y-%m-%d) && next=$(date -u -d "@$((1764090000 + 86400))" +%Y-%m-%d) &&
	xalt report executables --since "$next" --db "$DB" --format csv >actual &&
	echo "executable,runs,users,run_time_s" >expect && test_cmp expect actual &&
	xalt report executables --since "$day" --db "$DB" --format csv >actual &&
	expect_report executables >expect && test_cmp expect actual
'

test_expect_success 'packages --by users ranks by distinct users' '
	xalt report packages --by users --program python --db "$DB" --format csv | cut -d, -f1-4 >actual &&
	corpus_json | jq -r "[.[] | .user as \$u | .packages[] | select(.program == \"python\") | {name, user: \$u}]
		| group_by(.name) | map({name: .[0].name, runs: length, users: (map(.user) | unique | length)})
		| sort_by([-.users, -.runs, .name]) | \"program,package,runs,users\", (.[] | \"python,\(.name),\(.runs),\(.users)\")" >expect &&
	test_cmp expect actual
'

test_expect_success 'text format: the same cells, aligned columns' '
	xalt report packages --db "$DB" >text &&
	xalt report packages --db "$DB" --format csv | tr , " " >expect &&
	awk "{ \$1 = \$1; print }" text >actual && test_cmp expect actual &&
	awk "{ print length(\$0) }" text | sort -u >widths && test $(wc -l <widths) = 1 &&
	xalt report versions numpy --db "$DB" >text &&
	grep "^python   -  " text
'

test_expect_success 'json format: the same rows as csv, typed' '
	xalt report import-time --db "$DB" --format json >out.json &&
	jq -r "(.[0] | keys_unsorted | join(\",\")), (.[] | [.program, .package, .runs, (.total_s * 1000 | round), (.mean_ms * 1000 | round)] | map(tostring) | join(\",\"))" out.json >actual &&
	xalt report import-time --db "$DB" --format csv | awk -F, "NR == 1 { print; next } { printf \"%s,%s,%s,%d,%d\n\", \$1, \$2, \$3, \$4 * 1000 + 0.5, \$5 * 1000 + 0.5 }" >expect &&
	test_cmp expect actual &&
	jq -e ".[0].runs | type == \"number\"" out.json &&
	xalt report versions numpy --db "$DB" --format json | jq -e "map(select(.version == null)) | length == 1"
'

test_expect_success 'hostile names are shown verbatim; csv quotes them' '
	mkrec evil/run.99.json 99 "a,b\"c" "$(pkgs "[[\"python\",\"x,\\\"y\",\"1\",0.1]]")" &&
	xalt ingest -q --db "$DB" evil &&
	xalt report packages --user "a,b\"c" --db "$DB" --format csv >actual &&
	printf "%s\n" "program,package,runs,users,direct,used" "python,\"x,\"\"y\",1,1,0,0" >expect &&
	test_cmp expect actual
'

test_expect_success 'db init and migrate are idempotent; report on an empty database' '
	xalt db init --db empty.db >out && grep "schema version 11" out &&
	xalt db migrate --db empty.db >out && grep "schema version 11" out &&
	xalt report packages --db empty.db >out && echo "program  package  runs  users  direct  used" >expect && test_cmp expect out &&
	xalt db frobnicate --db empty.db 2>err; test $? = 2 && grep "unknown action" err &&
	sqlite3 empty.db "UPDATE schema_version SET version = 99" &&
	test_must_fail xalt report packages --db empty.db 2>err && grep "schema version 99" err &&
	test_must_fail xalt db init --db empty.db 2>err && grep "schema version 99" err
'

test_expect_success 'the default database is under XDG_DATA_HOME, else ~/.local/share' '
	XDG_DATA_HOME=$TRASH_DIRECTORY/xdg xalt ingest -q corpus &&
	test -f xdg/xalt/xalt.db &&
	(unset XDG_DATA_HOME && xalt ingest -q corpus) &&
	test -f "$HOME/.local/share/xalt/xalt.db" &&
	(unset XDG_DATA_HOME && xalt report packages --format csv) >actual &&
	expect_report packages >expect && test_cmp expect actual
'

test_done
