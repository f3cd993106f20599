#!/bin/bash
test_description='Lmod: module load xalt tracks, unload restores the environment exactly'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-modules.sh"

modules_tool lmod
modules_common_tests

test_expect_success 'module show xalt names the prefix' '
	modules_run ":" "module show xalt" &&
	grep "$XALT_PREFIX/lib/libxalt_init.so" err
'

test_done
