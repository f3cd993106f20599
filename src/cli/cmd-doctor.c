/*
 * `xalt doctor`: what this installation does, and whether it works.
 *
 * A site administrator rolling xalt out to thousands of users needs one
 * command that answers "is tracking on, and where do the records go?"
 * (XALT users know it as xalt_configuration_report). It prints the facts
 * (version, prefix, config file, its path rules and sampling table, the
 * transmission, the privacy switches), then runs checks, one line each:
 *
 *     ok|FAIL|warn  <check>: <detail>
 *         hint: <what to do>            (failures and warnings only)
 *
 * and ends with a tracked self-test: a copy of /bin/true, /usr/bin/python3
 * and Rscript run under the preload library into a temporary record
 * directory. Exit 0 when nothing failed, 1 otherwise. `--format json`
 * prints one object for monitoring instead.
 *
 * Sections: results, facts, checks (library, config, spool, destination,
 * syslog), self-tests, output, entry point.
 */
#include "cli.h"
#include "xbuf.h"
#include "config.h"
#include "filter.h"
#include "xalt-env.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char doctor_usage[] =
	"usage: xalt doctor [--format text|json]\n";

static const char doctor_help[] =
	"usage: xalt doctor [--format text|json]\n"
	"\n"
	"Print what this installation does and check that it works: the preload\n"
	"library, the config, the spool, the record destination, syslog, and a\n"
	"tracked self-test of a C program, Python and R.\n"
	"\n"
	"  --format FMT   text (default) or json, for monitoring\n"
	"  -h, --help     this help\n"
	"\n"
	"exit status: 0 all checks passed, 1 a check failed, 2 usage error\n"
	"\n"
	"example: xalt doctor --format json | jq '.checks[] | select(.status != \"ok\")'\n";

/* ---- results ------------------------------------------------------------ */

enum status { ST_OK, ST_WARN, ST_FAIL };
static const char *const status_word[] = { "ok", "warn", "FAIL" };

struct check {
	enum status status;
	char *name;    /* short, stable: monitoring keys on it */
	char *detail;
	char *hint;    /* NULL when ok */
};

static struct check *checks;
static size_t nchecks, achecks;

/* Record one verdict; `hint` may be NULL. Copies every string. */
__attribute__((format(printf, 4, 5)))
static void verdict(enum status st, const char *name, const char *hint, const char *fmt, ...)
{
	struct xbuf d = XBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	xbuf_vaddf(&d, fmt, ap);
	va_end(ap);
	if (nchecks == achecks) {
		achecks = achecks ? 2 * achecks : 16;
		checks = xrealloc(checks, achecks * sizeof(*checks));
	}
	checks[nchecks].status = st;
	checks[nchecks].name = xstrdup(name);
	checks[nchecks].detail = xbuf_detach(&d, NULL);
	checks[nchecks].hint = hint ? xstrdup(hint) : NULL;
	nchecks++;
}

/* ---- facts -------------------------------------------------------------- */

struct facts {
	const char *prefix;
	char lib[PATH_MAX];           /* prefix/lib/libxalt_init.so */
	char config_path[PATH_MAX];   /* XALT_CONFIG or prefix/etc/xalt.conf */
	int config_ok;                /* parsed without errors */
	int lib_ok;                   /* the library is ours and loadable */
	struct xbuf config_errors;    /* "file:line: msg\n" each */
	char *config_text;            /* owned, cfg points into it */
	struct xalt_config cfg;       /* valid when config_ok */
	const char *transmission;     /* effective, env override applied */
	char destination[PATH_MAX];   /* file_prefix expanded, or the syslog socket */
	const char *spool_base;       /* effective */
};

static void collect_error(void *ctx, const char *path, int line, const char *msg)
{
	struct xbuf *b = ctx;

	if (line)
		xbuf_addf(b, "%s:%d: %s\n", path, line, msg);
	else
		xbuf_addf(b, "%s: %s\n", path, msg);
}

/* "~/x" -> "$HOME/x"; other paths are copied. Never fails (truncates). */
static void expand_home(char *out, size_t n, const char *p)
{
	const char *home = getenv("HOME");

	if (!strncmp(p, "~/", 2) && home)
		snprintf(out, n, "%s/%s", home, p + 2);
	else
		snprintf(out, n, "%s", p);
}

/*
 * Can every user read `path`? Checks the file's other-read bit and the
 * other-search bit of each directory above it: a root-only config or
 * prefix passes root's own checks but turns tracking off for everyone else.
 * Returns NULL when readable, else the first offending path (static buffer).
 */
static const char *not_world_readable(const char *path)
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

/* The spool base, as docs/design.md defines it. */
static const char *spool_base(void)
{
	const char *b = getenv(XALT_ENV_SPOOL_BASE);
	struct stat st;

	if (b && *b)
		return b;
	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode))
		return "/dev/shm";
	b = getenv("TMPDIR");
	return b && *b ? b : "/tmp";
}

/* Gather what the checks need; reading the config is itself a check. */
static void gather(struct facts *f)
{
	const char *env, *bad;
	long len;

	memset(f, 0, sizeof(*f));
	xbuf_init(&f->config_errors, 0);
	f->prefix = cli_prefix();
	snprintf(f->lib, sizeof(f->lib), "%s/%s", f->prefix, XALT_PRELOAD_RELPATH);
	env = getenv(XALT_ENV_CONFIG);
	if (env && *env)
		snprintf(f->config_path, sizeof(f->config_path), "%s", env);
	else
		snprintf(f->config_path, sizeof(f->config_path), "%s/%s", f->prefix,
			 XALT_CONFIG_RELPATH);

	f->config_text = xmalloc(CONFIG_MAX_BYTES);
	len = config_read_file(f->config_path, f->config_text, CONFIG_MAX_BYTES);
	config_defaults(&f->cfg);
	if (len < 0) {
		verdict(ST_FAIL, "config", "the preload library tracks nothing without a "
			"readable config: make it readable by all users (chmod 644) or set XALT_CONFIG",
			"cannot read '%s': %s", f->config_path, strerror(errno));
	} else if (config_parse(&f->cfg, f->config_text, f->config_path, 1,
				collect_error, &f->config_errors)) {
		xbuf_setlen(&f->config_errors, f->config_errors.len ?
			    f->config_errors.len - 1 : 0);
		verdict(ST_FAIL, "config", "fix the lines above ('xalt config check' lists "
			"them all): a config with errors is ignored and nothing is tracked",
			"'%s' has errors: %s", f->config_path, f->config_errors.buf);
		filter_release(&f->cfg);
		config_defaults(&f->cfg);
	} else if ((bad = not_world_readable(f->config_path))) {
		verdict(ST_FAIL, "config", "users' programs read the config: chmod o+r the file "
			"and o+x the directories above it", "'%s' parses, but '%s' is not "
			"readable by other users: their programs are not tracked",
			f->config_path, bad);
	} else {
		f->config_ok = 1;
		verdict(ST_OK, "config", NULL, "'%s' parses (%d path rules, %d sample rules)",
			f->config_path, f->cfg.path.n, f->cfg.nsample);
	}
	env = getenv(XALT_ENV_TRANSMISSION);
	f->transmission = env && *env ? env : f->cfg.transmission;
	if (!strcmp(f->transmission, "syslog")) {
		snprintf(f->destination, sizeof(f->destination), "%s", f->cfg.syslog_socket);
	} else {
		env = getenv(XALT_ENV_FILE_PREFIX);
		expand_home(f->destination, sizeof(f->destination),
			    env && *env ? env : f->cfg.file_prefix);
	}
	f->spool_base = spool_base();
}

static const char *action_word(enum xalt_action a)
{
	return a == XALT_SKIP ? "SKIP" : a == XALT_PKGS ? "PKGS" : "KEEP";
}

static const char *args_word(enum record_args a)
{
	return a == ARGS_DROP ? "drop" : a == ARGS_HASH ? "hash" : "keep";
}

/* ---- checks ------------------------------------------------------------- */

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

/* The preload library: present, readable, ours, and what LD_PRELOAD says. */
static void check_library(struct facts *f)
{
	const char *ld = getenv("LD_PRELOAD");
	struct stat st;
	void *h;

	if (stat(f->lib, &st) < 0) {
		verdict(ST_FAIL, "library", "reinstall xalt ('make install PREFIX=...'); until "
			"then the module leaves LD_PRELOAD alone and nothing is tracked",
			"'%s' missing: %s", f->lib, strerror(errno));
	} else if (access(f->lib, R_OK) < 0 || not_world_readable(f->lib)) {
		verdict(ST_FAIL, "library", "chmod 644 the library and o+x the directories "
			"above it: every user's programs load it",
			"'%s' is not readable by all users ('%s', mode %03o)", f->lib,
			not_world_readable(f->lib) ? not_world_readable(f->lib) : f->lib,
			(unsigned)(st.st_mode & 0777));
	} else {
		/* The constructor runs on dlopen: make sure it does not track us. */
		unsetenv(XALT_ENV_TRACKING);
		h = dlopen(f->lib, RTLD_NOW | RTLD_LOCAL);
		const char *v = h ? exported_version(h) : NULL;
		if (!h)
			verdict(ST_FAIL, "library", "reinstall xalt: the file is not a loadable library",
				"cannot load '%s': %s", f->lib, dlerror());
		else if (!v)
			verdict(ST_FAIL, "library", "reinstall xalt: this library is not xalt's",
				"'%s' exports no xalt_version", f->lib);
		else if (strcmp(v, XALT_VERSION))
			verdict(ST_FAIL, "library", "reinstall: the library and this xalt come from "
				"different builds", "'%s' is version %s, this xalt is %s",
				f->lib, v, XALT_VERSION);
		else {
			f->lib_ok = 1;
			verdict(ST_OK, "library", NULL, "'%s' version %s", f->lib, v);
		}
	}

	/* The environment this doctor runs in, e.g. from the module. */
	if (!ld || !strstr(ld, "libxalt_init.so")) {
		const char *t = getenv(XALT_ENV_TRACKING);
		if (t && !strcmp(t, "yes"))
			verdict(ST_WARN, "environment", "load the xalt module again, or run "
				"'xalt doctor' where the module is loaded",
				"XALT_EXECUTABLE_TRACKING=yes but no libxalt_init.so in LD_PRELOAD");
		else
			verdict(ST_OK, "environment", NULL, "tracking is not on in this shell "
				"(load the module or use 'xalt run')");
		return;
	}
	char *copy = xstrdup(ld), *save = NULL;
	int found = 0;
	for (char *e = strtok_r(copy, ": ", &save); e; e = strtok_r(NULL, ": ", &save)) {
		if (!strstr(e, "libxalt_init.so"))
			continue;
		found = 1;
		if (strcmp(e, f->lib))
			verdict(ST_FAIL, "environment", "the module or the install moved: point "
				"the module at this prefix (reinstall, or 'module load' the one "
				"under this prefix's share/modulefiles)",
				"LD_PRELOAD has '%s', not this install's '%s'", e, f->lib);
		else if (access(e, R_OK) < 0)
			verdict(ST_FAIL, "environment", "reinstall xalt",
				"LD_PRELOAD has '%s': %s", e, strerror(errno));
		else
			verdict(ST_OK, "environment", NULL, "LD_PRELOAD has this install's library");
	}
	free(copy);
	(void)found;
}

/* Can the preload make a private dir under the spool base? */
static void check_spool(struct facts *f)
{
	char dir[PATH_MAX];
	struct stat st;

	if (stat(f->spool_base, &st) < 0 || !S_ISDIR(st.st_mode)) {
		verdict(ST_FAIL, "spool", "mount /dev/shm (tmpfs), or set TMPDIR to a local "
			"directory", "spool base '%s' is not a directory", f->spool_base);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/xalt-doctor-XXXXXX", f->spool_base);
	if (!mkdtemp(dir)) {
		verdict(ST_FAIL, "spool", "make the spool base writable by all users with the "
			"sticky bit (chmod 1777), as /dev/shm is",
			"cannot create a directory in '%s': %s", f->spool_base, strerror(errno));
		return;
	}
	rmdir(dir);
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		verdict(ST_WARN, "spool", "chmod +t the spool base: without the sticky bit other "
			"users can remove a user's spool", "'%s' is world-writable without the "
			"sticky bit", f->spool_base);
	else
		verdict(ST_OK, "spool", NULL, "'%s' is usable", f->spool_base);
}

/* File transmission: the prefix, or the nearest existing parent, writable. */
static void check_destination(struct facts *f)
{
	char p[PATH_MAX + NAME_MAX + 2];
	struct stat st;

	if (strcmp(f->transmission, "file")) {
		if (strcmp(f->transmission, "syslog"))
			verdict(ST_FAIL, "destination", "set XALT_TRANSMISSION_STYLE to file or syslog",
				"unknown transmission '%s'", f->transmission);
		return;
	}
	snprintf(p, sizeof(p), "%s", f->destination);
	while (stat(p, &st) < 0) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			snprintf(p, sizeof(p), "/");
			break;
		}
		*slash = '\0';
	}
	if (!S_ISDIR(st.st_mode)) {
		verdict(ST_FAIL, "destination", "remove it or point file_prefix elsewhere",
			"'%s' is in the way of '%s': not a directory", p, f->destination);
	} else if (access(p, W_OK | X_OK) < 0) {
		verdict(ST_FAIL, "destination", "make the directory writable by the users it is "
			"for (a shared spool: mode 1733 owned by the collector), or change "
			"file_prefix in the config", "cannot write into '%s' (for '%s'): %s",
			p, f->destination, strerror(errno));
	} else if (strcmp(p, f->destination)) {
		verdict(ST_OK, "destination", NULL, "'%s' will be created (0700) in '%s'",
			f->destination, p);
	} else {
		verdict(ST_OK, "destination", NULL, "'%s' is writable", f->destination);
	}
}

static void check_syslog(struct facts *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strcmp(f->transmission, "syslog"))
		return;
	if (strlen(f->destination) >= sizeof(sa.sun_path)) {
		verdict(ST_FAIL, "syslog", "use a shorter socket path", "socket path '%s' too long",
			f->destination);
		return;
	}
	memcpy(sa.sun_path, f->destination, strlen(f->destination) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		verdict(ST_FAIL, "syslog", "start rsyslog (imuxsock), or set syslog_socket in "
			"the config", "cannot reach '%s': %s", f->destination, strerror(errno));
	} else {
		verdict(ST_OK, "syslog", NULL, "'%s' accepts datagrams", f->destination);
	}
	if (fd >= 0)
		close(fd);
}

/* ---- self-tests --------------------------------------------------------- */

/* Copy a file (mode 0755); 0 or -1 with errno. */
static int copy_file(const char *from, const char *to)
{
	struct xbuf b = XBUF_INIT;
	int fd, rc = -1;

	if (xbuf_read_file(&b, from) < 0)
		goto out;
	fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		goto out;
	if (write(fd, b.buf, b.len) == (ssize_t)b.len)
		rc = 0;
	if (close(fd) < 0)
		rc = -1;
out:
	xbuf_release(&b);
	return rc;
}

/*
 * The environment of a self-test child: ours without LD_PRELOAD and the
 * XALT_* variables, plus the module's variables pointed at `records`.
 * Preload entries that are not xalt's (an ASan runtime, a site's own
 * library) are kept, before ours. The caller frees the vector and its
 * entries from *owned on (the ones before are borrowed from environ).
 */
static char **child_env(struct facts *f, const char *records, const char *spool, size_t *owned)
{
	size_t n = 0;
	char **env;
	struct xbuf pre = XBUF_INIT, s = XBUF_INIT;
	const char *ld = getenv("LD_PRELOAD");

	for (char **e = environ; *e; e++)
		n++;
	env = xcalloc(n + 16, sizeof(*env));
	n = 0;
	for (char **e = environ; *e; e++) {
		if (!strncmp(*e, "XALT_", 5) || !strncmp(*e, "LD_PRELOAD=", 11) ||
		    !strncmp(*e, "PYTHONPATH=", 11) || !strncmp(*e, "R_PROFILE=", 10))
			continue;
		env[n++] = *e;
	}
	*owned = n;
	if (ld) {
		char *copy = xstrdup(ld), *save = NULL;
		for (char *t = strtok_r(copy, ": ", &save); t; t = strtok_r(NULL, ": ", &save))
			if (!strstr(t, "libxalt_init.so"))
				xbuf_addf(&pre, "%s:", t);
		free(copy);
	}
	xbuf_addf(&s, "LD_PRELOAD=%s%s", pre.buf, f->lib);
	env[n++] = xbuf_detach(&s, NULL);
	xbuf_addf(&s, "PYTHONPATH=%s/%s", f->prefix, XALT_SITE_RELPATH);
	env[n++] = xbuf_detach(&s, NULL);
	xbuf_addf(&s, "R_PROFILE=%s/%s/Rprofile.site", f->prefix, XALT_SITE_RELPATH);
	env[n++] = xbuf_detach(&s, NULL);
	xbuf_addf(&s, "%s=%s", XALT_ENV_DIR, f->prefix);
	env[n++] = xbuf_detach(&s, NULL);
	xbuf_addf(&s, "%s=%s", XALT_ENV_CONFIG, f->config_path);
	env[n++] = xbuf_detach(&s, NULL);
	xbuf_addf(&s, "%s=%s", XALT_ENV_FILE_PREFIX, records);
	env[n++] = xbuf_detach(&s, NULL);
	xbuf_addf(&s, "%s=%s", XALT_ENV_SPOOL_BASE, spool);
	env[n++] = xbuf_detach(&s, NULL);
	env[n++] = xstrdup(XALT_ENV_TRACKING "=yes");
	env[n++] = xstrdup(XALT_ENV_SAMPLING "=no");
	env[n++] = xstrdup(XALT_ENV_TRANSMISSION "=file");
	env[n] = NULL;
	xbuf_release(&pre);
	return env;
}

/* Run argv with env, stdin/stdout/stderr to /dev/null; its wait status or -1. */
static int run_quiet(char **argv, char **env)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve(argv[0], argv, env);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/*
 * The records in `dir` (run.*.json): returns how many, and loads the last
 * one into *rec (caller json_decref's; NULL if none or unparsable).
 * Removes every file it looked at.
 */
static int take_records(const char *dir, json_t **rec)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	char p[PATH_MAX + NAME_MAX + 2];

	*rec = NULL;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (!strncmp(de->d_name, "run.", 4)) {
			n++;
			if (*rec)
				json_decref(*rec);
			*rec = json_load_file(p, 0, NULL);
		}
		unlink(p);
	}
	closedir(d);
	return n;
}

/* Remove a tree we made (depth 2 at most: base/xalt-uid/run.pid). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX + NAME_MAX + 2];
	struct stat st;

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (!lstat(p, &st) && S_ISDIR(st.st_mode))
				remove_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Number of packages of `program` in a record. */
static size_t count_packages(json_t *rec, const char *program)
{
	json_t *pk = json_object_get(rec, "packages"), *v;
	size_t i, n = 0;

	json_array_foreach(pk, i, v) {
		const char *p = json_string_value(json_object_get(v, "program"));
		if (p && !strcmp(p, program))
			n++;
	}
	return n;
}

/* Did the hook of `program` run? It writes the interpreter line whatever the
 * package filters keep (the shipped config skips the standard library). */
static int hook_ran(json_t *rec, const char *program)
{
	const char *p = json_string_value(json_object_get(json_object_get(rec, "interpreter"),
							  "program"));

	return p && !strcmp(p, program);
}

/*
 * One self-test: run argv tracked and expect exactly one record, written with
 * the hook of `program` running when program is not NULL.
 */
static void self_test(struct facts *f, const char *name, char **argv, const char *program,
		      const char *tmp)
{
	char records[PATH_MAX], spool[PATH_MAX];
	char **env;
	json_t *rec;
	int st, n;
	size_t owned;

	snprintf(records, sizeof(records), "%s/records-%s", tmp, name);
	snprintf(spool, sizeof(spool), "%s/shm", tmp);
	env = child_env(f, records, spool, &owned);
	st = run_quiet(argv, env);
	for (size_t i = owned; env[i]; i++)
		free(env[i]);
	free(env);
	n = take_records(records, &rec);
	rmdir(records);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		verdict(ST_FAIL, name, "run it with XALT_TRACING=yes to see why",
			"tracked '%s' did not exit 0 (status %d): xalt must never change "
			"a program's outcome", argv[0], st);
	else if (n != 1)
		verdict(ST_FAIL, name, n ? "report this: one run must give one record" :
			"run 'XALT_TRACING=yes XALT_SAMPLING=no xalt run -- PROGRAM' to see "
			"which rule or step drops it (a path SKIP rule for the program?)",
			"tracked '%s' gave %d records, expected 1", argv[0], n);
	else if (!rec)
		verdict(ST_FAIL, name, "report this: the preload wrote invalid JSON",
			"the record of '%s' does not parse", argv[0]);
	else if (program && !hook_ran(rec, program))
		verdict(ST_FAIL, name, "check that the path rules say PKGS for the interpreter "
			"and that the hook is installed under PREFIX/site",
			"the record of '%s' has no %s interpreter: its hook did not run",
			argv[0], program);
	else if (program)
		verdict(ST_OK, name, NULL, "tracked '%s': the %s hook ran, %zu packages kept "
			"by the filters", argv[0], program, count_packages(rec, program));
	else
		verdict(ST_OK, name, NULL, "tracked '%s' gave one record", argv[0]);
	json_decref(rec);
}

static void self_tests(struct facts *f)
{
	char tmp[PATH_MAX], prog[PATH_MAX + 8];
	const char *t = getenv("TMPDIR");
	char site[PATH_MAX];

	if (!f->config_ok || !f->lib_ok) {
		verdict(ST_FAIL, "selftest", "fix the failures above first",
			"not run: the %s is not usable", f->lib_ok ? "config" : "preload library");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s/xalt-doctor-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		verdict(ST_FAIL, "selftest", "set TMPDIR to a writable directory",
			"cannot create '%s': %s", tmp, strerror(errno));
		return;
	}
	snprintf(prog, sizeof(prog), "%s/true", tmp);
	if (copy_file("/bin/true", prog) < 0) {
		verdict(ST_FAIL, "selftest-c", "set TMPDIR to a writable, executable directory",
			"cannot copy /bin/true to '%s': %s", prog, strerror(errno));
	} else if (filter_table(&f->cfg.path, prog, XALT_KEEP) == XALT_SKIP) {
		verdict(ST_WARN, "selftest-c", "set TMPDIR to a directory the path rules keep, "
			"and run the doctor again", "not run: the path rules SKIP '%s'", prog);
	} else {
		char *argv[] = { prog, NULL };
		self_test(f, "selftest-c", argv, NULL, tmp);
	}

	snprintf(site, sizeof(site), "%s/%s/sitecustomize.py", f->prefix, XALT_SITE_RELPATH);
	if (access("/usr/bin/python3", X_OK) < 0) {
		verdict(ST_OK, "selftest-python", NULL, "no /usr/bin/python3: not tested");
	} else if (access(site, R_OK) < 0) {
		verdict(ST_WARN, "selftest-python", "install the Python hook (make install)",
			"'%s' missing: Python imports are not recorded", site);
	} else if (not_world_readable(site)) {
		verdict(ST_FAIL, "selftest-python", "chmod o+r the hook, o+x the directories above",
			"'%s' is not readable by other users", not_world_readable(site));
	} else {
		char *argv[] = { "/usr/bin/python3", "-c", "import json, csv", NULL };
		self_test(f, "selftest-python", argv, "python", tmp);
	}

	snprintf(site, sizeof(site), "%s/%s/Rprofile.site", f->prefix, XALT_SITE_RELPATH);
	if (access("/usr/bin/Rscript", X_OK) < 0) {
		verdict(ST_OK, "selftest-r", NULL, "no /usr/bin/Rscript: not tested");
	} else if (access(site, R_OK) < 0) {
		verdict(ST_WARN, "selftest-r", "install the R hook (make install)",
			"'%s' missing: R packages are not recorded", site);
	} else if (not_world_readable(site)) {
		verdict(ST_FAIL, "selftest-r", "chmod o+r the hook, o+x the directories above",
			"'%s' is not readable by other users", not_world_readable(site));
	} else {
		char *argv[] = { "/usr/bin/Rscript", "-e", "invisible(loadNamespace('tools'))", NULL };
		self_test(f, "selftest-r", argv, "R", tmp);
	}
	remove_tree(tmp);
}

/* ---- output ------------------------------------------------------------- */

static void print_text(struct facts *f)
{
	const struct xalt_config *c = &f->cfg;

	printf("xalt %s\n", XALT_VERSION);
	printf("prefix:          %s\n", f->prefix);
	printf("config:          %s%s\n", f->config_path, f->config_ok ? "" : " (not usable: defaults shown)");
	printf("syshost:         %s\n", c->syshost);
	printf("transmission:    %s\n", f->transmission);
	printf("destination:     %s\n", f->destination);
	printf("spool base:      %s\n", f->spool_base);
	printf("allow_opt_out:   %s\n", c->allow_opt_out ? "yes (XALT_EXECUTABLE_TRACKING=no is honoured)"
	       : "no (XALT_EXECUTABLE_TRACKING=no is ignored)");
	printf("record_args:     %s\n", args_word(c->record_args));
	printf("hash_users:      %s\n", c->hash_users ? "yes (user hashed, uid omitted)" : "no");
	printf("hash_key:        %s\n", c->hash_key[0] ? "set (not shown)" : "unset (the syshost is the key)");
	printf("sha1:            %s\n", c->sha1 ? "yes" : "no");
	printf("path rules (first match wins; no match: KEEP):\n");
	for (int i = 0; i < c->path.n; i++)
		printf("  %-4s  %s\n", action_word(c->path.pat[i].action), c->path.pat[i].regex);
	printf("sampling (run time -> probability; no match: 1.0%s):\n",
	       getenv(XALT_ENV_SAMPLING) && !strcmp(getenv(XALT_ENV_SAMPLING), "no")
	       ? "; XALT_SAMPLING=no: every run" : "");
	for (int i = 0; i < c->nsample; i++) {
		if (isinf(c->sample[i].max_s))
			printf("  [%g s, inf)  %g\n", c->sample[i].min_s, c->sample[i].prob);
		else
			printf("  [%g s, %g s)  %g\n", c->sample[i].min_s, c->sample[i].max_s,
			       c->sample[i].prob);
	}
	printf("checks:\n");
	for (size_t i = 0; i < nchecks; i++) {
		printf("%-4s  %s: %s\n", status_word[checks[i].status], checks[i].name,
		       checks[i].detail);
		if (checks[i].hint && checks[i].status != ST_OK)
			printf("      hint: %s\n", checks[i].hint);
	}
}

static void print_json(struct facts *f, int ok)
{
	const struct xalt_config *c = &f->cfg;
	json_t *o = json_object(), *a = json_array(), *s = json_array();

	json_object_set_new(o, "version", json_string(XALT_VERSION));
	json_object_set_new(o, "prefix", json_string(f->prefix));
	json_object_set_new(o, "config", json_string(f->config_path));
	json_object_set_new(o, "config_ok", json_boolean(f->config_ok));
	json_object_set_new(o, "syshost", json_string(c->syshost));
	json_object_set_new(o, "transmission", json_string(f->transmission));
	json_object_set_new(o, "destination", json_string(f->destination));
	json_object_set_new(o, "spool_base", json_string(f->spool_base));
	json_object_set_new(o, "allow_opt_out", json_boolean(c->allow_opt_out));
	json_object_set_new(o, "record_args", json_string(args_word(c->record_args)));
	json_object_set_new(o, "hash_users", json_boolean(c->hash_users));
	json_object_set_new(o, "hash_key_set", json_boolean(c->hash_key[0] != '\0'));
	json_object_set_new(o, "sha1", json_boolean(c->sha1));
	for (int i = 0; i < c->path.n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "action",
				action_word(c->path.pat[i].action), "regex", c->path.pat[i].regex));
	json_object_set_new(o, "path_rules", a);
	for (int i = 0; i < c->nsample; i++)
		json_array_append_new(s, json_pack("{s:f,s:o,s:f}", "min", c->sample[i].min_s,
				"max", isinf(c->sample[i].max_s) ? json_null() :
				json_real(c->sample[i].max_s), "probability", c->sample[i].prob));
	json_object_set_new(o, "sampling", s);
	a = json_array();
	for (size_t i = 0; i < nchecks; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s?}", "name", checks[i].name,
				"status", status_word[checks[i].status], "detail", checks[i].detail,
				"hint", checks[i].status == ST_OK ? NULL : checks[i].hint));
	json_object_set_new(o, "checks", a);
	json_object_set_new(o, "ok", json_boolean(ok));
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(o);
}

/* ---- entry point -------------------------------------------------------- */

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c, ok = 1;
	struct facts f;

	opterr = 0;     /* one error line of our own, then the usage */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				usage_error(doctor_usage, "unknown format '%s' (text or json)", optarg);
			break;
		case 'h':
			fputs(doctor_help, stdout);
			return XALT_EXIT_OK;
		default:
			usage_error(doctor_usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(doctor_usage, "unexpected argument '%s'", argv[optind]);

	gather(&f);
	check_library(&f);
	check_spool(&f);
	check_destination(&f);
	check_syslog(&f);
	self_tests(&f);
	for (size_t i = 0; i < nchecks; i++)
		if (checks[i].status == ST_FAIL)
			ok = 0;
	if (json)
		print_json(&f, ok);
	else
		print_text(&f);
	fflush(stdout);
	for (size_t i = 0; i < nchecks; i++) {
		free(checks[i].name);
		free(checks[i].detail);
		free(checks[i].hint);
	}
	free(checks);
	filter_release(&f.cfg);
	free(f.config_text);
	xbuf_release(&f.config_errors);
	return ok ? XALT_EXIT_OK : XALT_EXIT_FAILURE;
}
