#!/bin/bash
test_description='xalt ingest and report are valgrind clean (leaks, invalid accesses)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-corpus.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
command -v valgrind >/dev/null || { skip_all='valgrind is not installed'; test_done; }
test_have_prereq ASAN && { skip_all='valgrind does not run ASan builds'; test_done; }

CORPUS=$TRASH_DIRECTORY/corpus
vg() {
	valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect "$XALT_PREFIX/bin/xalt" "$@"
}

test_expect_success 'setup: a corpus with good and bad records' '
	make_corpus corpus &&
	echo "{ truncated" >corpus/run.90.json &&
	mkrec corpus/run.91.json 91 eve ".schema = 3" &&
	mkrec corpus/run.92.json 92 eve "$(pkgs "[[\"python\",\"a\",\"1\",0.1],[\"python\",\"a\",\"2\",0.1]]")"
'

test_expect_success 'ingest under valgrind: rejects reported, no leak, no error' '
	vg ingest --db db.sqlite corpus >out 2>err; test $? = 1 &&
	echo "read 11, loaded 8, duplicate 0, rejected 3" >expect && test_cmp expect out &&
	test $(grep -c "^error: rejected" err) = 3 && ! grep "==[0-9]*==" err
'

test_expect_success 'duplicate ingest with --archive under valgrind' '
	mkdir arch && rm corpus/run.9[012].json &&
	vg ingest --db db.sqlite --archive arch corpus >out 2>err &&
	echo "read 8, loaded 0, duplicate 8, rejected 0" >expect && test_cmp expect out &&
	! grep "==[0-9]*==" err
'

for args in "packages" "packages --user alice --since 2025-01-01 --format json" "versions numpy --format csv" \
	    "conda" "import-time" "executables" "libraries" "html page.html"; do
	test_expect_success "report $args under valgrind" '
		vg report '"$args"' --db db.sqlite >out 2>err &&
		! grep "==[0-9]*==" err
	'
done

test_done
