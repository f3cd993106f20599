#!/bin/bash
test_description='bench/gen-year: valid, deterministic records with the new fields, loadable by xalt ingest'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to check the records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader db.sqlite "$@"; }
GEN_YEAR_BUILD=$TRASH_DIRECTORY/bin
test "${XALT_TEST_ASAN:-}" = 1 &&
	GEN_YEAR_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
export GEN_YEAR_BUILD GEN_YEAR_CFLAGS
gen() { "$TEST_DIRECTORY/../bench/gen-year" --runs-per-day 400 --users 150 --py-packages 300 \
	--r-packages 80 --apps 30 "$@"; }

test_expect_success 'builds; --help on stdout, exit 0; misuse exit 2' '
	gen --help >out 2>err && grep "^usage: gen-year" out && ! test -s err &&
	test_must_fail gen --bogus 2>err && grep "^usage: gen-year" err &&
	gen --days 1 extra 2>err; test $? = 2
'

test_expect_success 'a week as a stream: one xalt-run/1 object per line, counts on stderr' '
	gen --days 7 >week.ndjson 2>counts &&
	read -r _ days _ runs _ pkgs _ <counts &&
	test "$days" = 7 &&
	test "$(wc -l <week.ndjson)" = "$runs" &&
	jq -c "select(.schema != \"xalt-run/1\")" week.ndjson >bad && ! test -s bad &&
	test "$(jq -s "map(.packages | length) | add" week.ndjson)" = "$pkgs" &&
	test "$(jq -r .run_uuid week.ndjson | sort -u | wc -l)" = "$runs"
'

test_expect_success 'weekends are quieter; 2026-01-01 (day 0) is a Thursday' '
	jq -r ".start_time | floor | strftime(\"%a\")" week.ndjson | sort | uniq -c >days &&
	sat=$(awk "\$2 == \"Sat\" { print \$1 }" days) && thu=$(awk "\$2 == \"Thu\" { print \$1 }" days) &&
	test "$sat" = 280 && test "$thu" = 448
'

test_expect_success 'deterministic: a day alone is that day of a longer run; the seed changes it' '
	gen --days 1 --first-day 5 2>/dev/null | sort >day5 &&
	jq -c "select(.start_time >= 1767225600 + 5 * 86400 and .start_time < 1767225600 + 6 * 86400)" \
		week.ndjson | sort >day5.expect &&
	jq -c . day5 | sort >day5.actual && test_cmp day5.expect day5.actual &&
	gen --days 7 2>/dev/null | cmp - week.ndjson &&
	! gen --days 1 --first-day 5 --seed 2 2>/dev/null | sort | cmp -s - day5
'

test_expect_success 'package entries carry direct, imported_by, startup, used, functions_used' '
	jq -c ".interpreter as \$i | .packages as \$all | .packages[]
		| select((.direct | type) != \"boolean\" or (.startup | type) != \"boolean\"
			or ((.imported_by | type) != \"string\" and .imported_by != null)
			or (.imported_by != null and (.direct or .startup))
			or (.startup and .direct)
			or (.imported_by as \$b | \$b != null and ([\$all[].name] | index(\$b)) == null)
			or (((\$i.program == \"python\" and (\$i.version | split(\".\")[1] | tonumber) >= 12)
				| not) != (.used == null))
			or ((.used == null) != (.functions_used == null))
			or (.used == false and .functions_used != 0))" week.ndjson >bad &&
	! test -s bad &&
	jq -r ".packages[] | [.direct, .startup, .imported_by != null, (.used | tostring)] | @tsv" week.ndjson |
		sort | uniq -c >mix &&
	grep -q "true	false	false	true" mix && grep -q "false	false	true	false" mix &&
	grep -q "false	true	false	false" mix && grep -q "	null$" mix
'

test_expect_success 'exits: recovered runs have no status; workflow children name a run of their job' '
	jq -c "select(.exit.how == \"recovered\" and .exit.status != null)" week.ndjson >bad &&
	! test -s bad &&
	jq -e -s "map(select(.exit.how == \"recovered\")) | length > 0" week.ndjson &&
	jq -e -s "map(select(.exit.how == \"signal\" and .exit.signal > 0)) | length > 0" week.ndjson &&
	jq -r -s "(map({key: .run_uuid, value: .job.id}) | from_entries) as \$job
		| .[] | select(.parent_run_uuid) | [\$job[.parent_run_uuid], .job.id] | @tsv" \
		week.ndjson >chains &&
	test -s chains && awk "\$1 != \$2" chains >bad && ! test -s bad
'

test_expect_success '--out: the same records as files, 1000 per directory, named by start and uuid' '
	gen --days 3 --runs-per-day 1000 --out files 2>counts &&
	read -r _ _ _ runs _ pkgs _ <counts &&
	find files -name "run.*.json" | sort >names &&
	test "$(wc -l <names)" = "$runs" &&
	test "$(find files/2026-01-01/000 -name "run.*.json" | wc -l)" = 1000 &&
	test "$(find files/2026-01-01/001 -name "run.*.json" | wc -l)" = 120 &&
	xargs jq -r "[input_filename, (.start_time | floor | strftime(\"%Y%m%dT%H%M%S\")), .run_uuid]
		| @tsv" <names >named &&
	awk -F "\t" "{ n = split(\$1, p, \"/\"); b = p[n] }
		substr(b, 1, 20) != \"run.\" \$2 \".\" || substr(b, 21, 6) !~ /^[0-9]+\$/ ||
		substr(b, 27) != \"Z.\" \$3 \".json\"" named >bad &&
	! test -s bad && test "$(wc -l <named)" = "$runs" &&
	gen --days 3 --runs-per-day 1000 2>/dev/null | jq -c . | sort >stream &&
	xargs cat <names | jq -c . | sort >fromfiles && test_cmp stream fromfiles
'

test_expect_success 'xalt ingest loads every record, none rejected' '
	read -r _ _ _ runs _ pkgs _ <counts &&
	xalt ingest --db db.sqlite files >out &&
	echo "read $runs, loaded $runs, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	test "$(q "SELECT count(*) FROM run_package")" = "$pkgs" &&
	test "$(q "SELECT count(*) FROM runs WHERE exit_how = '\''recovered'\'' AND exit_status IS NULL")" = \
		"$(xargs cat <names | jq -s "map(select(.exit.how == \"recovered\")) | length")"
'

test_done
