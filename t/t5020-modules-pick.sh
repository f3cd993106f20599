#!/bin/bash
test_description='module system tests pick the tool the machine has, and skip with a reason when it has none (issue 12 item 8)'
. "$(dirname "$0")/test-lib.sh"

# In a subshell, as a test file sees it: lib-modules.sh sourced with the
# tools' places pointed into this trash dir (empty: the tool is hidden, as
# on a machine without it), then cmd.
with_tools() {
	(
		XALT_TEST_MODULES_INIT=$1 XALT_TEST_LMOD=$2 satisfied_prereq=" "
		. "$TEST_DIRECTORY/lib-modules.sh"
		eval "$3"
	)
}
TCL=${XALT_TEST_MODULES_INIT:-/usr/share/modules/init/bash}
LMOD=${XALT_TEST_LMOD:-/opt/xalt-test-lmod/usr/share/lmod/lmod}
NONE=$TRASH_DIRECTORY/none
mkdir -p "$NONE"
test -r "$TCL" && test_set_prereq HAVE_TCL
test -x "$LMOD/libexec/lmod" && test_set_prereq HAVE_LMOD

test_expect_success 'no module system: no MODULES prereq, modules_pick says why' '
	with_tools "$NONE/init/bash" "$NONE/lmod" \
		"! test_have_prereq MODULES && ! test_have_prereq MODULES_TCL && ! test_have_prereq MODULES_LMOD && ! modules_pick" >out &&
	grep "no module system: neither $NONE/init/bash nor $NONE/lmod/libexec/lmod" out
'

test_expect_success HAVE_LMOD 'Environment Modules hidden, Lmod present: Lmod and the Lua modulefiles picked' '
	with_tools "$NONE/init/bash" "$LMOD" \
		"test_have_prereq MODULES && ! test_have_prereq MODULES_TCL && modules_pick && echo \$MODULES_TOOL \$MODULES_DIR" >out &&
	echo "lmod $XALT_PREFIX/share/modulefiles" >expect && test_cmp expect out
'

test_expect_success HAVE_TCL 'Lmod hidden, Environment Modules present: Tcl picked' '
	with_tools "$TCL" "$NONE/lmod" \
		"test_have_prereq MODULES && ! test_have_prereq MODULES_LMOD && modules_pick && echo \$MODULES_TOOL \$MODULES_DIR" >out &&
	echo "tcl $XALT_PREFIX/share/modulefiles-tcl" >expect && test_cmp expect out
'

# The steps themselves, as t5100 and t5300 declare them: skipped with the
# reason when the machine has no module system, run otherwise.
test_expect_success 'a step needing MODULES is skipped, with its reason, on a machine without one' '
	with_tools "$NONE/init/bash" "$NONE/lmod" \
		"test_count=0; test_expect_success MODULES \"needs a module tool\" false" >out &&
	echo "ok 1 # skip needs a module tool (missing MODULES)" >expect && test_cmp expect out
'

test_expect_success HAVE_LMOD 'with Lmod only, the modules_run of t5100 works' '
	xalt_setup &&
	with_tools "$NONE/init/bash" "$LMOD" \
		"modules_pick && modules_run : \"module load xalt && echo \\\$XALT_EXECUTABLE_TRACKING\"" &&
	echo yes >expect && test_cmp expect out
'

test_done
