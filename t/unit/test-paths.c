/*
 * Unit tests of the path rules (src/common/paths.c, paths-child.c): the
 * install prefix, the config file (opt-out included), the spool base and
 * its fallbacks, the record directory ("~/", HOME, relative prefixes), the
 * trust checks, and above all that paths_record_dir_probe (doctor)
 * predicts what paths_record_dir_ready (the library) then does, scenario by
 * scenario; the syslog socket; the environment of a tracked child.
 *
 * Each test works in a fresh directory under /tmp, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "paths.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char tmp[64];             /* this test's directory */
static struct xalt_config cfg;

static int setup(void **state)
{
	(void)state;
	strcpy(tmp, "/tmp/test-paths.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	config_defaults(&cfg);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	sys_reset();
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmp, tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* tmp + "/" + rel, in a static buffer (one of four, for several at once) */
static char *at(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", tmp, rel);
	return b;
}

/* --- the environment and the prefix -------------------------------------------- */

static void test_getenv(void **state)
{
	char *envp[] = { "XALT_CONFIGX=no", "XALT_CONFIG=/c", "EMPTY=", "NOEQUALS", NULL };

	(void)state;
	assert_string_equal(paths_getenv(envp, "XALT_CONFIG"), "/c");
	assert_string_equal(paths_getenv(envp, "EMPTY"), "");
	assert_null(paths_getenv(envp, "XALT_CONF"));
	assert_null(paths_getenv(envp, "NOEQUALS"));
	assert_null(paths_getenv(NULL, "X"));
}

static void test_prefix_len(void **state)
{
	static const struct { const char *file; const char *prefix; } cases[] = {
		{ "/opt/xalt/lib/libxalt_init.so", "/opt/xalt" },
		{ "/opt/xalt/1.0/bin/xalt", "/opt/xalt/1.0" },
		{ "/p/libexec/xalt_record_pkg", "/p" },
		{ "/lib/libxalt_init.so", NULL },     /* the prefix would be "/" */
		{ "/libxalt_init.so", NULL },
		{ "libxalt_init.so", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = paths_prefix_len(cases[i].file);

		if (!cases[i].prefix)
			assert_int_equal(n, 0);
		else {
			assert_int_equal(n, strlen(cases[i].prefix));
			assert_memory_equal(cases[i].file, cases[i].prefix, n);
		}
	}
}

static void test_prefix_of_relative(void **state)
{
	char buf[PATH_MAX], cwd[PATH_MAX], real[PATH_MAX];
	const char *prefix;
	size_t len;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(mkdir(at("inst"), 0755), 0);
	assert_int_equal(mkdir(at("inst/lib"), 0755), 0);
	close(open(at("inst/lib/libxalt_init.so"), O_CREAT | O_WRONLY, 0644));
	assert_int_equal(chdir(tmp), 0);
	/* relative (a relative LD_PRELOAD entry): resolved, prefix in buf */
	assert_int_equal(paths_prefix_of("inst/lib/libxalt_init.so", buf, sizeof(buf),
					 &prefix, &len), 0);
	assert_ptr_equal(prefix, buf);
	assert_non_null(realpath(at("inst"), real));
	assert_int_equal(len, strlen(real));
	assert_memory_equal(prefix, real, len);
	/* absolute: in place, nothing copied */
	assert_int_equal(paths_prefix_of("/x/lib/libxalt_init.so", buf, 0, &prefix, &len), 0);
	assert_string_equal(prefix, "/x/lib/libxalt_init.so");
	assert_int_equal(len, 2);
	errno = 0;
	assert_int_equal(paths_prefix_of("/lib/libxalt_init.so", buf, sizeof(buf), &prefix, &len), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(paths_prefix_of("missing/lib/x.so", buf, sizeof(buf), &prefix, &len), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(chdir(cwd), 0);
}

static void test_self_prefix(void **state)
{
	char out[PATH_MAX], exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(paths_self_prefix(out, sizeof(out)), 0);
	/* this binary is <build>/t/unit/test-paths: the prefix is <build>/t */
	assert_int_equal(strlen(out), paths_prefix_len(exe));
	assert_memory_equal(out, exe, strlen(out));
	errno = 0;
	assert_int_equal(paths_self_prefix(out, 4), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* --- the config file ----------------------------------------------------------- */

static void test_config(void **state)
{
	char *with[] = { "XALT_CONFIG=/site/x.conf", NULL };
	char *empty[] = { "XALT_CONFIG=", NULL };
	char buf[64];

	(void)state;
	assert_string_equal(paths_config(with, "/opt/xalt/lib", 9, 0, buf, sizeof(buf)),
			    "/site/x.conf");
	assert_string_equal(paths_config(empty, "/opt/xalt", 9, 0, buf, sizeof(buf)),
			    "/opt/xalt/etc/xalt.conf");
	assert_string_equal(paths_config(NULL, "/opt/xalt", 9, 0, buf, sizeof(buf)),
			    "/opt/xalt/etc/xalt.conf");
	/* opted out: only the site's own file, never the user's XALT_CONFIG */
	assert_string_equal(paths_config(with, "/opt/xalt", 9, 1, buf, sizeof(buf)),
			    "/opt/xalt/etc/xalt.conf");
	errno = 0;
	assert_null(paths_config(NULL, "/opt/xalt", 9, 0, buf, 23));
	assert_int_equal(errno, ENAMETOOLONG);
	assert_non_null(paths_config(NULL, "/opt/xalt", 9, 0, buf, 24));
}

/* --- the spool base -------------------------------------------------------------- */

static const char *dirs_that_exist[4];

/* stat(2) that sees only dirs_that_exist as directories. */
static int fake_stat(const char *p, struct stat *st)
{
	for (int i = 0; i < 4 && dirs_that_exist[i]; i++)
		if (!strcmp(p, dirs_that_exist[i])) {
			memset(st, 0, sizeof(*st));
			st->st_mode = S_IFDIR | 0755;
			return 0;
		}
	errno = ENOENT;
	return -1;
}

static void test_spool_base(void **state)
{
	char base_env[PATH_MAX + 20], tmpdir_env[] = "TMPDIR=/scratch";
	char *envp[] = { base_env, tmpdir_env, NULL };

	(void)state;
	snprintf(base_env, sizeof(base_env), "XALT_SPOOL_BASE=%s", tmp);
	assert_string_equal(paths_spool_candidate(envp, 0), tmp);
	assert_string_equal(paths_spool_candidate(envp, 1), "/dev/shm");
	assert_string_equal(paths_spool_candidate(envp, 2), "/scratch");
	assert_string_equal(paths_spool_candidate(envp, 3), "/tmp");
	assert_null(paths_spool_candidate(envp, 4));
	assert_string_equal(paths_spool_candidate(NULL, 0), "");
	assert_string_equal(paths_spool_candidate(NULL, 2), "");
	/* the first that is a directory, in order */
	assert_string_equal(paths_spool_base(envp), tmp);
	xalt_sys.stat = fake_stat;
	dirs_that_exist[0] = "/dev/shm";
	dirs_that_exist[1] = "/scratch";
	assert_string_equal(paths_spool_base(envp), "/dev/shm");
	dirs_that_exist[0] = "/scratch";
	dirs_that_exist[1] = NULL;
	assert_string_equal(paths_spool_base(envp), "/scratch");
	dirs_that_exist[0] = NULL;
	assert_string_equal(paths_spool_base(envp), "/tmp");   /* the last resort */
	assert_string_equal(paths_spool_base(NULL), "/tmp");
}

/* --- the record directory -------------------------------------------------------- */

static void test_transmission_and_prefix(void **state)
{
	char *over[] = { "XALT_TRANSMISSION_STYLE=syslog", "XALT_FILE_PREFIX=/r", NULL };
	char *empty[] = { "XALT_TRANSMISSION_STYLE=", "XALT_FILE_PREFIX=", NULL };

	(void)state;
	assert_string_equal(paths_transmission(over, &cfg), "syslog");
	assert_string_equal(paths_file_prefix(over, &cfg), "/r");
	assert_string_equal(paths_transmission(empty, &cfg), "file");
	assert_string_equal(paths_file_prefix(empty, &cfg), "~/.xalt.d");
}

/* paths_record_dir for XALT_FILE_PREFIX=prefix and HOME=home (NULL: unset). */
static int record_dir(const char *prefix, const char *home, char *out, size_t cap)
{
	char p[PATH_MAX + 20], h[PATH_MAX + 8];
	char *envp[3] = { NULL, NULL, NULL };
	int n = 0;

	snprintf(p, sizeof(p), "XALT_FILE_PREFIX=%s", prefix);
	envp[n++] = p;
	if (home) {
		snprintf(h, sizeof(h), "HOME=%s", home);
		envp[n++] = h;
	}
	errno = 0;
	return paths_record_dir(envp, &cfg, out, cap);
}

static void test_record_dir(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(record_dir("~/recs", "/home/u", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/recs");
	assert_int_equal(record_dir("/abs/recs", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/abs/recs");
	/* "~/" needs an absolute HOME */
	assert_int_equal(record_dir("~/recs", NULL, out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(record_dir("~/recs", "home/u", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(record_dir("~/recs", "", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
	/* relative prefixes, "~" alone and "~user/" included, are refused */
	static const char *const rel[] = { "rel/dir", "~", "~u/x", "./x" };
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		assert_int_equal(record_dir(rel[i], "/home/u", out, sizeof(out)), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(record_dir("/abs/recs", NULL, out, 9), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void test_dir_trusted(void **state)
{
	(void)state;
	assert_int_equal(mkdir(at("own"), 0700), 0);
	assert_int_equal(paths_dir_trusted(at("own"), getuid()), 0);
	/* someone else's: refused, unless root's with the sticky bit */
	errno = 0;
	assert_int_equal(paths_dir_trusted(at("own"), getuid() + 4242), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(paths_dir_trusted("/tmp", getuid() + 4242), 0);   /* root, 1777 */
	errno = 0;
	assert_int_equal(paths_dir_trusted("/", getuid() + 4242), -1);     /* root, 0755 */
	assert_int_equal(errno, EPERM);
	assert_int_equal(symlink("own", at("link")), 0);
	errno = 0;
	assert_int_equal(paths_dir_trusted(at("link"), getuid()), -1);
	assert_int_equal(errno, ELOOP);
	close(open(at("file"), O_CREAT | O_WRONLY, 0600));
	errno = 0;
	assert_int_equal(paths_dir_trusted(at("file"), getuid()), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(paths_dir_trusted(at("missing"), getuid()), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_would_mkdir(void **state)
{
	struct stat st;
	char p[PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(at("d"), 0700), 0);
	errno = 0;
	assert_int_equal(paths_would_mkdir(at("d")), -1);
	assert_int_equal(errno, EEXIST);
	snprintf(p, sizeof(p), "%s", at("d/new"));
	assert_int_equal(paths_would_mkdir(p), 0);
	assert_string_equal(p, at("d/new"));          /* restored */
	assert_int_equal(lstat(at("d/new"), &st), -1);   /* and not made */
	close(open(at("f"), O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s", at("f/new"));
	errno = 0;
	assert_int_equal(paths_would_mkdir(p), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(symlink("nowhere", at("dangling")), 0);
	snprintf(p, sizeof(p), "%s", at("dangling/new"));
	errno = 0;
	assert_int_equal(paths_would_mkdir(p), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * The probe (doctor) against the real thing (the library), in one
 * scenario: probe first, then create; the probe must have said what
 * happened. Returns the probe's answer; *where_out gets its `where`.
 */
static int probe_then_create(const char *rel, uid_t uid, char *where_out)
{
	char dir[PATH_MAX], where[PATH_MAX] = "";
	int probe, probe_errno, made, made_errno;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", at(rel));
	errno = 0;
	probe = paths_record_dir_probe(dir, uid, where, sizeof(where));
	probe_errno = errno;
	assert_string_equal(dir, at(rel));          /* restored */
	if (probe == PATHS_CREATE)
		assert_int_equal(lstat(dir, &st), -1);   /* the probe made nothing */
	errno = 0;
	made = paths_record_dir_ready(dir, uid);
	made_errno = errno;
	if (probe == PATHS_READY || probe == PATHS_CREATE) {
		assert_int_equal(made, PATHS_READY);
		assert_int_equal(lstat(dir, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		if (probe == PATHS_CREATE)
			assert_int_equal(st.st_mode & 0777, 0700);
	} else if (made == PATHS_READY) {
		/* There and trusted, but not writable: the library fails when it
		 * creates its temp file in it, as access(2) told the probe. */
		char file[PATH_MAX + 8];

		snprintf(file, sizeof(file), "%s/.tmp", dir);
		assert_true(probe_errno == EACCES || probe_errno == EROFS);
		assert_int_equal(open(file, O_WRONLY | O_CREAT | O_EXCL, 0600), -1);
		assert_int_equal(errno, probe_errno);
	} else {
		assert_int_equal(made_errno, probe_errno);
	}
	if (where_out)
		strcpy(where_out, where);
	errno = probe_errno;
	return probe;
}

static void test_probe_predicts_create(void **state)
{
	char where[PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(at("ready"), 0700), 0);
	assert_int_equal(probe_then_create("ready", getuid(), NULL), PATHS_READY);
	assert_int_equal(probe_then_create("a/b/c", getuid(), where), PATHS_CREATE);
	assert_string_equal(where, tmp);             /* a is made in tmp */
	assert_int_equal(probe_then_create("a/b/c/d", getuid(), where), PATHS_CREATE);
	assert_string_equal(where, at("a/b/c"));
	/* a link as the directory itself: refused by both */
	assert_int_equal(symlink("ready", at("link")), 0);
	assert_int_equal(probe_then_create("link", getuid(), where), -1);
	assert_int_equal(errno, ELOOP);
	assert_string_equal(where, at("link"));
	/* a link as a parent is fine: the directory below it is real */
	assert_int_equal(probe_then_create("link/below", getuid(), NULL), PATHS_CREATE);
	/* a file as the directory, or above it */
	close(open(at("file"), O_CREAT | O_WRONLY, 0600));
	assert_int_equal(probe_then_create("file", getuid(), where), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_string_equal(where, at("file"));
	assert_int_equal(probe_then_create("file/x/y", getuid(), where), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_string_equal(where, at("file"));
	/* a dangling link above it */
	assert_int_equal(symlink("nowhere", at("dangling")), 0);
	assert_int_equal(probe_then_create("dangling/x", getuid(), where), -1);
	assert_int_equal(errno, ENOENT);
	/* another owner (a uid that is not ours): refused by both */
	assert_int_equal(mkdir(at("theirs"), 0777), 0);
	assert_int_equal(probe_then_create("theirs", getuid() + 4242, where), -1);
	assert_int_equal(errno, EPERM);
}

/* Not writable: a user cannot, root can (access(2) knows which we are). */
static void test_probe_predicts_create_unwritable(void **state)
{
	char where[PATH_MAX];
	int rc;

	(void)state;
	assert_int_equal(mkdir(at("locked"), 0555), 0);
	rc = probe_then_create("locked/records", getuid(), where);
	if (getuid() == 0) {
		assert_int_equal(rc, PATHS_CREATE);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(errno, EACCES);
		assert_string_equal(where, at("locked"));
	}
	rc = probe_then_create("locked", getuid(), where);
	assert_int_equal(rc, getuid() == 0 ? PATHS_READY : -1);
}

/* --- the syslog socket -------------------------------------------------------------- */

static void test_syslog_connect(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char longname[200];
	int srv, fd;

	(void)state;
	errno = 0;
	assert_int_equal(paths_syslog_connect(at("no.sock")), -1);
	assert_int_equal(errno, ENOENT);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	errno = 0;
	assert_int_equal(paths_syslog_connect(longname), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(paths_syslog_connect(""), -1);
	srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(srv >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("log.sock"));
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fd = paths_syslog_connect(at("log.sock"));
	assert_true(fd >= 0);
	assert_int_equal(send(fd, "x", 1, 0), 1);
	close(fd);
	close(srv);
}

/* --- the environment of a tracked child ------------------------------------------------ */

/* The value of name in env, "(unset)" when absent (for assert_string_equal). */
static const char *val(char **env, const char *name)
{
	const char *v = paths_getenv(env, name);

	return v ? v : "(unset)";
}

static void test_child_env_clean(void **state)
{
	char *envp[] = { "PATH=/bin", "XALT_EXECUTABLE_TRACKING=no", NULL };
	char **env = paths_child_env(envp, "/p");

	(void)state;
	assert_non_null(env);
	assert_string_equal(val(env, "PATH"), "/bin");
	assert_string_equal(val(env, "LD_PRELOAD"), "/p/lib/libxalt_init.so");
	assert_string_equal(val(env, "PYTHONPATH"), "/p/site");
	assert_string_equal(val(env, "R_PROFILE"), "/p/site/Rprofile.site");
	assert_string_equal(val(env, "XALT_EXECUTABLE_TRACKING"), "yes");
	assert_string_equal(val(env, "XALT_DIR"), "/p");
	assert_string_equal(val(env, "XALT_R_PROFILE_CHAIN"), "(unset)");
	paths_env_free(env);
}

static void test_child_env_lists(void **state)
{
	char *first[] = { "LD_PRELOAD=/x/a.so", "PYTHONPATH=/p1:/p2", "R_PROFILE=/u/my.R", NULL };
	char *again[] = { "LD_PRELOAD=/x/a.so /p/lib/libxalt_init.so", "PYTHONPATH=/p1:/p/site",
			  "R_PROFILE=/p/site/Rprofile.site", NULL };
	char *empty[] = { "LD_PRELOAD=", "PYTHONPATH=", "R_PROFILE=", NULL };
	char **env;

	(void)state;
	/* ours first, before what was there */
	env = paths_child_env(first, "/p");
	assert_string_equal(val(env, "LD_PRELOAD"), "/p/lib/libxalt_init.so:/x/a.so");
	assert_string_equal(val(env, "PYTHONPATH"), "/p/site:/p1:/p2");
	assert_string_equal(val(env, "R_PROFILE"), "/p/site/Rprofile.site");
	assert_string_equal(val(env, "XALT_R_PROFILE_CHAIN"), "/u/my.R");
	paths_env_free(env);
	/* never twice; ours is not chained to itself */
	env = paths_child_env(again, "/p");
	assert_string_equal(val(env, "LD_PRELOAD"), "/x/a.so /p/lib/libxalt_init.so");
	assert_string_equal(val(env, "PYTHONPATH"), "/p1:/p/site");
	assert_string_equal(val(env, "XALT_R_PROFILE_CHAIN"), "(unset)");
	paths_env_free(env);
	/* empty values are no entries */
	env = paths_child_env(empty, "/p");
	assert_string_equal(val(env, "LD_PRELOAD"), "/p/lib/libxalt_init.so");
	assert_string_equal(val(env, "PYTHONPATH"), "/p/site");
	assert_string_equal(val(env, "XALT_R_PROFILE_CHAIN"), "(unset)");
	paths_env_free(env);
}

static void test_env_set(void **state)
{
	char *envp[] = { "A=1", "B=2", "C=3", NULL };
	char **env = paths_child_env(envp, "/p");
	size_t n = 0;

	(void)state;
	assert_int_equal(paths_env_set(&env, "B", "two"), 0);
	assert_string_equal(val(env, "B"), "two");
	assert_int_equal(paths_env_set(&env, "NEW", "x"), 0);
	assert_string_equal(val(env, "NEW"), "x");
	assert_int_equal(paths_env_set(&env, "A", NULL), 0);
	assert_string_equal(val(env, "A"), "(unset)");
	assert_int_equal(paths_env_set(&env, "nothere", NULL), 0);
	assert_string_equal(val(env, "C"), "3");
	for (char **e = env; *e; e++)
		n++;
	assert_int_equal(n, 2 + 1 + 5);   /* B C NEW, and our five */
	paths_env_free(env);
	paths_env_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_getenv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_of_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transmission_and_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_trusted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_would_mkdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_predicts_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_predicts_create_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syslog_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_env_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_env_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_set, setup, teardown),
	};

	return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
