#!/bin/bash
test_description='R and xalt_record_pkg end to end: the run record'"'"'s packages

Through `xalt run` and the preload library: the R hook'"'"'s spool lines
end up in the run record (filtered, one entry per namespace), the shared
filter cases hold for real R namespaces, an unsampled run leaves no spool,
and hostile names given to xalt_record_pkg give valid JSON.'

. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup
T=$(printf '\t')
RP=$XALT_PREFIX/libexec/xalt_record_pkg

# What an untracked R says about package $1, as the record's JSON entry.
r_entry() {
	Rscript -e 'p <- commandArgs(TRUE); cat(p, as.character(packageVersion(p)), find.package(p), sep = "\t"); cat("\n")' "$1" |
		jq -R -c 'split("\t") | {program: "R", name: .[0], version: .[1], path: .[2]}'
}
# The record's entry for package $1: where it came from (no import time).
rec_entry() {
	jq -c --arg n "$1" '.packages[] | select(.name == $n) | {program, name, version, path}' "$2"
}

test_expect_success R 'library, ::, requireNamespace and dependencies reach the record' '
	xalt_tracked Rscript -e "library(magrittr); x <- R6::R6Class; requireNamespace(\"jsonlite\"); suppressMessages(library(R.oo))" &&
	rec=$(xalt_one_record) &&
	test "$(jq -r .exec.program "$rec")" = R &&
	test "$(jq -r .exec.track "$rec")" = PKGS &&
	for p in magrittr R6 jsonlite R.oo R.methodsS3 stats base; do
		r_entry $p >expect &&
		rec_entry $p "$rec" >actual &&
		test_cmp expect actual || return 1
	done &&
	test "$(jq "[.packages[] | select(.name == \"magrittr\") | .import_time | numbers] | length" "$rec")" = 1 &&
	test "$(jq "[.packages[].name] | length" "$rec")" = "$(jq "[.packages[].name] | unique | length" "$rec")"
'

# Who chose each namespace (docs/R.md): library() and pkg::f at top level,
# and a function of the script, are the user's choice; a namespace loaded for
# another one's imports is pulled in by it; the default packages are start-up;
# used is unknown in R.
test_expect_success R 'library(tibble): tibble direct, rlang pulled in; start-up; used null' '
	Rscript -e "cat(requireNamespace(\"tibble\", quietly = TRUE))" | grep -q TRUE || {
		say "# tibble is not installed: nothing to check"; return 0; } &&
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked Rscript -e "library(tibble); x <- R6::R6Class; f <- function() requireNamespace(\"jsonlite\", quietly = TRUE); f()" &&
	rec=$(xalt_one_record) &&
	jq -r ".packages[] | select(.name | test(\"^(tibble|R6|jsonlite|stats)\$\")) |
		[.name, .direct, .imported_by, .startup, .used, .functions_used] | map(tostring) | @tsv" "$rec" |
		sort >actual &&
	printf "R6\ttrue\tnull\tfalse\tnull\tnull\n" >expect &&
	printf "jsonlite\ttrue\tnull\tfalse\tnull\tnull\n" >>expect &&
	printf "stats\tfalse\tnull\ttrue\tnull\tnull\n" >>expect &&
	printf "tibble\ttrue\tnull\tfalse\tnull\tnull\n" >>expect &&
	test_cmp expect actual &&
	jq -e ".packages[] | select(.name == \"rlang\") |
		.direct == false and .startup == false and (.imported_by | type) == \"string\" and
		.imported_by != \"rlang\"" "$rec" &&
	imp=$(jq -r ".packages[] | select(.name == \"rlang\") | .imported_by" "$rec") &&
	Rscript -e "cat(\"rlang\" %in% c(names(getNamespaceImports(\"$imp\")), tools::package_dependencies(\"$imp\", db = installed.packages())[[1]]))" >dep &&
	printf TRUE >expect && test_cmp expect dep
'

test_expect_success R 'the interpreter entry' '
	rec=$(xalt_one_record) &&
	Rscript -e "cat(paste(R.version\$major, R.version\$minor, sep = \".\"), R.home(), sep = \"\t\")" |
		jq -R -c "split(\"\t\") | {program: \"R\", version: .[0], kind: \"system\", prefix: .[1]}" >expect &&
	jq -c .interpreter "$rec" >actual &&
	test_cmp expect actual
'

test_expect_success R 'the spool is gone after the run' '
	test -z "$(find "$XALT_SPOOL_BASE" -mindepth 2)"
'

# The R rows of the shared table whose path is where this R really has the
# package: loaded in one tracked run, each must be in the record or not.
# r_cases CONF TSV MIN: the R rows of TSV that name installed packages (at
# least MIN) decide under the patterns of CONF as the table says, in a
# tracked R that loads them all.
r_cases() {
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_write_config filt.conf </dev/null &&
	cat "$1" >>filt.conf &&
	grep "^R$T" "$2" | cut -f2 | sort -u >names &&
	Rscript -e "for (p in readLines(\"names\")) { d <- find.package(p, quiet = TRUE); if (length(d)) cat(p, d, sep = \"\t\", \"\n\") }" |
		sed "s/$T\$//" >installed &&
	grep "^R$T" "$2" | cut -f2-4 >rows &&
	grep -F -x -f <(cut -f1,2 installed) <(cut -f1,2 rows) >usable &&
	test $(wc -l <usable) -ge $3 &&
	XALT_CONFIG=$PWD/filt.conf xalt_tracked Rscript -e "for (p in readLines(\"usable\")) loadNamespace(sub(\"\t.*\", \"\", p))" &&
	rec=$(xalt_one_record) &&
	while IFS="$T" read -r name path want; do
		grep -q -x -F "$name$T$path" usable || continue
		got=$(jq -r --arg n "$name" "if any(.packages[]; .name == \$n) then \"KEEP\" else \"SKIP\" end" "$rec")
		test "$got" = "$want" || { echo "$name $path: got $got, want $want"; return 1; }
	done <rows
}

test_expect_success R 'shared filter cases (R rows of t/filter-cases.tsv) through a tracked R' '
	r_cases "$SRC_DIRECTORY/t/filter-cases.conf" "$SRC_DIRECTORY/t/filter-cases.tsv" 8 &&
	grep -q SKIP <(grep -F -f usable rows) && grep -q KEEP <(grep -F -f usable rows)
'

test_expect_success R 'TACC'"'"'s table (R rows of t/filter-cases-tacc.tsv): R keeps everything' '
	r_cases "$SRC_DIRECTORY/t/filter-cases-tacc.conf" "$SRC_DIRECTORY/t/filter-cases-tacc.tsv" 2
'

test_expect_success R 'an unsampled R run sends nothing and leaves no spool' '
	rm -rf "$XALT_FILE_PREFIX" &&
	echo "sample 0 inf 0.0" | xalt_write_config nosample.conf &&
	(unset XALT_SAMPLING; XALT_CONFIG=$PWD/nosample.conf xalt_tracked Rscript -e "library(magrittr)") &&
	test -z "$(xalt_records)" &&
	test -z "$(find "$XALT_SPOOL_BASE" -mindepth 2)"
'

# A stand-in interpreter named R (PKGS in the test config) that runs
# xalt_record_pkg -u $XALT_RUN_UUID with its own arguments, as a hook would.
test_expect_success 'setup: a program named R calling xalt_record_pkg' '
	mkdir bin &&
	cat >hook.c <<-\EOF &&
	#include <stdlib.h>
	#include <sys/wait.h>
	#include <unistd.h>
	int main(int argc, char **argv)
	{
		char *args[64];
		int n = 0, st;
		pid_t pid;
		args[n++] = argv[1];
		args[n++] = "-u";
		args[n++] = getenv("XALT_RUN_UUID");
		for (int i = 2; i < argc && n < 63; i++)
			args[n++] = argv[i];
		args[n] = NULL;
		if (!args[2] || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			execv(args[0], args);
			_exit(127);
		}
		return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	EOF
	${CC:-cc} -o bin/R hook.c
'

test_expect_success 'direct, imported_by, startup, used, functions_used reach the record' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked bin/R "$RP" program R package_name rlang package_path /p/rlang \
		direct 0 imported_by tibble startup 0 used 1 functions_used 4 &&
	jq -c ".packages[] | [.name, .direct, .imported_by, .startup, .used, .functions_used]" \
		"$(xalt_one_record)" >actual &&
	echo "[\"rlang\",false,\"tibble\",false,true,4]" >expect &&
	test_cmp expect actual
'

check_name() {
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked bin/R "$RP" program R package_name "$1" package_version "v$1" package_path "/p/$1" &&
	rec=$(xalt_one_record) &&
	jq -e . "$rec" >/dev/null &&
	printf "%s" "$2" >want &&
	jq -j ".packages[] | select(.version == (\"v\" + .name)) | .name" "$rec" >got &&
	cmp want got &&
	jq -j ".packages[0].path" "$rec" >got &&
	printf "/p/%s" "$2" >want &&
	cmp want got
}

test_expect_success 'a name with quotes and spaces: valid JSON, same name' '
	n="it'"'"'s a \"quoted\" {name}" &&
	check_name "$n" "$n"
'

test_expect_success 'a name with TAB, LF and backslashes: valid JSON, same name' '
	n=$(printf "a\tb\nc\\\\d") &&
	check_name "$n" "$n"
'

test_expect_success 'non-UTF-8 bytes: valid JSON, each byte as its Latin-1 character' '
	n=$(printf "caf\351\377x") &&
	check_name "$n" "$(printf "%s" "$n" | iconv -f latin1 -t utf-8)"
'

test_expect_success 'a 4 KiB name: valid JSON, same name' '
	n=$(printf "%4096s" "" | tr " " "r") &&
	check_name "$n" "$n"
'

test_done
