#!/bin/bash
test_description='xalt report html: a self-contained page, rendered by headless Chromium'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-corpus.sh"

test_have_prereq JQ || { skip_all='jq is needed to compute the expected rows'; test_done; }
CHROMIUM=$(command -v chromium || command -v chromium-browser)
test -n "$CHROMIUM" || { skip_all='chromium is not installed'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
CORPUS=$TRASH_DIRECTORY/corpus

# Headless, offline, with a fresh profile each time.
chrome() {
	local profile
	profile=$(mktemp -d "$TRASH_DIRECTORY/chrome.XXXXXX") &&
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-quic --user-data-dir="$profile" "$@" 2>>chrome.log
}

# Rows of table #$1 in a DOM dump, as CSV (cells are plain text in our tables).
dom_rows() {
	tr -d '\n' <dom.html | sed 's/<table/\n<table/g; s/<tr>/\n<tr>/g' |
		sed -n "/<table id=\"$1\">/,/<\/table>/p" |
		grep '^<tr><td' | sed 's/<\/table>.*//; s/<\/td><td[^>]*>/,/g; s/<[^>]*>//g'
}

test_expect_success 'setup: corpus with a hostile name, and the page' '
	make_corpus corpus &&
	mkrec corpus/run.60.json 60 "<script>alert(1)</script>" "$(pkgs "[[\"python\",\"<b>&amp;\",\"1\",0.1]]")" &&
	xalt ingest -q --db db.sqlite corpus &&
	xalt report html --db db.sqlite report.html &&
	test -s report.html && ! ls report.html.tmp* 2>/dev/null
'

test_expect_success 'the page is self-contained: no script, no external resource' '
	! grep -i "<script" report.html &&
	! grep -iE "(src|href)=\"?(https?:)?//" report.html &&
	! grep -i "<link" report.html &&
	! grep -iE "url\(|@import" report.html
'

test_expect_success 'chromium renders it (dump-dom)' '
	chrome --dump-dom "file://$TRASH_DIRECTORY/report.html" >dom.html &&
	grep "XALT usage report" dom.html && grep -c "<svg" dom.html >nsvg && test $(cat nsvg) -ge 5
'

test_expect_success 'summary cards show the corpus counts' '
	runs=$(corpus_json | jq length) && users=$(corpus_json | jq "map(.user) | unique | length") &&
	grep "<div class=\"card\" id=\"card-runs\"><b>$runs</b>" dom.html &&
	grep "<div class=\"card\" id=\"card-users\"><b>$users</b>" dom.html
'

test_expect_success 'package tables show the expected rows' '
	expect_report packages "select(.interpreter.program? == \"python\")" | sed 1d >expect.raw &&
	sed "s/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g" expect.raw >expect &&
	dom_rows packages-python >actual && test_cmp expect actual &&
	expect_report packages "select(.interpreter.program? == \"R\")" | sed 1d >expect &&
	dom_rows packages-R >actual && test_cmp expect actual
'

test_expect_success 'issue 11 views: chosen (direct) and imported but not used' '
	expect_report packages "select(.interpreter.program? == \"python\") | (.packages |= map(select(.direct == true)))" |
		sed 1d >expect && test -s expect &&
	dom_rows packages-direct >actual && test_cmp expect actual &&
	expect_report unused | sed 1d >expect && test -s expect &&
	dom_rows unused >actual && test_cmp expect actual
'

test_expect_success 'import time and conda tables show the expected rows' '
	expect_report import-time | sed 1d | sed "s/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g" >expect &&
	dom_rows import-time >actual && test_cmp expect actual &&
	expect_report conda | sed 1d | sed "s/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g" >expect &&
	dom_rows conda >actual && test_cmp expect actual
'

test_expect_success 'hostile names are text, not markup' '
	grep "&lt;script&gt;alert(1)&lt;/script&gt;" dom.html &&
	grep "&lt;b&gt;&amp;amp;" dom.html &&
	! grep "<script>alert" dom.html
'

test_expect_success 'screenshot for humans (build/trash kept on failure)' '
	chrome --screenshot="$TRASH_DIRECTORY/report.png" --window-size=1200,1600 \
		"file://$TRASH_DIRECTORY/report.html" &&
	test "$(head -c 8 report.png | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a &&
	test $(wc -c <report.png) -gt 20000 &&
	mkdir -p "$XALT_BUILD/screenshots" && cp report.png "$XALT_BUILD/screenshots/t3300-report.png"
'

test_expect_success 'an existing OUT is replaced atomically; an unwritable one fails' '
	xalt report html --db db.sqlite report.html && test -s report.html &&
	test_must_fail xalt report html --db db.sqlite nodir/x.html 2>err &&
	grep "^error: cannot create .nodir/x.html.tmp" err && ! test -e nodir
'

test_expect_success 'filters apply to the page' '
	xalt report html --db db.sqlite --user bob bob.html &&
	grep "filters: user=bob" bob.html &&
	runs=$(corpus_json "select(.user == \"bob\")" | jq length) && test "$runs" -gt 0 &&
	grep "<div class=\"card\" id=\"card-runs\"><b>$runs</b>" bob.html
'

test_done
