#!/bin/bash
test_description='Environment Modules (Tcl): module load xalt tracks, unload restores the environment exactly'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-modules.sh"

modules_tool tcl
modules_common_tests

test_expect_success 'module help and whatis work' '
	modules_run ":" "module whatis xalt" &&
	grep "xalt" err
'

test_done
