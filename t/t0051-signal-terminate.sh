#!/bin/bash
test_description='terminating signals: a record, the same death, and handlers the program never sees'
. "$(dirname "$0")/test-lib.sh"

# Issue 10 item 1 and issue 12 item 7: the signals whose default action
# ends the process get the library's handler where the program left
# SIG_DFL; sigaction() and signal() (interposed, src/preload/signals.c)
# report it as SIG_DFL, so CPython's KeyboardInterrupt and Rust's
# stack-overflow handler are installed as without tracking.

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup
# Dump cores (core_pattern permitting): "the same death" includes the core bit.
# Under ASan no core: its runtime sets RLIMIT_CORE to 0 in the tracked
# process (disable_coredump), which the untracked one would not share.
if test_have_prereq ASAN; then
	ulimit -c 0
else
	ulimit -c unlimited 2>/dev/null || ulimit -c 0
fi

terminating="TERM INT HUP QUIT USR1 USR2 ALRM XCPU XFSZ VTALRM PROF PIPE"

test_expect_success 'setup: a waiter that prints the raw wait status, a program that signals itself' '
	cat >waiter.c <<-\EOF &&
	#include <signal.h>
	#include <stdio.h>
	#include <sys/wait.h>
	#include <unistd.h>
	/* Run argv[1..] from default dispositions (whatever this test inherited:
	 * under nohup SIGHUP arrives ignored, in a background job of a shell
	 * without job control SIGINT and SIGQUIT, and ignored they would stay);
	 * print how it ended, the core bit included. */
	int main(int argc, char **argv)
	{
		int st;
		pid_t p = fork();
		(void)argc;
		if (p == 0) {
			for (int s = 1; s < 32; s++)
				signal(s, SIG_DFL);
			execvp(argv[1], argv + 1);
			_exit(127);
		}
		if (waitpid(p, &st, 0) < 0) return 1;
		if (WIFSIGNALED(st))
			printf("signal %d core %d\n", WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
		else
			printf("exit %d\n", WEXITSTATUS(st));
		return 0;
	}
	EOF
	cat >sigs.c <<-\EOF &&
	#include <signal.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	static void mine(int sig) { (void)sig; write(1, "mine\n", 5); _exit(42); }
	static void other(int sig) { (void)sig; }
	int main(int argc, char **argv)
	{
		const char *how = argv[1];
		int sig = argc > 2 ? atoi(argv[2]) : SIGTERM;
		struct sigaction sa;

		if (!strcmp(how, "show")) {
			/* every disposition as the program sees it */
			for (int s = 1; s < 32; s++) {
				if (s == SIGKILL || s == SIGSTOP) continue;
				sigaction(s, NULL, &sa);
				printf("%d %s flags %#x mask %d\n", s,
				       sa.sa_handler == SIG_DFL ? "DFL" :
				       sa.sa_handler == SIG_IGN ? "IGN" : "handler",
				       (unsigned)sa.sa_flags, sigismember(&sa.sa_mask, SIGTERM));
			}
			printf("signal() said %s\n", signal(SIGTERM, other) == SIG_DFL ? "DFL" : "other");
			printf("then %s\n", signal(SIGTERM, SIG_DFL) == other ? "mine" : "not mine");
			printf("and %s\n", signal(SIGTERM, SIG_DFL) == SIG_DFL ? "DFL" : "other");
			return 0;
		}
		if (!strcmp(how, "ign")) signal(sig, SIG_IGN);
		if (!strcmp(how, "own")) signal(sig, mine);
		if (!strcmp(how, "dfl")) {
			/* a handler of its own, then the default back */
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = mine;
			sigaction(sig, &sa, NULL);
			sa.sa_handler = SIG_DFL;
			sigaction(sig, &sa, NULL);
		}
		kill(getpid(), sig);
		printf("survived\n");
		return 0;
	}
	EOF
	cc -O0 -o waiter waiter.c && cc -O0 -o sigs sigs.c
'

for name in $terminating; do
	num=$(kill -l "$name")
	test_expect_success "SIG$name: the same wait status and core bit as untracked, a record with signal $num" "
		rm -rf \"\$XALT_FILE_PREFIX\" core core.* &&
		./waiter ./sigs raise $num >expect &&
		rm -f core core.* &&
		./waiter \"\$XALT_PREFIX/bin/xalt\" run -- ./sigs raise $num >actual &&
		rm -f core core.* &&
		test_cmp expect actual &&
		grep '^signal $num ' actual &&
		rec=\$(xalt_one_record) &&
		jq -c .exit \"\$rec\" >actual &&
		echo '{\"how\":\"signal\",\"status\":null,\"signal\":$num}' >expect &&
		test_cmp expect actual
	"
done

test_expect_success 'SIG_IGN from the program is kept: no handler over it' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./sigs ign 15 >out &&
	echo survived >expect && test_cmp expect out &&
	jq -c .exit "$(xalt_one_record)" >actual &&
	echo "{\"how\":\"exit\",\"status\":0,\"signal\":0}" >expect &&
	test_cmp expect actual
'

test_expect_success 'SIG_IGN inherited from the parent (nohup) is kept' '
	rm -rf "$XALT_FILE_PREFIX" &&
	(trap "" HUP && xalt_tracked ./sigs raise 1 >out) &&
	echo survived >expect && test_cmp expect out
'

test_expect_success 'a handler the program installs replaces ours (no record: it calls _exit)' '
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked ./sigs own 15 >out;
	test $? = 42 &&
	echo mine >expect && test_cmp expect out &&
	test -z "$(xalt_records)"
'

test_expect_success 'SIG_DFL set back by the program: the default death, with its record' '
	rm -rf "$XALT_FILE_PREFIX" &&
	./waiter "$XALT_PREFIX/bin/xalt" run -- ./sigs dfl 15 >actual &&
	echo "signal 15 core 0" >expect && test_cmp expect actual &&
	jq -r .exit.signal "$(xalt_one_record)" >actual &&
	echo 15 >expect && test_cmp expect actual
'

test_expect_success 'sigaction() and signal() show the program what it would see untracked' '
	./sigs show >expect &&
	xalt_tracked ./sigs show >actual &&
	test_cmp expect actual &&
	grep "^15 DFL flags 0 mask 0" actual
'

test_expect_success PYTHON 'Python: signal.getsignal() of every signal as untracked' '
	cat >getsig.py <<-\EOF &&
	import signal
	for s in sorted(signal.valid_signals()):
	    print(int(s), signal.getsignal(s))
	EOF
	./waiter $PY_DEBIAN getsig.py >expect &&
	./waiter "$XALT_PREFIX/bin/xalt" run -- $PY_DEBIAN getsig.py >actual &&
	test_cmp expect actual &&
	grep -E "^15 (0|Handlers.SIG_DFL)\$" actual &&
	grep "^2 <built-in function default_int_handler>" actual
'

test_expect_success PYTHON 'Python: KeyboardInterrupt on SIGINT as untracked (traceback, status), with a record' '
	rm -rf "$XALT_FILE_PREFIX" &&
	cat >intr.py <<-\EOF &&
	import os, signal, time
	os.kill(os.getpid(), signal.SIGINT)
	time.sleep(5)
	EOF
	./waiter $PY_DEBIAN intr.py >expect 2>expect.err &&
	./waiter "$XALT_PREFIX/bin/xalt" run -- $PY_DEBIAN intr.py >actual 2>actual.err &&
	test_cmp expect actual &&
	test_cmp expect.err actual.err &&
	grep "^KeyboardInterrupt" actual.err &&
	echo "signal 2 core 0" >expect && test_cmp expect actual &&
	jq -c .exit "$(xalt_one_record)" >actual &&
	echo "{\"how\":\"signal\",\"status\":null,\"signal\":2}" >expect &&
	test_cmp expect actual
'

# rustup's proxy finds its toolchain from the real HOME, not the trash dir's.
RUSTC=$REAL_HOME/.cargo/bin/rustc
test -x "$RUSTC" || RUSTC=$(command -v rustc 2>/dev/null)
RUSTUP_HOME=${RUSTUP_HOME:-$REAL_HOME/.rustup}
export RUSTUP_HOME
test -n "$RUSTC" && test -x "$RUSTC" && test_set_prereq RUSTC
test_have_prereq RUSTC || say_err "no rustc on this machine: the Rust stack-overflow test is skipped"
# The record of a Rust stack overflow is written on the library's private
# stack (swapcontext), which ASan does not support: it warns on stderr.
test_have_prereq ASAN && say_err "ASan does not support swapcontext: the Rust stack-overflow test is skipped"

test_expect_success RUSTC,NOASAN 'Rust: a stack overflow keeps its message and exit status, with a record' '
	rm -rf "$XALT_FILE_PREFIX" &&
	cat >overflow.rs <<-\EOF &&
	fn deep(n: u64) -> u64 {
	    let a = std::hint::black_box([n; 512]);
	    deep(a[7] + 1) + a[3]
	}
	fn main() {
	    println!("{}", deep(std::hint::black_box(0)));
	}
	EOF
	"$RUSTC" -C opt-level=0 -o overflow overflow.rs 2>/dev/null &&
	./waiter ./overflow >expect 2>expect.err &&
	./waiter "$XALT_PREFIX/bin/xalt" run -- ./overflow >actual 2>actual.err &&
	rm -f core core.* &&
	test_cmp expect actual &&
	sed "s/([0-9]*)/(PID)/" expect.err >expect.msg &&
	sed "s/([0-9]*)/(PID)/" actual.err >actual.msg &&
	test_cmp expect.msg actual.msg &&
	grep "has overflowed its stack" actual.msg &&
	jq -c .exit "$(xalt_one_record)" >actual &&
	echo "{\"how\":\"signal\",\"status\":null,\"signal\":6}" >expect &&
	test_cmp expect actual
'

test_done
