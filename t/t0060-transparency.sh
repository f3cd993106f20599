#!/bin/bash
test_description='tracking changes nothing the program or its caller can see'
. "$(dirname "$0")/test-lib.sh"

xalt_setup

test_expect_success 'setup: a program that prints, lists fds and env, and exits' '
	cat >echo.c <<-\EOF &&
	#include <dirent.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	extern char **environ;
	int main(int argc, char **argv)
	{
		DIR *d;
		struct dirent *e;
		int code = argc > 1 ? atoi(argv[1]) : 0;
		printf("out %d\n", code);
		fprintf(stderr, "err %d\n", code);
		if (argc > 2 && !strcmp(argv[2], "fds")) {
			d = opendir("/proc/self/fd");
			while ((e = readdir(d)))
				printf("fd %s\n", e->d_name);
			closedir(d);
		}
		if (argc > 2 && !strcmp(argv[2], "env"))
			for (char **v = environ; *v; v++)
				if (strncmp(*v, "XALT_", 5))
					printf("%s\n", *v);
		return code;
	}
	EOF
	cc -o echo echo.c
'

for code in 0 1 3 255; do
	test_expect_success "exit $code: status, stdout, stderr identical" "
		./echo $code >out.plain 2>err.plain; rc1=\$? &&
		LD_PRELOAD=\$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes ./echo $code >out.tracked 2>err.tracked; rc2=\$? &&
		test \$rc1 = $code && test \$rc2 = $code &&
		test_cmp out.plain out.tracked &&
		test_cmp err.plain err.tracked &&
		test -n \"\$(xalt_records)\"
	"
done

test_expect_success 'open file descriptors identical' '
	LD_PRELOAD=$XALT_LD_PRELOAD ./echo 0 fds >fd.plain 2>/dev/null &&
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes ./echo 0 fds >fd.tracked 2>/dev/null &&
	test_cmp fd.plain fd.tracked
'

test_expect_success 'environment identical apart from XALT_* variables' '
	LD_PRELOAD=$XALT_LD_PRELOAD ./echo 0 env 2>/dev/null | grep -v "^XALT_EXECUTABLE_TRACKING=" >env.plain &&
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes ./echo 0 env 2>/dev/null >env.tracked &&
	test_cmp env.plain env.tracked
'

test_expect_success 'an unwritable record dir: the program still runs and exits the same' '
	rm -rf "$XALT_FILE_PREFIX" &&
	XALT_FILE_PREFIX=/proc/no-such-dir xalt_tracked ./echo 3 >out 2>err;
	test $? = 3 &&
	echo "out 3" >expect && test_cmp expect out &&
	echo "err 3" >expect && test_cmp expect err
'

test_expect_success 'stdout to a closed pipe: no extra noise from us' '
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes ./echo 0 2>err | true &&
	echo "err 0" >expect && test_cmp expect err
'

test_done
