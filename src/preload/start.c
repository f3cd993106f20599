/*
 * The start of a run: decide, cheaply, whether to track it, and if so
 * prepare everything the exit path will need (it may not allocate).
 *
 * Order matters for cost: the kill switch was checked by the caller; here
 * come MPI ranks other than 0, the config, hosts, the path table on the
 * name the program was started by, then on its resolved path (and our own
 * helpers). A SKIP returns after one small file read and a few strncmp (no
 * regex compiled in the common case: literal prefixes, filter.c).
 * Only tracked runs pay for the uuid, clocks, setenv and the compilation of
 * the regexes the exit path will use (env and pkg tables): the compiler
 * needs 7 KB of stack, and the exit path may run on a small signal stack.
 */
#include "run.h"
#include "filter.h"
#include "paths.h"
#include "spool.h"
#include "trace.h"
#include "uuid.h"
#include "xalt-env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/*
 * exec without fork: the image this one replaced (same pid) may have had a
 * spool, $XALT_SPOOL_DIR = "<user dir>/<uuid>.<our pid>". Nothing will ever
 * read it (its record went with the image, docs/design.md "Exit paths") and
 * the reaper would skip it while this pid lives: remove it now. Only a dir
 * directly in one of our own checked user dirs, named for our pid, is
 * touched. Cheap when it does not apply: one getenv, one strrchr.
 */
static void drop_replaced_spool(pid_t pid)
{
	const char *old = getenv(XALT_ENV_SPOOL_DIR), *dot, *slash;
	char *end;

	if (!old || !(dot = strrchr(old, '.')) || strtol(dot + 1, &end, 10) != (long)pid || *end)
		return;
	/* In any of our user dirs: the fallback may have put it in any. */
	slash = strrchr(old, '/');
	if (!slash || !spool_is_user_dir(environ, old, (size_t)(slash - old), getuid()))
		return;
	if (spool_remove(old) == 0)
		XTRACE("removed the spool of the image we replaced: %s", old);
}

/*
 * The run of the nearest tracked ancestor (contract: docs/records.md,
 * parent_run_uuid): XALT_RUN_UUID as inherited, read before we set ours.
 * A user's environment is not trusted to be sane: anything but a
 * well-formed uuid is ignored.
 */
static void parent_run(struct xalt_run *r)
{
	const char *p = getenv(XALT_ENV_RUN_UUID);

	r->parent_uuid[0] = '\0';
	if (uuid_valid(p))
		memcpy(r->parent_uuid, p, 37);
	else if (p)
		XTRACE("%s is not a uuid: no parent run", XALT_ENV_RUN_UUID);
}

/*
 * A PKGS run's spool: the first spool base that works (spool.c's fallback
 * walk, each one passed over traced). None: the record goes out anyway,
 * saying packages_lost (docs/records.md).
 */
static void make_spool(struct xalt_run *r)
{
	struct spool_tried t;

	if (spool_create_at(environ, r->spool, sizeof(r->spool), r->uuid, r->pid, &t) < 0)
		r->spool[0] = '\0';
	for (int i = 0; i < t.n; i++)
		XTRACE("spool base '%s' passed over: %s", t.at[i].base, strerror(t.at[i].err));
	if (r->spool[0] && setenv(XALT_ENV_SPOOL_DIR, r->spool, 1) < 0) {
		spool_remove(r->spool);
		r->spool[0] = '\0';
	}
	if (!r->spool[0]) {
		XTRACE("no spool dir anywhere: packages not tracked (packages_lost)");
		unsetenv(XALT_ENV_SPOOL_DIR);
		r->packages_lost = 1;
	}
}

/* Is `path` inside `dir` + "/" + sub + "/"? */
static int under(const char *path, const char *dir, const char *sub)
{
	size_t d = strlen(dir), s = strlen(sub);

	return !strncmp(path, dir, d) && path[d] == '/' &&
	       !strncmp(path + d + 1, sub, s) && path[d + 1 + s] == '/';
}

/* Read and parse the config; 0 ok, -1 (traced) when tracking must be off. */
static int load_config(struct xalt_run *r, int opted_out)
{
	char def[PATH_MAX];
	const char *path = paths_config(environ, r->prefix, r->prefix_len, opted_out,
					def, sizeof(def));
	long n;
	int errs;

	if (!path) {
		XTRACE("the config's file name is too long: tracking off");
		return -1;
	}
	n = config_read_file(path, r->cfgtext, sizeof(r->cfgtext));
	if (n < 0) {
		XTRACE("cannot read config '%s': %s: tracking off", path, strerror(errno));
		return -1;
	}
	if (strlen(r->cfgtext) != (size_t)n) {
		XTRACE("config '%s' contains a NUL byte: tracking off", path);
		return -1;
	}
	/* cfg.file must outlive this frame: the environment string, or a literal. */
	errs = config_parse(&r->cfg, r->cfgtext, path == def ? "(XALT_DIR)/etc/xalt.conf" : path,
			    0, NULL, NULL);
	if (errs) {
		XTRACE("config '%s' has %d error(s) (see 'xalt config check'): tracking off",
		       path, errs);
		return -1;
	}
	return 0;
}

/*
 * Make every pattern of t matchable without compiling at exit (the exit
 * path may run on a small signal stack): compiled now, unless its text
 * decides alone (filter.c), as for the shipped env table.
 */
static void precompile(struct xalt_table *t)
{
	for (int i = 0; i < t->n; i++)
		filter_pattern_prepare(&t->pat[i]);
}

static int host_ok(struct xalt_run *r)
{
	struct utsname u;

	if (r->cfg.host.n == 0)
		return 1;
	if (uname(&u) < 0)
		return 0;
	/* With host lines, only matching hosts are tracked. */
	return filter_table(&r->cfg.host, u.nodename, XALT_SKIP) != XALT_SKIP;
}

static void save_args(struct xalt_run *r, int argc, char **argv)
{
	size_t o = 0;

	r->nargs = 0;
	for (int i = 0; argv && i < argc && argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		if (o + n > sizeof(r->args))
			break;     /* the record notes only what fits */
		memcpy(r->args + o, argv[i], n);
		o += n;
		r->nargs++;
	}
}

int run_start(struct xalt_run *r, int opted_out, int argc, char **argv)
{
	const char *s, *invoked;
	ssize_t n;
	struct stat st;
	enum xalt_action act;

	r->tracked = 0;
	job_read(&r->job);
	if (r->job.ntasks > 1 && r->job.rank != 0) {
		XTRACE("MPI rank %ld of %ld: only rank 0 records", r->job.rank, r->job.ntasks);
		return 0;
	}
	if (load_config(r, opted_out) < 0)
		return 0;
	if (opted_out && r->cfg.allow_opt_out) {
		XTRACE("%s is not 'yes': not tracked", XALT_ENV_TRACKING);
		return 0;
	}
	if (!host_ok(r)) {
		XTRACE("host not in the config's host table: not tracked");
		return 0;
	}
	/*
	 * The path the program was started by (AT_EXECFN; absolute when a shell
	 * found it on PATH) is checked for SKIP before the resolved path: it
	 * saves the readlink of /proc/self/exe (12-25 us here, measured in
	 * bench/RESULTS.md) on the most common SKIP. A program is thus SKIP if
	 * either name of it matches a SKIP line first (docs/config.md).
	 */
	invoked = (const char *)getauxval(AT_EXECFN);
	if (invoked && invoked[0] == '/' &&
	    filter_table(&r->cfg.path, invoked, XALT_KEEP) == XALT_SKIP) {
		XTRACE("%s: SKIP", invoked);
		return 0;
	}
	n = readlink("/proc/self/exe", r->exe, sizeof(r->exe) - 1);
	if (n <= 0) {
		XTRACE("cannot resolve /proc/self/exe: not tracked");
		return 0;
	}
	r->exe[n] = '\0';
	memmove(r->xalt_dir, r->prefix, r->prefix_len);  /* the same buffer after a realpath */
	r->xalt_dir[r->prefix_len] = '\0';
	if (under(r->exe, r->xalt_dir, "bin") || under(r->exe, r->xalt_dir, "libexec")) {
		XTRACE("%s: our own helper: not tracked", r->exe);
		return 0;
	}
	act = filter_table(&r->cfg.path, r->exe, XALT_KEEP);
	if (act == XALT_SKIP) {
		XTRACE("%s: SKIP", r->exe);
		return 0;
	}

	/* Tracked from here on. */
	r->track = act;
	parent_run(r);
	r->pid = getpid();
	r->program = program_kind(r->exe);
	uuid_v4(r->uuid);
	clock_gettime(CLOCK_REALTIME, &r->start_rt);
	clock_gettime(CLOCK_MONOTONIC, &r->start_mono);
	if (stat(r->exe, &st) == 0) {
		r->exe_size = (long long)st.st_size;
		r->exe_mtime = (long long)st.st_mtime;
		r->exe_inode = (long long)st.st_ino;
	} else {
		r->exe_size = r->exe_mtime = r->exe_inode = -1;
	}
	if (!getcwd(r->cwd, sizeof(r->cwd)))
		r->cwd[0] = '\0';
	save_args(r, argc, argv);
	s = getenv(XALT_ENV_SAMPLING);
	r->forced = s && !strcmp(s, "no");
	precompile(&r->cfg.env);

	if (setenv(XALT_ENV_RUN_UUID, r->uuid, 1) < 0 ||
	    setenv(XALT_ENV_DIR, r->xalt_dir, 1) < 0) {
		XTRACE("setenv failed: not tracked");
		return 0;
	}
	drop_replaced_spool(r->pid);
	r->spool[0] = '\0';
	r->packages_lost = 0;
	if (act == XALT_PKGS) {
		precompile(&r->cfg.pkg);
		make_spool(r);
	} else {
		/* A parent's spool dir is not ours (its hooks check the pid anyway). */
		unsetenv(XALT_ENV_SPOOL_DIR);
		/* A run of many MPI tasks is a long one worth recovering: its run
		 * dir holds only the start note (init.c), no hook is told of it. */
		if (r->job.ntasks > 1 &&
		    spool_create(r->spool, sizeof(r->spool), r->uuid, r->pid) < 0) {
			XTRACE("cannot create the run dir: %s: no start note", strerror(errno));
			r->spool[0] = '\0';
		}
	}
	XTRACE("%s: %s, run %s%s%s", r->exe, config_action_word(act), r->uuid,
	       r->spool[0] ? ", spool " : "", r->spool);
	r->tracked = 1;
	return 1;
}
