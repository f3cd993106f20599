#!/bin/bash
test_description='the R hook (site/Rprofile.site) with a real R

Runs R and Rscript the way a tracked run starts them (XALT_RUN_UUID,
XALT_SPOOL_DIR named after the pid R will have, R_PROFILE pointing at
the hook) and checks the spool: every namespace loaded, by any route,
with its version and library path; nothing else changed.'

. "$(dirname "$0")/test-lib.sh"

if ! test_have_prereq R; then
	skip_all='R (Rscript) is not installed'
	test_done
fi

xalt_setup
HOOK=$XALT_PREFIX/site/Rprofile.site
UDIR=$XALT_SPOOL_BASE/xalt-$(id -u)
T=$(printf '\t')
export HOOK UDIR

# Run "$@" as a tracked R would run: a fresh uuid, the spool dir named after
# the pid of the sh that execs it (Rscript and the R front-end script exec,
# keeping that pid: checked below). Sets RUN_UUID; spool() prints the file.
r_tracked() {
	RUN_UUID=$(cat /proc/sys/kernel/random/uuid)
	R_PROFILE=$HOOK XALT_RUN_UUID=$RUN_UUID sh -c \
		'd=$UDIR/$XALT_RUN_UUID.$$ && mkdir -m 700 "$d" && XALT_SPOOL_DIR=$d exec "$@"' \
		r_tracked "$@"
}
spool() { cat "$UDIR/$RUN_UUID".*/pkgs; }
# name TAB version TAB path of the P lines
spool_pkgs() { spool | sed -n "s/^P${T}R${T}//p" | cut -f1-3; }

# What an untracked R says about package $1: name TAB version TAB path.
r_says() {
	Rscript -e 'p <- commandArgs(TRUE); cat(p, as.character(packageVersion(p)), find.package(p), sep = "\t"); cat("\n")' "$1"
}

test_expect_success 'setup: the user spool dir' '
	mkdir -m 700 "$UDIR"
'

test_expect_success 'R keeps the pid of the sh that execs Rscript (the spool name rule)' '
	r_tracked Rscript -e "cat(Sys.getpid())" >pid &&
	ls "$UDIR" | grep "^$RUN_UUID\.$(cat pid)\$" &&
	spool >/dev/null &&
	test "$(stat -c %a "$UDIR/$RUN_UUID".*/pkgs)" = 600 &&
	test "$(r_tracked Rscript -e "cat(format(Sys.umask()))")" = "$(Rscript -e "cat(format(Sys.umask()))")"
'

test_expect_success 'start-up: every loaded namespace, base packages included' '
	r_tracked Rscript -e "cat(sort(loadedNamespaces()), sep = \"\n\")" >expect &&
	grep -x stats expect && grep -x utils expect && grep -x methods expect &&
	spool_pkgs | cut -f1 | sort >actual &&
	test_cmp expect actual &&
	test $(spool_pkgs | cut -f1 | sort | uniq -d | wc -l) = 0
'

test_expect_success 'versions and library paths are what R says' '
	r_tracked Rscript -e "invisible(0)" &&
	for p in base stats utils methods; do
		r_says $p >expect &&
		spool_pkgs | grep "^$p$T" >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'one I line: R version, kind, R.home()' '
	r_tracked Rscript -e "invisible(0)" &&
	Rscript -e "cat(\"I\", \"R\", paste(R.version\$major, R.version\$minor, sep = \".\"), \"system\", R.home(), sep = \"\t\"); cat(\"\n\")" >expect &&
	spool | grep "^I$T" >actual &&
	test_cmp expect actual
'

# Each route into a namespace, in a run of its own: the package must appear
# with its real version and path, and an import time in microseconds.
for route in 'library(magrittr)' 'require(digest)' 'requireNamespace("jsonlite")' \
	'x <- R6::R6Class' 'loadNamespace("digest")' 'library("R6", character.only = TRUE)' \
	'suppressWarnings(attachNamespace("magrittr"))' 'x <- lapply("jsonlite", loadNamespace)'
do
	pkg=$(printf '%s' "$route" | sed 's/.*(\"*\([A-Za-z0-9.]*\).*/\1/; s/^x <- \([A-Za-z0-9]*\)::.*/\1/')
	test_expect_success "recorded through $route" '
		r_tracked Rscript -e "$route" >out 2>err &&
		r_says '"$pkg"' >expect &&
		spool_pkgs | grep "^'"$pkg"'$T" >actual &&
		test_cmp expect actual &&
		spool | grep "^P${T}R${T}'"$pkg"'$T" | cut -f6 | grep -E "^[0-9]+\$"
	'
done

test_expect_success 'dependencies are recorded, each with its version' '
	for p in R.oo tibble; do
		Rscript -e "b <- loadedNamespaces(); suppressMessages(library($p)); cat(sort(setdiff(loadedNamespaces(), b)), sep = \"\n\")" >deps &&
		test $(wc -l <deps) -ge 2 &&
		r_tracked Rscript -e "suppressMessages(library($p))" &&
		while read d; do
			r_says $d >expect &&
			spool_pkgs | grep "^$d$T" >actual &&
			test_cmp expect actual || return 1
		done <deps || return 1
	done
'

test_expect_success 'R itself (not Rscript): R -s -f and R --no-echo -e' '
	echo "library(magrittr)" >script.R &&
	r_tracked R -s -f script.R &&
	spool_pkgs | grep "^magrittr$T" &&
	r_tracked R --no-echo -e "library(digest)" &&
	spool_pkgs | grep "^digest$T"
'

# --- the user's program is unchanged -------------------------------------
cat >prog.R <<\EOF
cat("out 1\n"); message("msg 1")
x <- suppressMessages(library(magrittr, logical.return = TRUE)); print(x)
print(requireNamespace("nosuchpkgxx", quietly = TRUE))
print(suppressWarnings(require("nosuchpkgxx", quietly = TRUE)))
r <- tryCatch(loadNamespace("nosuchpkgxx"), error = function(e) e)
print(conditionMessage(r)); print(conditionCall(r))
print(names(formals(loadNamespace)))
warning("a warning")
print(ls(all.names = TRUE)); print(search())
quit(status = 3)
EOF

test_expect_success 'output, warnings and exit status are unchanged' '
	{ Rscript prog.R >expect.out 2>expect.err; echo $? >expect.rc; } &&
	{ r_tracked Rscript prog.R >out 2>err; echo $? >rc; } &&
	test "$(cat expect.rc)" = 3 &&
	test_cmp expect.rc rc &&
	test_cmp expect.out out &&
	test_cmp expect.err err &&
	spool_pkgs | grep "^magrittr$T"
'

test_expect_success 'an error in the user code: same message, same exit status' '
	printf "library(digest)\nstop(\"user error\")\ncat(\"not reached\")\n" >err.R &&
	{ Rscript err.R >expect.out 2>expect.err; echo $? >expect.rc; } &&
	{ r_tracked Rscript err.R >out 2>err; echo $? >rc; } &&
	test_cmp expect.rc rc && test_cmp expect.out out && test_cmp expect.err err &&
	spool_pkgs | grep "^digest$T"
'

test_expect_success 'a missing package via ::: same error and status (Calls: line excepted)' '
	printf "nosuchpkgxx::f()\n" >miss.R &&
	{ Rscript miss.R >expect.out 2>expect.err; echo $? >expect.rc; } &&
	{ r_tracked Rscript miss.R >out 2>err; echo $? >rc; } &&
	test_cmp expect.rc rc && test_cmp expect.out out &&
	grep -v "^Calls:" expect.err >expect &&
	grep -v "^Calls:" err >actual &&
	test_cmp expect actual
'

test_expect_success 'kill -9: what was loaded before is in the spool' '
	{ r_tracked Rscript -e "library(magrittr); tools::pskill(Sys.getpid(), tools::SIGKILL); library(digest)"; echo $? >rc; } &&
	test "$(cat rc)" = 137 &&
	spool_pkgs | grep "^magrittr$T" &&
	! spool_pkgs | grep "^digest$T"
'

test_expect_success 'the exit sweep catches namespaces loaded behind the wrapper' '
	r_tracked Rscript -e "orig <- environment(loadNamespace)\$orig; unlockBinding(\"loadNamespace\", baseenv()); assign(\"loadNamespace\", orig, baseenv()); rm(orig); invisible(gc()); invisible(loadNamespace(\"digest\"))" &&
	spool | grep "^P${T}R${T}digest$T" | cut -f6 >t &&
	test "$(cat t)" = ""
'

test_expect_success 'a child R inheriting our variables does not write into our spool' '
	r_tracked Rscript -e "invisible(system2(\"Rscript\", c(\"-e\", shQuote(\"library(digest)\"))))" &&
	! spool_pkgs | grep "^digest$T"
'

# --- when not to record ------------------------------------------------------
test_expect_success 'tracking off (no XALT_RUN_UUID): nothing written' '
	sh -c "mkdir -m 700 $UDIR/off.\$\$ && XALT_SPOOL_DIR=$UDIR/off.\$\$ R_PROFILE=$HOOK exec Rscript -e \"library(magrittr)\"" &&
	ls "$UDIR"/off.* >/dev/null &&
	test -z "$(find "$UDIR" -path "*off.*" -name pkgs)"
'

test_expect_success 'no XALT_SPOOL_DIR: nothing written anywhere' '
	before=$(find "$XALT_SPOOL_BASE" -name pkgs | wc -l) &&
	XALT_RUN_UUID=$(cat /proc/sys/kernel/random/uuid) R_PROFILE=$HOOK Rscript -e "library(magrittr)" &&
	test "$(find "$XALT_SPOOL_BASE" -name pkgs | wc -l)" = "$before"
'

test_expect_success 'a spool dir named for another pid: nothing written' '
	U=$(cat /proc/sys/kernel/random/uuid) &&
	mkdir -m 700 "$UDIR/$U.1" &&
	XALT_RUN_UUID=$U XALT_SPOOL_DIR=$UDIR/$U.1 R_PROFILE=$HOOK Rscript -e "library(magrittr)" &&
	test ! -e "$UDIR/$U.1/pkgs"
'

test_expect_success 'a broken spool (missing dir): the user code runs, silently' '
	Rscript prog.R >expect.out 2>expect.err;
	U=$(cat /proc/sys/kernel/random/uuid) &&
	{ R_PROFILE=$HOOK XALT_RUN_UUID=$U sh -c "XALT_SPOOL_DIR=$PWD/missing/$U.\$\$ exec Rscript prog.R" >out 2>err; echo $? >rc; } &&
	test "$(cat rc)" = 3 &&
	test_cmp expect.out out && test_cmp expect.err err &&
	R_PROFILE=$HOOK XALT_RUN_UUID=$U XALT_TRACING=yes sh -c "XALT_SPOOL_DIR=$PWD/missing/$U.\$\$ exec Rscript -e \"cat(\\\"ran\\\")\"" >out 2>err &&
	test "$(cat out)" = ran &&
	grep "^xalt: R hook: not installed: " err
'

if test_have_prereq ROOT && unshare -m true 2>/dev/null; then
	test_set_prereq UNSHARE
fi
test_expect_success UNSHARE 'a full spool (ENOSPC, private 8 KiB tmpfs): the user code runs, silently' '
	Rscript prog.R >expect.out 2>expect.err;
	mkdir full &&
	cat >full.sh <<-\EOF &&
	mount -t tmpfs -o size=8k,mode=755 none full || exit 1
	head -c 65536 /dev/zero >full/filler 2>/dev/null
	U=$(cat /proc/sys/kernel/random/uuid)
	R_PROFILE=$HOOK XALT_RUN_UUID=$U sh -c "mkdir -m 700 full/$U.\$\$ && XALT_SPOOL_DIR=$PWD/full/$U.\$\$ exec Rscript prog.R" >out 2>err
	echo $? >rc
	ls -d full/$U.* >spooldir
	umount full
	EOF
	HOOK=$HOOK unshare -m bash full.sh &&
	test -s spooldir &&
	test "$(cat rc)" = 3 &&
	test_cmp expect.out out && test_cmp expect.err err
'

# --- chaining to the site profile we shadow ----------------------------------
test_expect_success 'XALT_R_PROFILE_CHAIN is sourced, tracked or not, printing nothing' '
	echo "options(xalt.test.chain = \"yes\")" >chain.R &&
	XALT_R_PROFILE_CHAIN=$PWD/chain.R r_tracked Rscript -e "cat(getOption(\"xalt.test.chain\"))" >out 2>err &&
	test "$(cat out)" = yes && test ! -s err &&
	spool_pkgs | grep "^base$T" &&
	XALT_R_PROFILE_CHAIN=$PWD/chain.R R_PROFILE=$HOOK Rscript -e "cat(getOption(\"xalt.test.chain\"))" >out 2>err &&
	test "$(cat out)" = yes && test ! -s err
'

test_expect_success 'by default R_HOME/etc/Rprofile.site still applies' '
	test -f "$(Rscript -e "cat(R.home(\"etc\"))")/Rprofile.site" &&
	Rscript -e "print(getOption(\"repos\"))" >expect &&
	r_tracked Rscript -e "print(getOption(\"repos\"))" >actual &&
	test_cmp expect actual
'

test_expect_success 'a chained profile prints its visible values as R would' '
	printf "1 + 1\ninvisible(3)\nlocal({ x <- 1 })\nchained_var <- 5\n" >chain2.R &&
	R_PROFILE=$PWD/chain2.R Rscript -e "cat(chained_var, \"\n\")" >expect &&
	XALT_R_PROFILE_CHAIN=$PWD/chain2.R r_tracked Rscript -e "cat(chained_var, \"\n\")" >actual &&
	test_cmp expect actual
'

test_expect_success 'an error in the chained profile does not stop the user code' '
	printf "options(a = 1)\nstop(\"site profile broken\")\n" >chain3.R &&
	XALT_R_PROFILE_CHAIN=$PWD/chain3.R r_tracked Rscript -e "cat(getOption(\"a\"), \"ran\n\")" >out 2>err &&
	test "$(cat out)" = "1 ran" && test ! -s err
'

test_expect_success 'chaining to the hook itself does not recurse' '
	XALT_R_PROFILE_CHAIN=$HOOK r_tracked Rscript -e "cat(\"ran\n\")" >out 2>err &&
	test "$(cat out)" = ran && test ! -s err &&
	test $(spool | grep -c "^I$T") = 1 &&
	XALT_TRACING=yes XALT_R_PROFILE_CHAIN=$HOOK r_tracked Rscript -e "invisible(0)" 2>err &&
	grep "it is this hook" err &&
	test $(grep -c "^xalt: R hook: sourcing" err) = 0
'

test_expect_success 'the hook leaves nothing in the global env or the search path' '
	Rscript -e "print(ls(all.names = TRUE)); print(search())" >expect &&
	r_tracked Rscript -e "print(ls(all.names = TRUE)); print(search())" >actual &&
	test_cmp expect actual
'

test_done
