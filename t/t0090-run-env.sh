#!/bin/bash
test_description='xalt run sets exactly the environment of the env module'
. "$(dirname "$0")/test-lib.sh"

xalt_setup
P=$XALT_PREFIX

# /usr/bin/env is SKIP in the test config: these runs leave no record.
showenv() {
	"$P/bin/xalt" run /usr/bin/env | grep -E "^(LD_PRELOAD|XALT_EXECUTABLE_TRACKING|PYTHONPATH|R_PROFILE|XALT_R_PROFILE_CHAIN)=" | sort
}

test_expect_success 'from a clean environment' '
	showenv >actual &&
	cat >expect <<-EOF &&
	LD_PRELOAD=$P/lib/libxalt_init.so
	PYTHONPATH=$P/site
	R_PROFILE=$P/site/Rprofile.site
	XALT_EXECUTABLE_TRACKING=yes
	EOF
	test_cmp expect actual &&
	test -z "$(xalt_records)"
'

test_expect_success 'prepends to existing lists, never twice' '
	LD_PRELOAD=/x/a.so PYTHONPATH=/p1:/p2 showenv >actual &&
	cat >expect <<-EOF &&
	LD_PRELOAD=$P/lib/libxalt_init.so:/x/a.so
	PYTHONPATH=$P/site:/p1:/p2
	R_PROFILE=$P/site/Rprofile.site
	XALT_EXECUTABLE_TRACKING=yes
	EOF
	test_cmp expect actual &&
	LD_PRELOAD="/x/a.so $P/lib/libxalt_init.so" PYTHONPATH=/p1:$P/site showenv >actual &&
	cat >expect <<-EOF &&
	LD_PRELOAD=/x/a.so $P/lib/libxalt_init.so
	PYTHONPATH=/p1:$P/site
	R_PROFILE=$P/site/Rprofile.site
	XALT_EXECUTABLE_TRACKING=yes
	EOF
	test_cmp expect actual
'

test_expect_success 'a user R_PROFILE is kept for chaining; ours is not chained to itself' '
	R_PROFILE=/home/u/my.R showenv >actual &&
	grep "^XALT_R_PROFILE_CHAIN=/home/u/my.R$" actual &&
	grep "^R_PROFILE=$P/site/Rprofile.site$" actual &&
	R_PROFILE=$P/site/Rprofile.site showenv >actual &&
	! grep XALT_R_PROFILE_CHAIN actual
'

test_expect_success 'XALT_EXECUTABLE_TRACKING=no from the user is overridden by xalt run' '
	XALT_EXECUTABLE_TRACKING=no showenv | grep "^XALT_EXECUTABLE_TRACKING=yes$"
'

test_expect_success 'options after the command belong to the command' '
	"$P/bin/xalt" run /bin/echo --help -n >out &&
	echo "--help -n" >expect && test_cmp expect out
'

test_done
