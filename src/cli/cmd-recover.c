/*
 * xalt recover [--dry-run] [--verbose]: turn the spools of runs that died
 * without reaching their exit code (SIGKILL, the OOM killer, a job's time
 * limit, _exit) into records, for a batch system's epilog or a node's cron
 * job (issue 10 item 2; docs/deploy.md, "Recovering killed runs").
 *
 * The work is src/preload/recover.c's, the same code a tracked run's end
 * uses. This file finds whose spools to look at and with which rights:
 *   - as a user: their own user dir in each spool base;
 *   - as root: every "xalt-<uid>" dir that is a real directory owned by
 *     that uid (anything else is never touched), each in a child process
 *     that drops to the user first (initgroups, setresgid, setresuid), so
 *     the record lands where the user's own run would have put it, owned
 *     by the user, and nothing is done with root's rights on a path the
 *     user controls. No user's environment is read: the destination is in
 *     the run's start note, and is checked again with the user's rights.
 * Spool bases: XALT_SPOOL_BASE alone when it is set (it overrides the
 * others, for the library too: a test's or a site's own place); else every
 * candidate of paths_spool_candidate (/dev/shm, $TMPDIR, /tmp) that is a
 * directory, each once: the library falls back along the same list.
 *
 * Output: one line per run dir judged, "<verdict> TAB <path> [TAB <why>]",
 * live runs (and runs of other pid namespaces, and ones another recovery
 * holds) with --verbose only.
 */
#include "cli.h"
#include "paths.h"
#include "recover.h"
#include "spool.h"
#include "xalt-env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: xalt recover [--dry-run] [--verbose]\n";

static const char help_text[] =
	"usage: xalt recover [--dry-run] [--verbose]\n"
	"\n"
	"Send the records of tracked runs that ended without reaching their exit\n"
	"code (SIGKILL, the OOM killer, a time limit, _exit): each run whose\n"
	"process is gone (its pid is free, or taken by a process started later)\n"
	"becomes a record with exit.how \"recovered\", sent where the run would\n"
	"have sent it, and its spool is removed. Runs of another pid namespace\n"
	"are never judged. Run by root (a batch epilog, a cron job), it does so\n"
	"for every user, with that user's rights; run by a user, for their own.\n"
	"Spool bases: $XALT_SPOOL_BASE when set, else /dev/shm, $TMPDIR, /tmp.\n"
	"\n"
	"  -n, --dry-run   say what would be done, change nothing\n"
	"  -v, --verbose   list live runs too, and trace each step\n"
	"  -h, --help      show this help\n"
	"\n"
	"Each run dir judged is one line: verdict, path, reason. Verdicts:\n"
	"recovered, not-sampled, unrecordable (removed: no record can be made),\n"
	"failed (kept for the next try), no-note, aged-out (no start note and\n"
	"unchanged for 7 days: removed), would-recover (--dry-run), not-ours;\n"
	"with --verbose also alive, foreign, busy.\n"
	"\n"
	"exit status: 0 done, 1 a record could not be sent or a spool not read,\n"
	"2 usage error\n"
	"\n"
	"example (Slurm, slurm.conf): Epilog=/etc/slurm/epilog.d/xalt-recover\n";

static int verbose;

static void report(void *ctx, const char *dir, const char *name, enum recover_verdict v,
		   const char *why)
{
	(void)ctx;
	if (!verbose && (v == RECOVER_ALIVE || v == RECOVER_FOREIGN || v == RECOVER_BUSY))
		return;
	printf("%s\t%s/%s%s%s\n", recover_verdict_word(v), dir, name, why[0] ? "\t" : "", why);
}

/* Recover the caller's own user dir in base. 0, or -1 (reported). */
static int recover_own(const char *base, const struct recover_opts *o)
{
	long counts[RECOVER_NVERDICTS] = { 0 };

	if (recover_user_dir(base, NULL, o, counts) < 0) {
		if (errno == ENOENT)
			return 0;
		return error("cannot read the spools of uid %u in '%s': %s",
			     (unsigned)getuid(), base, strerror(errno));
	}
	return counts[RECOVER_FAILED] ? -1 : 0;
}

/* The uid in "xalt-<uid>", or -1. */
static long dir_uid(const char *name)
{
	char *end;
	long v;

	if (strncmp(name, "xalt-", 5) || name[5] < '0' || name[5] > '9')
		return -1;
	errno = 0;
	v = strtol(name + 5, &end, 10);
	return *end || errno || v < 0 || v > 0x7ffffffe ? -1 : v;
}

/*
 * Root: recover the dir of `uid` in base in a child running as that user.
 * 0, or -1 when the child failed or could not drop its rights.
 */
static int recover_as(const char *base, uid_t uid, gid_t dir_gid, const struct recover_opts *o)
{
	struct passwd *pw = getpwuid(uid);
	char *name = pw ? xstrdup(pw->pw_name) : NULL;
	gid_t gid = pw ? pw->pw_gid : dir_gid;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		free(name);
		return error_errno("cannot fork");
	}
	if (pid == 0) {
		int rc;

		/* Groups, then gid, then uid: after setresuid nothing else can be dropped. */
		if ((name ? initgroups(name, gid) : setgroups(0, NULL)) < 0 ||
		    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
		    getuid() != uid || geteuid() != uid) {
			error_errno("cannot drop to uid %u", (unsigned)uid);
			_exit(XALT_EXIT_FAILURE);
		}
		rc = recover_own(base, o);
		fflush(stdout);
		_exit(rc < 0 ? XALT_EXIT_FAILURE : XALT_EXIT_OK);
	}
	free(name);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_errno("cannot wait for the recovery of uid %u", (unsigned)uid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Root: every user's dir in base. 0, or -1 when any of them failed. */
static int recover_all(const char *base, const struct recover_opts *o)
{
	DIR *d = opendir(base);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return error("cannot read '%s': %s", base, strerror(errno));
	while ((e = readdir(d))) {
		long uid = dir_uid(e->d_name);
		struct stat st;

		if (uid < 0)
			continue;
		/* The same checks as the library's (spool.c), before any fork:
		 * a link, a non-directory, or a dir another user owns is not
		 * "the spool of uid" and is never touched. */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != (uid_t)uid || (st.st_mode & 077)) {
			printf("%s\t%s/%s\t%s\n", recover_verdict_word(RECOVER_NOT_OURS), base,
			       e->d_name, "not a private directory of that uid");
			continue;
		}
		cli_trace("recovering the runs of uid %ld in %s/%s", uid, base, e->d_name);
		if (recover_as(base, (uid_t)uid, st.st_gid, o) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int cmd_recover(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recover_opts o = { 0, 0, 0, report, NULL };
	struct stat seen[8];
	int c, nseen = 0, rc = 0;
	const char *base;

	while ((c = getopt_long(argc, argv, "nvh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.dry_run = 1;
			break;
		case 'v':
			verbose = 1;
			cli_verbose = 1;
			break;
		case 'h':
			fputs(help_text, stdout);
			return XALT_EXIT_OK;
		default:
			usage_error(usage_text, "unknown option");
		}
	}
	if (optind < argc)
		usage_error(usage_text, "unexpected argument '%s'", argv[optind]);

	for (int i = 0; (base = paths_spool_candidate(environ, i)); i++) {
		const char *own = paths_getenv(environ, XALT_ENV_SPOOL_BASE);
		struct stat st;
		int dup = 0;

		if (own && own[0] && i > 0)
			break;
		if (!base[0] || stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		for (int k = 0; k < nseen; k++)
			dup |= seen[k].st_dev == st.st_dev && seen[k].st_ino == st.st_ino;
		if (dup || nseen == (int)(sizeof(seen) / sizeof(seen[0])))
			continue;
		seen[nseen++] = st;
		cli_trace("spool base %s", base);
		if ((getuid() == 0 ? recover_all(base, &o) : recover_own(base, &o)) < 0)
			rc = -1;
	}
	fflush(stdout);
	return rc < 0 ? XALT_EXIT_FAILURE : XALT_EXIT_OK;
}
