/*
 * The signal handler of a tracked run, and the two libc entry points the
 * library interposes so that the program never sees it (issue 10 item 1,
 * issue 12 item 7).
 *
 * A tracked run gets our handler for every signal whose default action
 * ends the process (the watched set below), where the program had SIG_DFL
 * at start: the handler writes the record, SIG_DFL comes back (SA_RESETHAND)
 * and the signal is raised again, so the process dies as it would have.
 * Never over SIG_IGN or a handler of the program's.
 *
 * Installed before main, the handler would be visible: CPython installs
 * its SIGINT handler (KeyboardInterrupt) only over SIG_DFL, and Rust's std
 * its stack-overflow handler for SIGSEGV/SIGBUS only over SIG_DFL. So
 * sigaction() and signal() are ours too (exports.map):
 *   - reading a disposition that is our handler gives SIG_DFL, with the
 *     flags and mask of a disposition nobody set (0, empty);
 *   - setting a handler or SIG_IGN replaces ours, as it would replace SIG_DFL;
 *   - setting SIG_DFL on a watched signal puts ours back: the same death,
 *     with its record (CPython's exit on an unhandled KeyboardInterrupt
 *     sets SIG_DFL and kills itself with SIGINT).
 * Whether a disposition is ours is always asked of the kernel, never kept
 * here, so libc's own changes (system(), sigignore(), siginterrupt()) cannot
 * make us lie. Other entry points that report a disposition (sigset,
 * sysv_signal, bsd_signal, sigvec, /proc/self/status) are not interposed:
 * docs/design.md "Exit paths".
 *
 * The real functions come from dlsym(RTLD_NEXT), so a sanitizer or another
 * preloaded library that interposes them too stays in the chain. They are
 * looked up in the constructor of a tracked run, or at first use in an
 * untracked one (which then only forwards).
 */
#include "signals.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef void (*signal_handler)(int);
typedef signal_handler (*signal_fn)(int, signal_handler);

/* Default action: terminate (the first five dump core, and had a handler
 * before issue 10; the rest are the signals a batch system or a terminal
 * sends, and SIGPIPE). */
static const int watched[] = {
	SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGPIPE,
};

static sigaction_fn real_sigaction_p;  /* libc's (or the next interposer's) */
static signal_fn real_signal_p;
static struct sigaction ours;          /* our disposition; sa_sigaction NULL until armed */
static unsigned long long watched_mask; /* bit sig-1 for each watched signal, once armed */

/* dlsym(RTLD_NEXT, name), errno kept. NULL only if libc lacks it. */
static void *next_symbol(const char *name)
{
	int saved = errno;
	void *p = dlsym(RTLD_NEXT, name);

	errno = saved;
	return p;
}

static sigaction_fn real_sigaction(void)
{
	sigaction_fn f = __atomic_load_n(&real_sigaction_p, __ATOMIC_ACQUIRE);

	if (!f) {
		f = (sigaction_fn)next_symbol("sigaction");
		__atomic_store_n(&real_sigaction_p, f, __ATOMIC_RELEASE);
	}
	return f;
}

static signal_fn real_signal(void)
{
	signal_fn f = __atomic_load_n(&real_signal_p, __ATOMIC_ACQUIRE);

	if (!f) {
		f = (signal_fn)next_symbol("signal");
		__atomic_store_n(&real_signal_p, f, __ATOMIC_RELEASE);
	}
	return f;
}

static int is_watched(int sig)
{
	return sig >= 1 && sig <= 64 && (watched_mask >> (sig - 1) & 1);
}

static int is_ours(const struct sigaction *sa)
{
	return ours.sa_sigaction && (sa->sa_flags & SA_SIGINFO) &&
	       sa->sa_sigaction == ours.sa_sigaction;
}

/* What the program would see for a signal nobody set (exec's SIG_DFL). */
static void show_default(struct sigaction *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sa_handler = SIG_DFL;
	sigemptyset(&sa->sa_mask);
}

/* Does `act` ask for SIG_DFL on a watched signal (then ours stands in)? */
static int wants_default(int sig, const struct sigaction *act)
{
	return act && is_watched(sig) && !(act->sa_flags & SA_SIGINFO) &&
	       act->sa_handler == SIG_DFL;
}

void signals_install(void (*fn)(int, siginfo_t *, void *))
{
	sigaction_fn real = real_sigaction();
	struct sigaction old;

	if (!real || !real_signal())
		return;     /* cannot hide it: no handler at all */
	memset(&ours, 0, sizeof(ours));
	ours.sa_sigaction = fn;
	ours.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&ours.sa_mask);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		int sig = watched[i];

		if (real(sig, NULL, &old) < 0)
			continue;
		if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;    /* the program's, or SIG_IGN: left alone */
		real(sig, &ours, NULL);
	}
	/* From now on SIG_DFL set on any of them gets ours (see the top). */
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		watched_mask |= 1ULL << (watched[i] - 1);
}

/* --- room for the record ------------------------------------------------- */

/* The exit path needs about 6 KB of stack, 12 KB with packages (measured
 * with a patterned alternate stack, bench/RESULTS.md); the rest is margin.
 * .bss: its pages cost nothing until a record is written on them. */
static char own_stack[SIGNALS_ROOM] __attribute__((aligned(64)));
static ucontext_t caller_uc, own_uc;
static void (*own_fn)(int);
static int own_sig;

static void on_own_stack(void)
{
	own_fn(own_sig);
}

void signals_call_with_room(void (*fn)(int), int sig)
{
	stack_t ss;
	char here;
	uintptr_t sp = (uintptr_t)&here, lo;

	if (sigaltstack(NULL, &ss) < 0 || !(ss.ss_flags & SS_ONSTACK) ||
	    ((lo = (uintptr_t)ss.ss_sp) < sp && sp - lo >= SIGNALS_ROOM)) {
		fn(sig);
		return;
	}
	/* getcontext, makecontext and swapcontext take no lock and allocate
	 * nothing (glibc: registers and one rt_sigprocmask). */
	if (getcontext(&own_uc) < 0) {
		fn(sig);
		return;
	}
	own_uc.uc_stack.ss_sp = own_stack;
	own_uc.uc_stack.ss_size = sizeof(own_stack);
	own_uc.uc_link = &caller_uc;
	own_fn = fn;
	own_sig = sig;
	makecontext(&own_uc, on_own_stack, 0);
	if (swapcontext(&caller_uc, &own_uc) < 0)
		fn(sig);
}

/* --- the interposed entry points -------------------------------------------- */

/*
 * sigaction(2), as the program would see it without the library. Returns
 * what the real one returns, errno as it leaves it.
 */
__attribute__((visibility("default")))
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	sigaction_fn real = real_sigaction();
	int rc;

	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (wants_default(sig, act))
		act = &ours;
	rc = real(sig, act, old);
	if (rc == 0 && old && is_ours(old))
		show_default(old);
	return rc;
}

/*
 * signal(2) (glibc: BSD semantics), as the program would see it without
 * the library: the previous handler, SIG_DFL where it was ours; SIG_ERR
 * with errno on failure.
 */
__attribute__((visibility("default")))
signal_handler signal(int sig, signal_handler handler)
{
	sigaction_fn real_sa;
	signal_fn real = real_signal();
	signal_handler prev;

	if (handler == SIG_DFL && is_watched(sig) && (real_sa = real_sigaction())) {
		struct sigaction old;

		if (real_sa(sig, &ours, &old) < 0)
			return SIG_ERR;
		if (is_ours(&old))
			return SIG_DFL;
		return old.sa_handler;
	}
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	prev = real(sig, handler);
	if (ours.sa_sigaction && prev == (signal_handler)(void (*)(void))ours.sa_sigaction)
		return SIG_DFL;
	return prev;
}
