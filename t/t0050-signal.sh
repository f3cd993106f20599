#!/bin/bash
test_description='fatal signals: a record with the signal, and the same death for the shell'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup
ulimit -c 0

test_expect_success 'setup: programs that die' '
	cat >die.c <<-\EOF &&
	#include <signal.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	static void mine(int sig) { (void)sig; write(1, "mine\n", 5); _exit(42); }
	int main(int argc, char **argv)
	{
		const char *how = argc > 1 ? argv[1] : "";
		if (!strcmp(how, "segv")) { volatile int *p = 0; return *p; }
		if (!strcmp(how, "abort")) abort();
		if (!strcmp(how, "fpe")) raise(SIGFPE);
		if (!strcmp(how, "bus")) raise(SIGBUS);
		if (!strcmp(how, "own")) { signal(SIGSEGV, mine); raise(SIGSEGV); }
		return 0;
	}
	EOF
	cc -O0 -o die die.c
'

for case in "segv 11 139" "abort 6 134" "fpe 8 136" "bus 7 135"; do
	set -- $case
	test_expect_success "SIG $1: shell sees $3, record says signal $2" "
		rm -rf \"\$XALT_FILE_PREFIX\" &&
		xalt_tracked ./die $1;
		test \$? = $3 &&
		rec=\$(xalt_one_record) &&
		jq -c .exit \"\$rec\" >actual &&
		echo '{\"how\":\"signal\",\"status\":null,\"signal\":$2}' >expect &&
		test_cmp expect actual &&
		jq -e '.libraries | length > 0' \"\$rec\" >/dev/null
	"
done

test_expect_success 'untracked, the same programs die the same way' '
	./die segv; test $? = 139 &&
	./die abort; test $? = 134
'

test_expect_success 'a program with its own handler keeps it (and _exit leaves no record)' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./die own >out;
	test $? = 42 &&
	echo mine >expect && test_cmp expect out &&
	test -z "$(xalt_records)"
'

test_done
