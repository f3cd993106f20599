/*
 * libxalt_init.so: the constructor and the exit paths, nothing else (the
 * work is in start.c and finish.c, which unit tests link without this file).
 *
 * The constructor's first lines check the done-flag and the kill switch
 * (XALT_EXECUTABLE_TRACKING=yes), so an untracked program pays one getenv.
 * A tracked run ends through exactly one of:
 *   - on_exit(), registered here: glibc passes the exit status. Exit
 *     handlers run in reverse order of registration, so ours (registered
 *     before main) runs after the program's own atexit handlers;
 *   - the destructor, only when on_exit could not be registered (status
 *     unknown): glibc registers _dl_fini, which runs destructors, after
 *     our constructor, so it runs before our exit handler;
 *   - a signal handler for the signals whose default action ends the
 *     process (signals.c: the list, and how the program never sees it),
 *     installed only for tracked runs and only where the program had
 *     SIG_DFL. SA_RESETHAND puts SIG_DFL back on entry, so re-raising
 *     gives the shell the same death (139 for SIGSEGV, 143 for SIGTERM)
 *     and a fault inside our handler kills as before.
 * An atomic flag makes the first of them the only one; the pid check keeps
 * a child forked without exec from writing its parent's record. _exit() and
 * SIGKILL leave no record, exec() replaces the image first (docs/design.md).
 */
#include "hot.h"
#include "paths.h"
#include "recover.h"
#include "run.h"
#include "signals.h"
#include "trace.h"
#include "xalt-env.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

__attribute__((constructor)) static void xalt_init(int argc, char **argv, char **envp);
__attribute__((destructor)) static void xalt_fini(void);

/* The one documented export (exports.map): lets tools see which build is loaded. */
__attribute__((visibility("default"))) const char *xalt_version(void)
{
	return XALT_VERSION;
}

static struct xalt_run run;
static int init_done XALT_HOT;     /* the constructor ran (it runs once anyway) */
static int finished XALT_HOT;      /* an exit path claimed the record (atomic) */
static int have_on_exit XALT_HOT;  /* on_exit registered: the destructor stands aside */

/* Claim the end of the run: 1 for the first caller in the tracked pid only. */
static int claim(void)
{
	if (!run.tracked || getpid() != run.pid)
		return 0;
	return __atomic_exchange_n(&finished, 1, __ATOMIC_SEQ_CST) == 0;
}

static void finish_signal(int sig)
{
	run_finish(&run, RUN_SIGNAL, 0, sig);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)si;
	(void)uc;
	if (claim()) {
		xalt_tracing = 0;     /* trace_printf uses vsnprintf: not here */
		signals_call_with_room(finish_signal, sig);
	}
	/* SA_RESETHAND restored SIG_DFL; the signal is blocked until we return,
	 * then delivered again: same death, same exit status for the shell. */
	errno = saved;
	raise(sig);
}

static void on_exit_cb(int status, void *arg)
{
	int saved = errno;

	(void)arg;
	if (claim())
		run_finish(&run, RUN_EXIT, status, 0);
	errno = saved;
}

/*
 * Two installs in LD_PRELOAD (a module's and a user's copy): the first copy
 * loaded tracks, later ones stand aside, or a run would have two records.
 * dlsym finds the first definition in load order; dladdr says whose it is.
 * `mine` describes this copy (see xalt_init).
 */
static int first_copy(const Dl_info *mine)
{
	Dl_info first;
	void *sym = dlsym(RTLD_DEFAULT, "xalt_version");

	if (!sym || !dladdr(sym, &first))
		return 1;
	return first.dli_fbase == mine->dli_fbase;
}

/*
 * XALT_DIR, the install prefix, from this library's file name (paths.c's
 * rule), as r->prefix and r->prefix_len: in place in the loader's name of
 * the file, which stays valid while the library is loaded (no copy: a SKIP
 * never needs one, start.c), or in r->xalt_dir for a relative LD_PRELOAD
 * entry. *self = the file's name. 0 ok, -1 not.
 */
static int find_prefix(const Dl_info *mine, struct xalt_run *r, const char **self)
{
	const char *file = mine->dli_fname;

	if (!file || strlen(file) >= sizeof(r->self))
		return -1;
	*self = file;
	return paths_prefix_of(file, r->xalt_dir, sizeof(r->xalt_dir), &r->prefix, &r->prefix_len);
}

static void xalt_init(int argc, char **argv, char **envp)
{
	int saved = errno, opted_out = 0;
	const char *on, *self;
	Dl_info mine;

	(void)envp;
	if (init_done)
		return;
	init_done = 1;
	on = getenv(XALT_ENV_TRACKING);
	if (!on)
		goto out;
	/* A setuid/setgid (secure-exec) process: its environment is the
	 * caller's and its rights are not; nothing at all (issue 12 item 1,
	 * docs/deploy.md). getauxval reads memory: no system call. */
	if (getauxval(AT_SECURE))
		goto out;
	if (strcmp(on, "yes"))
		opted_out = 1;    /* tracked anyway only if the site forbids opting out */
	trace_init();
	/* Which file is this copy? A static function: taking xalt_version's
	 * address would go through the GOT and name the first copy loaded. */
	if (!dladdr((void *)on_exit_cb, &mine)) {
		XTRACE("cannot find my own file: not tracked");
		goto out;
	}
	if (!first_copy(&mine)) {
		XTRACE("another copy of the library is loaded first: this one stands aside");
		goto out;
	}
	if (find_prefix(&mine, &run, &self) < 0) {
		XTRACE("cannot find my own install prefix: not tracked");
		goto out;
	}
	if (!run_start(&run, opted_out, argc, argv))
		goto out;
	memcpy(run.self, self, strlen(self) + 1);   /* fits: find_prefix checked */
	if (run.spool[0] && note_write(&run) < 0)
		XTRACE("cannot write the start note: %s: this run cannot be recovered",
		       strerror(errno));
	if (on_exit(on_exit_cb, NULL) == 0)
		have_on_exit = 1;
	else
		XTRACE("on_exit failed: the destructor will record (status unknown)");
	signals_install(on_signal);
out:
	errno = saved;
}

static void xalt_fini(void)
{
	int saved = errno;

	if (!have_on_exit && claim())
		run_finish(&run, RUN_UNKNOWN, 0, 0);
	errno = saved;
}
