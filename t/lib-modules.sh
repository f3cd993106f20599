# Helpers for the modulefile tests (t5000 Tcl, t5010 Lmod), sourced after
# test-lib.sh. Every step runs in a fresh `env -i bash --norc` shell, as a
# user's login would, with the real module tool:
#
#   modules_tool tcl|lmod          choose the tool (skips the file if absent)
#   modules_pick                   inside a step: choose whichever tool this
#                                  machine has (Environment Modules first), or
#                                  return 1 (steps that need one have the
#                                  prereq MODULES: set when either exists)
#   modules_run 'user setup' 'commands'
#       runs: init the tool; module use <our modulefiles>; user setup;
#       snapshot env to before.env; commands (module load/unload...)
#       stdout/stderr of the commands go to out and err.
#   env_snapshot FILE              (inside commands) env, sorted, without the
#                                  module tool's own bookkeeping variables
#
# The bookkeeping the tools keep for themselves (and change for every module
# loaded) is not the user's environment: LOADEDMODULES, _LMFILES_,
# _ModuleTable*_, __LMOD_REF_COUNT_*, __LMOD_STACK_*, __MODULES_*. Everything
# else must be byte-identical after unload. Under `make check-asan` the
# sanitizer options are passed on too (the sanitized library runs in every
# program once the module is loaded), and they are the tests', not the user's.

# Components other branches build: their steps run once those are merged.
"$XALT_PREFIX/bin/xalt" help 2>/dev/null | grep -q "^  run " && test_set_prereq XALT_RUN
test -f "$XALT_PREFIX/lib/libxalt_init.so" && test_set_prereq PRELOAD
test -f "$XALT_PREFIX/site/sitecustomize.py" && test_set_prereq PYHOOK
test -f "$XALT_PREFIX/site/Rprofile.site" && test_set_prereq RHOOK

# Where the tools are: a machine may have either, both or none (a test can
# hide one by pointing these into an empty tree).
LMOD_PKG_DIR=${XALT_TEST_LMOD:-/opt/xalt-test-lmod/usr/share/lmod/lmod}
MODULES_INIT=${XALT_TEST_MODULES_INIT:-/usr/share/modules/init/bash}
test -r "$MODULES_INIT" && test_set_prereq MODULES_TCL
test -x "$LMOD_PKG_DIR/libexec/lmod" && test_set_prereq MODULES_LMOD
{ test_have_prereq MODULES_TCL || test_have_prereq MODULES_LMOD; } && test_set_prereq MODULES

modules_tool() {
	MODULES_TOOL=$1
	case $1 in
	tcl)
		test_have_prereq MODULES_TCL ||
			{ skip_all="Environment Modules missing at $MODULES_INIT (apt-get install environment-modules)"; test_done; }
		MODULES_DIR=$XALT_PREFIX/share/modulefiles-tcl ;;
	lmod)
		test_have_prereq MODULES_LMOD ||
			{ skip_all="Lmod missing at $LMOD_PKG_DIR (scripts/deps.sh unpacks it)"; test_done; }
		MODULES_DIR=$XALT_PREFIX/share/modulefiles ;;
	esac
	test -d "$MODULES_DIR/xalt" ||
		{ skip_all="no modulefiles installed in $MODULES_DIR"; test_done; }
}

modules_pick() {
	if test_have_prereq MODULES_TCL; then
		MODULES_TOOL=tcl MODULES_DIR=$XALT_PREFIX/share/modulefiles-tcl
	elif test_have_prereq MODULES_LMOD; then
		MODULES_TOOL=lmod MODULES_DIR=$XALT_PREFIX/share/modulefiles
	else
		echo "no module system: neither $MODULES_INIT nor $LMOD_PKG_DIR/libexec/lmod"
		return 1
	fi
}

modules_driver() {
	cat <<-'EOF_DRIVER'
	env_snapshot() {
		env | LC_ALL=C sort | grep -v -E '^(ASAN_OPTIONS|UBSAN_OPTIONS|LOADEDMODULES|_LMFILES_|_ModuleTable[0-9]*_|__LMOD_REF_COUNT_[A-Za-z0-9_]*|__LMOD_STACK_[A-Za-z0-9_]*|__MODULES_[A-Za-z0-9_]*)=' >"$1"
	}
	case $MODULES_TOOL in
	tcl) . "$MODULES_INIT" ;;
	lmod)
		export LMOD_PKG=$LMOD_PKG_DIR LMOD_DIR=$LMOD_PKG_DIR/libexec LMOD_CMD=$LMOD_PKG_DIR/libexec/lmod
		module() { eval "$("$LMOD_CMD" bash "$@")"; } ;;
	esac
	module use "$MODULES_DIR"
	unset MODULES_TOOL LMOD_PKG_DIR MODULES_DIR MODULES_INIT
	eval "$1"
	env_snapshot before.env
	eval "$2"
	EOF_DRIVER
}

# modules_run 'user setup' 'commands': see above. Returns the shell's status.
modules_run() {
	modules_driver >driver.sh
	env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C TZ=UTC \
		MODULES_TOOL="$MODULES_TOOL" LMOD_PKG_DIR="$LMOD_PKG_DIR" MODULES_DIR="$MODULES_DIR" \
		MODULES_INIT="$MODULES_INIT" \
		${XALT_CONFIG:+XALT_CONFIG="$XALT_CONFIG"} \
		${XALT_FILE_PREFIX:+XALT_FILE_PREFIX="$XALT_FILE_PREFIX"} \
		${XALT_SPOOL_BASE:+XALT_SPOOL_BASE="$XALT_SPOOL_BASE"} \
		${XALT_SAMPLING:+XALT_SAMPLING="$XALT_SAMPLING"} \
		${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
		bash --norc --noprofile driver.sh "$1" "$2" >out 2>err
}

# The user setups every test runs through: none, own values, empty values,
# our library already in LD_PRELOAD (not first).
USER_NONE=':'
USER_OWN='export LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6 PYTHONPATH=/home/u/py:/opt/py R_PROFILE=/home/u/Rprofile'
USER_EMPTY='export LD_PRELOAD= PYTHONPATH= R_PROFILE='
# (Under ASan the sanitizer runtime must come first in a list that holds
# the sanitized library before the module loads.)
HAS_LIB_VALUE=${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}/lib/x86_64-linux-gnu/libm.so.6:$XALT_PREFIX/lib/libxalt_init.so
USER_HAS_LIB="export LD_PRELOAD=$HAS_LIB_VALUE PYTHONPATH=/opt/py"

# Steps shared by both tools: $1 is the tool.
modules_common_tests() {
	for who in NONE OWN EMPTY HAS_LIB; do
		eval "setup=\$USER_$who"
		test_expect_success "unload restores the environment exactly (user: $who)" "
			modules_run '$setup' 'module load xalt && env_snapshot loaded.env && module unload xalt && env_snapshot after.env' &&
			test_cmp before.env after.env &&
			! test_cmp before.env loaded.env >/dev/null &&
			test_must_be_empty err
		"
	done

	test_expect_success 'load sets the environment contract (user with none)' '
		modules_run "$USER_NONE" "module load xalt && env_snapshot loaded.env" &&
		P=$XALT_PREFIX &&
		grep "^LD_PRELOAD=$P/lib/libxalt_init.so\$" loaded.env &&
		grep "^PYTHONPATH=$P/site\$" loaded.env &&
		grep "^XALT_EXECUTABLE_TRACKING=yes\$" loaded.env &&
		grep "^XALT_DIR=$P\$" loaded.env &&
		if test -f "$P/site/Rprofile.site"; then
			grep "^R_PROFILE=$P/site/Rprofile.site\$" loaded.env
		else
			! grep "^R_PROFILE=" loaded.env
		fi &&
		! grep "^XALT_R_PROFILE_CHAIN=" loaded.env
	'

	test_expect_success 'load prepends to the user values and chains R_PROFILE' '
		modules_run "$USER_OWN" "module load xalt && env_snapshot loaded.env" &&
		P=$XALT_PREFIX &&
		grep "^LD_PRELOAD=$P/lib/libxalt_init.so:/lib/x86_64-linux-gnu/libm.so.6\$" loaded.env &&
		grep "^PYTHONPATH=$P/site:/home/u/py:/opt/py\$" loaded.env &&
		if test -f "$P/site/Rprofile.site"; then
			grep "^XALT_R_PROFILE_CHAIN=/home/u/Rprofile\$" loaded.env &&
			grep "^R_PROFILE=$P/site/Rprofile.site\$" loaded.env
		fi
	'

	test_expect_success 'empty variables: no stray ":" (it would mean the cwd)' '
		modules_run "$USER_EMPTY" "module load xalt && env_snapshot loaded.env" &&
		grep "^PYTHONPATH=$XALT_PREFIX/site\$" loaded.env &&
		grep "^LD_PRELOAD=$XALT_PREFIX/lib/libxalt_init.so\$" loaded.env
	'

	test_expect_success 'our library already preloaded: left where it is' '
		modules_run "$USER_HAS_LIB" "module load xalt && env_snapshot loaded.env" &&
		grep -x -F "LD_PRELOAD=$HAS_LIB_VALUE" loaded.env
	'

	test_expect_success 'loading twice, unloading once: restored' '
		modules_run "$USER_OWN" "module load xalt && module load xalt && module unload xalt && env_snapshot after.env" &&
		test_cmp before.env after.env
	'

	test_expect_success 'module purge restores the environment too' '
		modules_run "$USER_OWN" "module load xalt && module purge && env_snapshot after.env" &&
		test_cmp before.env after.env
	'

	test_expect_success 'prefix moved: load leaves LD_PRELOAD alone, programs run clean' '
		moved=$TRASH_DIRECTORY/moved &&
		rm -rf "$moved" && mkdir -p "$moved/xalt" &&
		for f in "$MODULES_DIR"/xalt/*; do
			sed "s|$XALT_PREFIX|/nonexistent/xalt|g" "$f" >"$moved/xalt/${f##*/}" || exit 1
		done &&
		MODULES_DIR=$moved modules_run "$USER_OWN" \
			"module load xalt && env_snapshot loaded.env && /bin/echo hello && module unload xalt && env_snapshot after.env" &&
		grep "^LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6\$" loaded.env &&
		grep "^PYTHONPATH=/home/u/py:/opt/py\$" loaded.env &&
		echo hello >expect && test_cmp expect out &&
		test_must_be_empty err &&
		test_cmp before.env after.env
	'

	test_expect_success XALT_RUN 'xalt run sets the same contract variables as the module' '
		contract="^(LD_PRELOAD|PYTHONPATH|R_PROFILE|XALT_R_PROFILE_CHAIN|XALT_EXECUTABLE_TRACKING|XALT_DIR)="
		: the module sets R_PROFILE only when the R hook exists: a profile that is not
		: there would hide the site Rprofile from R. Compare R only once it is installed.
		test_have_prereq RHOOK ||
			contract="^(LD_PRELOAD|PYTHONPATH|XALT_EXECUTABLE_TRACKING|XALT_DIR)="
		for setup in "$USER_NONE" "$USER_OWN"; do
			modules_run "$setup" "module load xalt && env_snapshot loaded.env" &&
			grep -E "$contract" loaded.env >module.vars &&
			modules_run "$setup" "\"$XALT_PREFIX/bin/xalt\" run -- /usr/bin/env | LC_ALL=C sort >run.env" &&
			grep -E "$contract" run.env >run.vars &&
			test_cmp module.vars run.vars || exit 1
		done
	'

	test_expect_success PRELOAD,JQ 'module load xalt: a C program is recorded' '
		xalt_setup &&
		cp /bin/true ./myprog &&
		modules_run "$USER_OWN" "module load xalt && ./myprog" &&
		test_must_be_empty err &&
		rec=$(xalt_one_record) &&
		jq -e ".exec.path == \"$TRASH_DIRECTORY/myprog\"" "$rec" &&
		rm -rf "$XALT_FILE_PREFIX"
	'

	test_expect_success PYTHON,PRELOAD,PYHOOK,JQ 'module load xalt: a Python import is recorded' '
		xalt_setup &&
		modules_run "$USER_NONE" "module load xalt && /usr/bin/python3 -c \"import json\"" &&
		test_must_be_empty err &&
		rec=$(xalt_one_record) &&
		jq -e "[.packages[] | select(.program == \"python\" and .name == \"json\")] | length == 1" "$rec" &&
		rm -rf "$XALT_FILE_PREFIX"
	'

	test_expect_success R,PRELOAD,RHOOK,JQ 'module load xalt: an R package load is recorded' '
		xalt_setup && rm -rf "$XALT_FILE_PREFIX" &&
		modules_run "$USER_NONE" "module load xalt && Rscript -e \"invisible(loadNamespace(\\\"jsonlite\\\"))\"" &&
		test_must_be_empty err &&
		rec=$(xalt_one_record) &&
		jq -e "[.packages[] | select(.program == \"R\" and .name == \"jsonlite\")] | length == 1" "$rec" &&
		rm -rf "$XALT_FILE_PREFIX"
	'

	test_expect_success R,RHOOK 'a user R_PROFILE still runs under the module' '
		echo "options(xalt.test.chain = 42)" >user.Rprofile &&
		modules_run "export R_PROFILE=$TRASH_DIRECTORY/user.Rprofile" \
			"module load xalt && Rscript -e \"cat(getOption(\\\"xalt.test.chain\\\"), fill = TRUE)\"" &&
		echo 42 >expect && test_cmp expect out
	'

	test_expect_success PYTHON 'user PYTHONPATH still works under the module' '
		mkdir -p upy && echo "X = 42" >upy/mymod.py &&
		modules_run "export PYTHONPATH=$TRASH_DIRECTORY/upy" \
			"module load xalt && /usr/bin/python3 -c \"import mymod; print(mymod.X)\"" &&
		echo 42 >expect && test_cmp expect out
	'
}
