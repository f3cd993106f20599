#!/bin/bash
test_description='xalt report: hostile names reach no terminal or spreadsheet raw (issue 12 item 6)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"

test_have_prereq JQ || { skip_all='jq is needed to write records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
DB=$TRASH_DIRECTORY/db.sqlite
# A raw C0 control other than newline, DEL, or a C1 control in UTF-8.
raw_controls() { LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$@"; }

# Package names as a hostile user writes them into a record (JSON escapes):
# OSC 52 (writes the admin's clipboard), ESC[2J (clears the screen), a C1 CSI,
# a bidi override, and cells a spreadsheet evaluates.
test_expect_success 'setup: ingest hostile names; one made invalid UTF-8 in the database' '
	mkrec evil/run.1.json 1 "mallory\u001b[2J" ".packages = ([
		\"\u001b]52;c;ZXZpbA==\u0007\", \"\u001b[2Jclear\", \"c1\u009b31mred\",
		\"rtl\u202egnp.exe\", \"=HYPERLINK(\\\"http://evil\\\",\\\"x\\\")\", \"@SUM(A1)\",
		\"+cmd|calc\", \"-2\", \"\tTAB\", \"back\\\\slash\", \"invalid\", \"plain\"
	] | map({program: \"python\", name: ., version: \"1\", path: \"/p\", import_time: 0.1}))" &&
	grep -F "\\u001b]52" evil/run.1.json &&
	xalt ingest -q --db "$DB" evil &&
	sqlite3 "$DB" "UPDATE package_names SET name = CAST(X'"'"'696e76ff616c6964'"'"' AS TEXT) WHERE name = '"'"'invalid'"'"'"
'

test_expect_success 'csv: controls shown escaped, formula cells guarded, numbers not' '
	xalt report packages --db "$DB" --format csv >out.csv &&
	! raw_controls out.csv &&
	cat >expect <<-\EOT &&
	"'"'"'=HYPERLINK(""http://evil"",""x"")",1,1,0,0
	'"'"'+cmd|calc,1,1,0,0
	'"'"'@SUM(A1),1,1,0,0
	'"'"'\x09TAB,1,1,0,0
	-2,1,1,0,0
	\x1b[2Jclear,1,1,0,0
	\x1b]52;c;ZXZpbA==\x07,1,1,0,0
	back\\slash,1,1,0,0
	c1\u009b31mred,1,1,0,0
	inv\xffalid,1,1,0,0
	plain,1,1,0,0
	rtl\u202egnp.exe,1,1,0,0
	EOT
	sed -n "2,\$p" out.csv | sed "s/^python,//" | LC_ALL=C sort >actual &&
	LC_ALL=C sort expect >expect.sorted && test_cmp expect.sorted actual
'

test_expect_success 'text: the same escapes, columns still aligned' '
	xalt report packages --db "$DB" >out.txt &&
	! raw_controls out.txt &&
	grep -F "\\x1b]52;c;ZXZpbA==\\x07" out.txt && grep -F "c1\\u009b31mred" out.txt &&
	grep -F "inv\\xffalid" out.txt && grep -F "=HYPERLINK" out.txt &&
	awk "{ print length(\$0) }" out.txt | sort -u >widths && test $(wc -l <widths) = 1
'

test_expect_success 'every report kind, text and csv: no raw control byte' '
	for kind in packages conda import-time executables libraries summary; do
		for f in text csv json; do
			xalt report $kind --db "$DB" --format $f >out.$kind.$f || return 1
			! raw_controls out.$kind.$f || return 1
		done
	done &&
	xalt report versions "$(printf "\033[2Jclear")" --db "$DB" >out.v &&
	! raw_controls out.v && grep "^python " out.v
'

test_expect_success 'json: escaped by jansson (\u escapes), the same strings back' '
	xalt report packages --db "$DB" --format json >out.json &&
	! raw_controls out.json &&
	grep -iF "\\u009b" out.json && grep -F "inv\\\\xffalid" out.json &&
	jq -r ".[] | select(.package | startswith(\"c1\")) | .package" out.json >actual &&
	printf "c1\302\23331mred\n" >expect && test_cmp expect actual
'

test_expect_success 'html: the same visible escapes, then HTML-escaped' '
	xalt report html --db "$DB" out.html &&
	! raw_controls out.html &&
	grep -F "\\x1b]52;c;ZXZpbA==\\x07" out.html &&
	grep -F "=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)" out.html &&
	grep -F "rtl\\u202egnp.exe" out.html
'

test_expect_success 'ingest messages show hostile file names escaped' '
	mkdir hostile && echo "{" >"hostile/run.$(printf "\033]52;c;eA==\007").json" &&
	test_must_fail xalt ingest --db "$DB" hostile 2>err &&
	! raw_controls err &&
	grep -F "rejected '"'"'hostile/run.\\x1b]52;c;eA==\\x07.json'"'"'" err
'

test_done
