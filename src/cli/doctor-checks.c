/*
 * `xalt doctor`'s checks: the facts (prefix, config, transmission,
 * destination, spool base) and one verdict each for the library, the
 * environment, the config, the spool, the record destination and syslog.
 *
 * What the library would do is asked of the library's own functions
 * (paths.h, spool.h) with this process's environment, so a verdict and a
 * tracked run cannot disagree on whether and where a record is written:
 * t/t5110-doctor-agrees.sh runs both side by side.
 *
 * Sections: facts, library and environment, spool, destination, syslog.
 */
#include "cli.h"
#include "doctor.h"
#include "filter.h"
#include "paths.h"
#include "spool.h"
#include "uuid.h"
#include "xalt-env.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- facts -------------------------------------------------------------- */

const char *doctor_not_world_readable(const char *path)
{
	static char p[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(p, sizeof(p), "%s", path);
	if (stat(p, &st) < 0 || !(st.st_mode & S_IROTH))
		return p;
	while ((slash = strrchr(p, '/')) && slash != p) {
		*slash = '\0';
		if (stat(p, &st) < 0 || !(st.st_mode & S_IXOTH))
			return p;
	}
	return NULL;
}

static void collect_error(void *ctx, const char *path, int line, const char *msg)
{
	struct xbuf *b = ctx;

	if (line)
		xbuf_addf(b, "%s:%d: %s\n", path, line, msg);
	else
		xbuf_addf(b, "%s: %s\n", path, msg);
}

/* The config: read and parsed as the library does, then readable by all? */
static void gather_config(struct doctor_facts *f)
{
	const char *path, *bad;
	long len;

	path = paths_config(f->envp, f->prefix, strlen(f->prefix), 0, f->config_path,
			    sizeof(f->config_path));
	if (!path)
		die("the config's file name under '%s' is too long", f->prefix);
	if (path != f->config_path)
		snprintf(f->config_path, sizeof(f->config_path), "%s", path);
	f->config_text = xmalloc(CONFIG_MAX_BYTES);
	len = config_read_file(f->config_path, f->config_text, CONFIG_MAX_BYTES);
	config_defaults(&f->cfg);
	if (len < 0) {
		doctor_verdict(DOCTOR_FAIL, "config", "the preload library tracks nothing without a "
			"readable config: make it readable by all users (chmod 644) or set XALT_CONFIG",
			"cannot read '%s': %s", f->config_path, strerror(errno));
	} else if (config_parse(&f->cfg, f->config_text, f->config_path, 1,
				collect_error, &f->config_errors)) {
		xbuf_setlen(&f->config_errors, f->config_errors.len ?
			    f->config_errors.len - 1 : 0);
		doctor_verdict(DOCTOR_FAIL, "config", "fix the lines above ('xalt config check' "
			"lists them all): a config with errors is ignored and nothing is tracked",
			"'%s' has errors: %s", f->config_path, f->config_errors.buf);
		filter_release(&f->cfg);
		config_defaults(&f->cfg);
	} else if ((bad = doctor_not_world_readable(f->config_path))) {
		doctor_verdict(DOCTOR_FAIL, "config", "users' programs read the config: chmod o+r "
			"the file and o+x the directories above it", "'%s' parses, but '%s' is not "
			"readable by other users: their programs are not tracked",
			f->config_path, bad);
	} else {
		f->config_ok = 1;
		doctor_verdict(DOCTOR_OK, "config", NULL, "'%s' parses (%d path rules, %d sample rules)",
			       f->config_path, f->cfg.path.n, f->cfg.nsample);
	}
}

void doctor_gather(struct doctor_facts *f)
{
	extern char **environ;

	memset(f, 0, sizeof(*f));
	xbuf_init(&f->config_errors, 0);
	f->envp = environ;
	f->prefix = cli_prefix();
	snprintf(f->lib, sizeof(f->lib), "%s/%s", f->prefix, XALT_PRELOAD_RELPATH);
	gather_config(f);
	f->transmission = paths_transmission(f->envp, &f->cfg);
	if (!strcmp(f->transmission, "syslog")) {
		snprintf(f->destination, sizeof(f->destination), "%s", f->cfg.syslog_socket);
	} else if (paths_record_dir(f->envp, &f->cfg, f->destination, sizeof(f->destination)) < 0) {
		f->destination_errno = errno;
		snprintf(f->destination, sizeof(f->destination), "%s",
			 paths_file_prefix(f->envp, &f->cfg));
	}
	f->spool_base = paths_spool_base(f->envp);
}

void doctor_release(struct doctor_facts *f)
{
	filter_release(&f->cfg);
	free(f->config_text);
	xbuf_release(&f->config_errors);
}

/* ---- library and environment ---------------------------------------------- */

/*
 * The version string the library exports as `xalt_version`, whatever its C
 * type (array, pointer, or function returning a string): read from the ELF
 * symbol's type and size. Returns NULL when absent.
 */
static const char *exported_version(void *handle)
{
	void *sym = dlsym(handle, "xalt_version");
	const ElfW(Sym) *es = NULL;
	Dl_info info;

	if (!sym)
		return NULL;
	if (!dladdr1(sym, &info, (void **)&es, RTLD_DL_SYMENT) || !es)
		return (const char *)sym;
	if (ELF64_ST_TYPE(es->st_info) == STT_FUNC)
		return ((const char *(*)(void))sym)();
	if (es->st_size == sizeof(char *))
		return *(const char *const *)sym;
	return (const char *)sym;
}

/*
 * The LD_PRELOAD of this shell, e.g. from the module: does it name this
 * install? `tracking`: XALT_EXECUTABLE_TRACKING is "yes" here.
 */
static void check_environment(struct doctor_facts *f, int tracking)
{
	const char *ld = paths_getenv(f->envp, "LD_PRELOAD");
	char *copy, *save = NULL;

	if (!ld || !strstr(ld, "libxalt_init.so")) {
		if (tracking)
			doctor_verdict(DOCTOR_WARN, "environment", "load the xalt module again, or "
				"run 'xalt doctor' where the module is loaded",
				"XALT_EXECUTABLE_TRACKING=yes but no libxalt_init.so in LD_PRELOAD");
		else
			doctor_verdict(DOCTOR_OK, "environment", NULL, "tracking is not on in this "
				"shell (load the module or use 'xalt run')");
		return;
	}
	copy = xstrdup(ld);
	for (char *e = strtok_r(copy, ": ", &save); e; e = strtok_r(NULL, ": ", &save)) {
		if (!strstr(e, "libxalt_init.so"))
			continue;
		if (strcmp(e, f->lib))
			doctor_verdict(DOCTOR_FAIL, "environment", "the module or the install moved: "
				"point the module at this prefix (reinstall, or 'module load' the one "
				"under this prefix's share/modulefiles)",
				"LD_PRELOAD has '%s', not this install's '%s'", e, f->lib);
		else if (access(e, R_OK) < 0)
			doctor_verdict(DOCTOR_FAIL, "environment", "reinstall xalt",
				"LD_PRELOAD has '%s': %s", e, strerror(errno));
		else
			doctor_verdict(DOCTOR_OK, "environment", NULL,
				"LD_PRELOAD has this install's library");
	}
	free(copy);
}

/* The preload library: present, readable, ours; then the environment. */
void doctor_check_library(struct doctor_facts *f)
{
	const char *bad, *t = paths_getenv(f->envp, XALT_ENV_TRACKING);
	int tracking = t && !strcmp(t, "yes");   /* read before the unsetenv below */
	struct stat st;
	void *h;

	if (stat(f->lib, &st) < 0) {
		doctor_verdict(DOCTOR_FAIL, "library", "reinstall xalt ('make install PREFIX=...'); "
			"until then the module leaves LD_PRELOAD alone and nothing is tracked",
			"'%s' missing: %s", f->lib, strerror(errno));
	} else if (access(f->lib, R_OK) < 0 || (bad = doctor_not_world_readable(f->lib))) {
		bad = doctor_not_world_readable(f->lib);
		doctor_verdict(DOCTOR_FAIL, "library", "chmod 644 the library and o+x the "
			"directories above it: every user's programs load it",
			"'%s' is not readable by all users ('%s', mode %03o)", f->lib,
			bad ? bad : f->lib, (unsigned)(st.st_mode & 0777));
	} else {
		/* The constructor runs on dlopen: make sure it does not track us. */
		unsetenv(XALT_ENV_TRACKING);
		h = dlopen(f->lib, RTLD_NOW | RTLD_LOCAL);
		const char *v = h ? exported_version(h) : NULL;
		if (!h)
			doctor_verdict(DOCTOR_FAIL, "library", "reinstall xalt: the file is not a "
				"loadable library", "cannot load '%s': %s", f->lib, dlerror());
		else if (!v)
			doctor_verdict(DOCTOR_FAIL, "library", "reinstall xalt: this library is not "
				"xalt's", "'%s' exports no xalt_version", f->lib);
		else if (strcmp(v, XALT_VERSION))
			doctor_verdict(DOCTOR_FAIL, "library", "reinstall: the library and this xalt "
				"come from different builds", "'%s' is version %s, this xalt is %s",
				f->lib, v, XALT_VERSION);
		else {
			f->lib_ok = 1;
			doctor_verdict(DOCTOR_OK, "library", NULL, "'%s' version %s", f->lib, v);
		}
	}
	check_environment(f, tracking);
}

/* ---- spool --------------------------------------------------------------- */

/* Why spool_create_at passed over a base (errno e), and what to do. */
static const char *passed_over_why(int e, const char **hint)
{
	switch (e) {
	case ELOOP:
		*hint = "remove the link (another user may have planted it); the library "
			"makes the directory itself";
		return "its xalt-<uid> is a symbolic link";
	case EPERM:
		*hint = "remove it, or chmod 700 it if it is the user's own: the library never "
			"changes a directory it did not make (root: only in a base root owns)";
		return "its xalt-<uid> is not private to the user (another owner, or group or "
		       "other permission bits), or root does not own the base";
	case ENOTDIR:
		*hint = "remove it: the library needs a directory there";
		return "its xalt-<uid> is not a directory";
	case ENOSPC:
	case EDQUOT:
		*hint = "free space or inodes on the spool's file system (df, df -i)";
		return "full (space, inodes or quota)";
	case EROFS:
		*hint = "mount /dev/shm read-write (tmpfs), or set TMPDIR to a local directory";
		return "read-only";
	default:
		*hint = "make the spool base writable by all users with the sticky bit "
			"(chmod 1777), as /dev/shm is";
		return strerror(e);
	}
}

/* "'base' (why); ..." for each base passed over, into b. Returns the first hint. */
static const char *passed_over(const struct spool_tried *t, struct xbuf *b)
{
	const char *hint = NULL, *h;

	for (int i = 0; i < t->n; i++) {
		const char *why = passed_over_why(t->at[i].err, &h);

		xbuf_addf(b, "%s'%s' (%s)", i ? "; " : "", t->at[i].base, why);
		if (!hint)
			hint = h;
	}
	return hint;
}

/*
 * The spool, as the library finds it for this user: spool.c's own fallback
 * walk (spool_create_at) over doctor's environment, making a real run dir
 * where a run's would go (a full or read-only file system shows only
 * then; the user dir is made as a tracked run would make it), removed
 * again. The base used becomes f->spool_base.
 */
void doctor_check_spool(struct doctor_facts *f)
{
	const char *asked = paths_spool_candidate(f->envp, 0), *hint;
	char run[PATH_MAX], uuid[37], *cut;
	struct spool_tried t;
	struct xbuf why = XBUF_INIT;
	struct stat st;

	uuid_v4(uuid);
	if (spool_create_at(f->envp, run, sizeof(run), uuid, getpid(), &t) < 0) {
		if (!t.n) {
			doctor_verdict(DOCTOR_FAIL, "spool", "mount /dev/shm (tmpfs), or set TMPDIR "
				"to a local directory", "no spool base: neither XALT_SPOOL_BASE, "
				"/dev/shm, $TMPDIR nor /tmp is a directory: packages are not "
				"recorded (records say packages_lost)");
			return;
		}
		hint = passed_over(&t, &why);
		doctor_verdict(DOCTOR_FAIL, "spool", hint, "no spool base can be used: %s: "
			"packages are not recorded (records say packages_lost)", why.buf);
		xbuf_release(&why);
		return;
	}
	spool_remove(run);
	/* run = "<base>/xalt-<uid>/<uuid>.<pid>": the base is two components up. */
	for (int k = 0; k < 2 && (cut = strrchr(run, '/')); k++)
		*cut = '\0';
	snprintf(f->spool_used, sizeof(f->spool_used), "%s", run);
	f->spool_base = f->spool_used;
	if (t.n) {
		hint = passed_over(&t, &why);
		doctor_verdict(DOCTOR_WARN, "spool", hint, "%s passed over: the spool goes to "
			"'%s'", why.buf, f->spool_base);
		xbuf_release(&why);
	} else if (stat(f->spool_base, &st) == 0 && (st.st_mode & S_IWOTH) &&
		   !(st.st_mode & S_ISVTX)) {
		doctor_verdict(DOCTOR_WARN, "spool", "chmod +t the spool base: without the sticky "
			"bit other users can remove a user's spool", "'%s' is world-writable "
			"without the sticky bit", f->spool_base);
	} else if (*asked && strcmp(asked, f->spool_base)) {
		doctor_verdict(DOCTOR_WARN, "spool", "unset XALT_SPOOL_BASE or make it a directory",
			"XALT_SPOOL_BASE '%s' is not a directory: the spool goes to '%s'",
			asked, f->spool_base);
	} else {
		doctor_verdict(DOCTOR_OK, "spool", NULL, "'%s' is usable", f->spool_base);
	}
}

/* ---- destination ----------------------------------------------------------- */

/* Why paths_record_dir found no directory (errno e). */
static void no_record_dir(struct doctor_facts *f, int e)
{
	const char *home = paths_getenv(f->envp, "HOME");

	if (e == EINVAL)
		doctor_verdict(DOCTOR_FAIL, "destination", "make the file prefix absolute, or "
			"start it with '~/'", "file prefix '%s' is relative: the library writes no "
			"record (it would depend on the working directory)", f->destination);
	else if (e == ENOENT)
		doctor_verdict(DOCTOR_FAIL, "destination", "set HOME to the user's home "
			"directory, or make the file prefix absolute", "file prefix '%s' needs HOME, "
			"which is %s%s%s: the library writes no record", f->destination,
			home ? "not absolute ('" : "unset", home ? home : "", home ? "')" : "");
	else
		doctor_verdict(DOCTOR_FAIL, "destination", "use a shorter file prefix",
			"file prefix '%s': %s", f->destination, strerror(e));
}

/*
 * File transmission: the record dir, and what the library's own walk at
 * exit would do with it (paths_record_dir_probe: the same walk, creating
 * nothing).
 */
void doctor_check_destination(struct doctor_facts *f)
{
	char where[PATH_MAX];
	struct stat st;
	int rc, e;

	if (strcmp(f->transmission, "file")) {
		if (strcmp(f->transmission, "syslog"))
			doctor_verdict(DOCTOR_FAIL, "destination", "set XALT_TRANSMISSION_STYLE to "
				"file or syslog", "unknown transmission '%s': the library writes no "
				"record", f->transmission);
		return;
	}
	if (f->destination_errno) {
		no_record_dir(f, f->destination_errno);
		return;
	}
	rc = paths_record_dir_probe(f->destination, getuid(), where, sizeof(where));
	e = errno;
	if (rc == PATHS_READY)
		doctor_verdict(DOCTOR_OK, "destination", NULL, "'%s' is writable", f->destination);
	else if (rc == PATHS_CREATE)
		doctor_verdict(DOCTOR_OK, "destination", NULL, "'%s' will be created (0700) in '%s'",
			       f->destination, where);
	else if (e == ELOOP && !strcmp(where, f->destination))
		doctor_verdict(DOCTOR_FAIL, "destination", "point the file prefix at the "
			"directory itself", "'%s' is a symbolic link: the library writes no record "
			"through a link (another user could have planted it)", f->destination);
	else if (e == EPERM && lstat(where, &st) == 0)
		doctor_verdict(DOCTOR_FAIL, "destination", "records go only into a directory the "
			"user owns, or a root-owned one with the sticky bit (a drop box: chmod 1733)",
			"'%s' belongs to uid %u, not %u: the library writes no record", where,
			(unsigned)st.st_uid, (unsigned)getuid());
	else if (e == ENOTDIR && !strcmp(where, f->destination))
		doctor_verdict(DOCTOR_FAIL, "destination", "remove it or point the file prefix "
			"elsewhere", "'%s' is not a directory", f->destination);
	else if (e == ENOTDIR)
		doctor_verdict(DOCTOR_FAIL, "destination", "remove it or point the file prefix "
			"elsewhere", "'%s' is in the way of '%s': not a directory",
			where, f->destination);
	else
		doctor_verdict(DOCTOR_FAIL, "destination", "make the directory writable by the "
			"users it is for (a shared drop box: mode 1733, owned by root), or change "
			"file_prefix in the config", "cannot write into '%s' (for '%s'): %s",
			where, f->destination, strerror(e));
}

/* ---- syslog ------------------------------------------------------------------ */

void doctor_check_syslog(struct doctor_facts *f)
{
	int fd;

	if (strcmp(f->transmission, "syslog"))
		return;
	fd = paths_syslog_connect(f->destination);
	if (fd < 0 && errno == ENAMETOOLONG)
		doctor_verdict(DOCTOR_FAIL, "syslog", "use a shorter socket path",
			"socket path '%s' too long", f->destination);
	else if (fd < 0)
		doctor_verdict(DOCTOR_FAIL, "syslog", "start rsyslog (imuxsock), or set "
			"syslog_socket in the config", "cannot reach '%s': %s: the library writes "
			"no record", f->destination, strerror(errno));
	else
		doctor_verdict(DOCTOR_OK, "syslog", NULL, "'%s' accepts datagrams", f->destination);
	if (fd >= 0)
		close(fd);
}
