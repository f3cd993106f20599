/*
 * `xalt doctor`'s self-tests: a copy of /bin/true, /usr/bin/python3 and
 * Rscript, each run tracked into a temporary record directory with
 * XALT_SAMPLING=no, in the environment `xalt run` gives (paths_child_env),
 * pointed at this install's config and a private spool. Each must exit 0
 * and leave exactly one record; the interpreters' must show their hook ran.
 *
 * Sections: files, the child, records, the tests.
 */
#include "cli.h"
#include "doctor.h"
#include "filter.h"
#include "paths.h"
#include "xalt-env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- files ------------------------------------------------------------------ */

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

/* ---- the child ---------------------------------------------------------------- */

/*
 * The environment of a self-test child: doctor's own without the XALT_*
 * variables (the admin's settings must not leak in), made a tracked
 * child's by paths_child_env, then pointed at this install's config,
 * `records` and a private spool base. Free with paths_env_free.
 */
static char **child_env(struct doctor_facts *f, const char *records, const char *spool)
{
	size_t n = 0, k = 0;
	char **mine, **env;

	for (char *const *e = f->envp; *e; e++)
		n++;
	mine = xcalloc(n + 1, sizeof(*mine));
	for (char *const *e = f->envp; *e; e++)
		if (strncmp(*e, "XALT_", 5))
			mine[k++] = *e;
	env = paths_child_env(mine, f->prefix);
	free(mine);
	if (!env ||
	    paths_env_set(&env, XALT_ENV_CONFIG, f->config_path) < 0 ||
	    paths_env_set(&env, XALT_ENV_FILE_PREFIX, records) < 0 ||
	    paths_env_set(&env, XALT_ENV_SPOOL_BASE, spool) < 0 ||
	    paths_env_set(&env, XALT_ENV_SAMPLING, "no") < 0 ||
	    paths_env_set(&env, XALT_ENV_TRANSMISSION, "file") < 0)
		die("out of memory building a self-test's environment");
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

/* ---- records ---------------------------------------------------------------------- */

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

/* ---- the tests ------------------------------------------------------------------------ */

/*
 * One self-test: run argv tracked and expect exactly one record, written with
 * the hook of `program` running when program is not NULL.
 */
static void self_test(struct doctor_facts *f, const char *name, char **argv,
		      const char *program, const char *tmp)
{
	char records[PATH_MAX], spool[PATH_MAX];
	char **env;
	json_t *rec;
	int st, n;

	snprintf(records, sizeof(records), "%s/records-%s", tmp, name);
	snprintf(spool, sizeof(spool), "%s/shm", tmp);
	env = child_env(f, records, spool);
	st = run_quiet(argv, env);
	paths_env_free(env);
	n = take_records(records, &rec);
	rmdir(records);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		doctor_verdict(DOCTOR_FAIL, name, "run it with XALT_TRACING=yes to see why",
			"tracked '%s' did not exit 0 (status %d): xalt must never change "
			"a program's outcome", argv[0], st);
	else if (n != 1)
		doctor_verdict(DOCTOR_FAIL, name, n ? "report this: one run must give one record" :
			"run 'XALT_TRACING=yes XALT_SAMPLING=no xalt run -- PROGRAM' to see "
			"which rule or step drops it (a path SKIP rule for the program?)",
			"tracked '%s' gave %d records, expected 1", argv[0], n);
	else if (!rec)
		doctor_verdict(DOCTOR_FAIL, name, "report this: the preload wrote invalid JSON",
			"the record of '%s' does not parse", argv[0]);
	else if (program && !hook_ran(rec, program))
		doctor_verdict(DOCTOR_FAIL, name, "check that the path rules say PKGS for the "
			"interpreter and that the hook is installed under PREFIX/site",
			"the record of '%s' has no %s interpreter: its hook did not run",
			argv[0], program);
	else if (program)
		doctor_verdict(DOCTOR_OK, name, NULL, "tracked '%s': the %s hook ran, %zu packages "
			"kept by the filters", argv[0], program, count_packages(rec, program));
	else
		doctor_verdict(DOCTOR_OK, name, NULL, "tracked '%s' gave one record", argv[0]);
	json_decref(rec);
}

/*
 * An interpreter's self-test, when the interpreter and its hook
 * (<prefix>/site/<hook>) are there and every user can read the hook.
 */
static void interpreter_test(struct doctor_facts *f, const char *name, const char *hook,
			     char **argv, const char *program, const char *tmp)
{
	char site[PATH_MAX];
	const char *bad;

	snprintf(site, sizeof(site), "%s/%s/%s", f->prefix, XALT_SITE_RELPATH, hook);
	if (access(argv[0], X_OK) < 0)
		doctor_verdict(DOCTOR_OK, name, NULL, "no %s: not tested", argv[0]);
	else if (access(site, R_OK) < 0)
		doctor_verdict(DOCTOR_WARN, name, "install the hooks (make install)",
			"'%s' missing: %s packages are not recorded", site,
			!strcmp(program, "R") ? "R" : "Python");
	else if ((bad = doctor_not_world_readable(site)))
		doctor_verdict(DOCTOR_FAIL, name, "chmod o+r the hook, o+x the directories above",
			"'%s' is not readable by other users", bad);
	else
		self_test(f, name, argv, program, tmp);
}

void doctor_self_tests(struct doctor_facts *f)
{
	char tmp[PATH_MAX], prog[PATH_MAX + 8];
	const char *t = paths_getenv(f->envp, "TMPDIR");

	if (!f->config_ok || !f->lib_ok) {
		doctor_verdict(DOCTOR_FAIL, "selftest", "fix the failures above first",
			"not run: the %s is not usable", f->lib_ok ? "config" : "preload library");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s/xalt-doctor-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		doctor_verdict(DOCTOR_FAIL, "selftest", "set TMPDIR to a writable directory",
			"cannot create '%s': %s", tmp, strerror(errno));
		return;
	}
	snprintf(prog, sizeof(prog), "%s/true", tmp);
	if (copy_file("/bin/true", prog) < 0) {
		doctor_verdict(DOCTOR_FAIL, "selftest-c", "set TMPDIR to a writable, executable "
			"directory", "cannot copy /bin/true to '%s': %s", prog, strerror(errno));
	} else if (filter_table(&f->cfg.path, prog, XALT_KEEP) == XALT_SKIP) {
		doctor_verdict(DOCTOR_WARN, "selftest-c", "set TMPDIR to a directory the path "
			"rules keep, and run the doctor again", "not run: the path rules SKIP '%s'",
			prog);
	} else {
		char *argv[] = { prog, NULL };
		self_test(f, "selftest-c", argv, NULL, tmp);
	}

	char *py[] = { "/usr/bin/python3", "-c", "import json, csv", NULL };
	interpreter_test(f, "selftest-python", "sitecustomize.py", py, "python", tmp);
	char *r[] = { "/usr/bin/Rscript", "-e", "invisible(loadNamespace('tools'))", NULL };
	interpreter_test(f, "selftest-r", "Rprofile.site", r, "R", tmp);
	remove_tree(tmp);
}
