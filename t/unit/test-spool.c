/*
 * Unit tests of the spool (src/common/spool.c): the user dir's checks against
 * planted links, foreign owners and loose modes; run dir creation, lookup,
 * appends, removal and reaping; the line escaper on every byte value.
 *
 * Each test gets a fresh XALT_SPOOL_BASE under /tmp, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG (SPOOL_PATH_MAX + 128)   /* room for a name after a path */
#define UUID "0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7"

static char base[64];
static char udir[SPOOL_PATH_MAX];

static int setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/test-spool.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	setenv("XALT_SPOOL_BASE", base, 1);
	snprintf(udir, sizeof(udir), "%s/xalt-%u", base, (unsigned)getuid());
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/* --- the user dir ----------------------------------------------------------- */

static void test_user_dir_created_private(void **state)
{
	char out[SPOOL_PATH_MAX];
	struct stat st;

	(void)state;
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), 0);
	assert_string_equal(out, udir);
	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A second call accepts the existing dir. */
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), 0);
}

static void test_user_dir_planted_symlink(void **state)
{
	char out[SPOOL_PATH_MAX], target[SPOOL_PATH_MAX];

	(void)state;
	snprintf(target, sizeof(target), "%s/attacker", base);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(symlink(target, udir), 0);
	errno = 0;
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), -1);
	assert_int_equal(errno, ELOOP);
	/* Nothing was created through the link. */
	assert_int_equal(spool_create(out, sizeof(out), UUID, 1234), -1);
	assert_int_equal(rmdir(target), 0);   /* still empty */
}

static void test_user_dir_group_writable(void **state)
{
	char out[SPOOL_PATH_MAX];
	struct stat st;

	(void)state;
	assert_int_equal(mkdir(udir, 0700), 0);
	assert_int_equal(chmod(udir, 0770), 0);
	errno = 0;
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), -1);
	assert_int_equal(errno, EPERM);
	/* We never chmod a dir we did not create. */
	assert_int_equal(stat(udir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0770);
}

static void test_user_dir_not_a_dir(void **state)
{
	char out[SPOOL_PATH_MAX];
	int fd;

	(void)state;
	fd = open(udir, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void test_user_dir_other_owner(void **state)
{
	char out[SPOOL_PATH_MAX];

	(void)state;
	if (getuid() != 0) {
		/* Without root we cannot chown; ask for another uid's dir instead:
		 * the dir we create is ours, so the owner check must refuse it. */
		assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), 0);
		snprintf(out, sizeof(out), "%s/xalt-%u", base, (unsigned)getuid() + 1);
		assert_int_equal(rename(udir, out), 0);
		errno = 0;
		assert_int_equal(spool_user_dir(out, sizeof(out), getuid() + 1), -1);
		assert_int_equal(errno, EPERM);
		return;
	}
	assert_int_equal(mkdir(udir, 0700), 0);
	assert_int_equal(chown(udir, 65534, 65534), 0);
	errno = 0;
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(spool_create(out, sizeof(out), UUID, 1234), -1);
	assert_int_equal(errno, EPERM);
}

static void test_user_dir_too_long(void **state)
{
	char out[8];

	(void)state;
	errno = 0;
	assert_int_equal(spool_user_dir(out, sizeof(out), getuid()), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* --- run dirs ------------------------------------------------------------------ */

static void test_create_and_eexist(void **state)
{
	char out[SPOOL_PATH_MAX], want[BIG];
	struct stat st;

	(void)state;
	assert_int_equal(spool_create(out, sizeof(out), UUID, 4242), 0);
	snprintf(want, sizeof(want), "%s/" UUID ".4242", udir);
	assert_string_equal(out, want);
	assert_int_equal(lstat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	errno = 0;
	assert_int_equal(spool_create(out, sizeof(out), UUID, 4242), -1);
	assert_int_equal(errno, EEXIST);
}

static void test_create_bad_uuid(void **state)
{
	char out[SPOOL_PATH_MAX];
	const char *bad[] = { "", "../x", "a/b", ".", "..", "x y", "a\tb" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(spool_create(out, sizeof(out), bad[i], 1), -1);
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_int_equal(spool_find(out, sizeof(out), bad[i]), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(spool_create(out, sizeof(out), UUID, 0), -1);
}

static void test_find(void **state)
{
	char made[SPOOL_PATH_MAX], found[SPOOL_PATH_MAX], other[BIG];
	struct stat st;

	(void)state;
	/* No user dir: ENOENT, and the lookup creates nothing. */
	errno = 0;
	assert_int_equal(spool_find(found, sizeof(found), UUID), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(lstat(udir, &st), -1);

	assert_int_equal(spool_create(other, sizeof(other), "0a4c3e52", 77), 0);
	assert_int_equal(spool_create(made, sizeof(made), UUID, 99), 0);
	assert_int_equal(spool_find(found, sizeof(found), UUID), 0);
	assert_string_equal(found, made);
	/* A prefix of a uuid is not that uuid; neither is an unknown one. */
	errno = 0;
	assert_int_equal(spool_find(found, sizeof(found), "0a4c3e52-7a9e"), -1);
	assert_int_equal(errno, ENOENT);
	/* A link named like a run dir is not a run dir. */
	snprintf(other, sizeof(other), "%s/ffff.12", udir);
	assert_int_equal(symlink(made, other), 0);
	assert_int_equal(spool_find(found, sizeof(found), "ffff"), -1);
}

/* --- appends ------------------------------------------------------------------ */

static void test_append(void **state)
{
	char dir[SPOOL_PATH_MAX], path[BIG], buf[256];
	struct stat st;

	(void)state;
	assert_int_equal(spool_create(dir, sizeof(dir), UUID, 5), 0);
	assert_int_equal(spool_append(dir, "P\ta\n", 4), 0);
	assert_int_equal(spool_append(dir, "P\tb\n", 4), 0);
	snprintf(path, sizeof(path), "%s/" SPOOL_PKGS_FILE, dir);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "P\ta\nP\tb\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_append_symlink_refused(void **state)
{
	char dir[SPOOL_PATH_MAX], path[BIG], victim[SPOOL_PATH_MAX], buf[64];
	int fd;

	(void)state;
	assert_int_equal(spool_create(dir, sizeof(dir), UUID, 6), 0);
	snprintf(victim, sizeof(victim), "%s/victim", base);
	fd = open(victim, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/" SPOOL_PKGS_FILE, dir);
	assert_int_equal(symlink(victim, path), 0);
	errno = 0;
	assert_int_equal(spool_append(dir, "P\tx\n", 4), -1);
	assert_int_equal(errno, ELOOP);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/*
 * A short write (here: RLIMIT_FSIZE, which cuts a write at the limit as a
 * full tmpfs does at its last page) must not leave half a line behind, or
 * the next append runs into it. Checked in a child: the limit is per process.
 */
static void test_append_short_write(void **state)
{
	char dir[SPOOL_PATH_MAX], path[BIG], buf[512], big[200];
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(spool_create(dir, sizeof(dir), UUID, 9), 0);
	assert_int_equal(spool_append(dir, "P\ta\n", 4), 0);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4 + 50, 4 + 50 };   /* room for 50 more bytes */
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		errno = 0;
		if (spool_append(dir, big, sizeof(big)) != -1 || errno != ENOSPC)
			_exit(1);
		if (spool_append(dir, "P\tb\n", 4) != 0)   /* fits: a whole line */
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(path, sizeof(path), "%s/" SPOOL_PKGS_FILE, dir);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "P\ta\nP\tb\n");
}

static void test_append_missing_dir(void **state)
{
	char dir[SPOOL_PATH_MAX];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/nope", base);
	errno = 0;
	assert_int_equal(spool_append(dir, "x\n", 2), -1);
	assert_int_equal(errno, ENOENT);
}

/* --- escaping ------------------------------------------------------------------ */

static void test_escape_all_bytes(void **state)
{
	char in[256], out[600];
	ssize_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	n = spool_escape(out, sizeof(out), in, sizeof(in));
	assert_int_equal(n, 256 + 4);   /* \ TAB LF CR each take two bytes */
	for (ssize_t i = 0; i < n; i++) {
		assert_true(out[i] != '\t');
		assert_true(out[i] != '\n');
		assert_true(out[i] != '\r');
	}
	assert_int_equal(spool_unescape(out, (size_t)n), 256);
	assert_memory_equal(out, in, 256);
}

static void test_escape_known(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(spool_escape(out, sizeof(out), "a\\b\tc\nd\re", 9), 13);
	assert_string_equal(out, "a\\\\b\\tc\\nd\\re");
	/* Exactly big enough (with the NUL), then one byte short. */
	assert_int_equal(spool_escape(out, 3, "\t", 1), 2);
	errno = 0;
	assert_int_equal(spool_escape(out, 2, "\t", 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(spool_escape(out, 1, "", 0), 0);
	assert_int_equal(spool_escape(out, 0, "", 0), -1);
}

static void test_unescape_odd(void **state)
{
	char s[16];

	(void)state;
	memcpy(s, "a\\qb\\", 5);   /* unknown escape and a trailing backslash stay */
	assert_int_equal(spool_unescape(s, 5), 5);
	assert_memory_equal(s, "a\\qb\\", 5);
	memcpy(s, "\\\\t", 3);      /* "\\" then "t", not "\" then "\t" */
	assert_int_equal(spool_unescape(s, 3), 2);
	assert_memory_equal(s, "\\t", 2);
}

/* --- removal ------------------------------------------------------------------ */

static void test_remove(void **state)
{
	char dir[SPOOL_PATH_MAX], path[BIG];
	struct stat st;

	(void)state;
	assert_int_equal(spool_create(dir, sizeof(dir), UUID, 8), 0);
	assert_int_equal(spool_append(dir, "x\n", 2), 0);
	snprintf(path, sizeof(path), "%s/extra", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(spool_remove(dir), 0);
	assert_int_equal(lstat(dir, &st), -1);
	errno = 0;
	assert_int_equal(spool_remove(dir), -1);
	assert_int_equal(errno, ENOENT);
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void make_run_dir(char *out, const char *uuid, pid_t pid, time_t age)
{
	struct timespec t[2];

	assert_int_equal(spool_create(out, SPOOL_PATH_MAX, uuid, pid), 0);
	assert_int_equal(spool_append(out, "x\n", 2), 0);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, out, t, 0), 0);
}

static void test_reap_stale(void **state)
{
	char dead_old[SPOOL_PATH_MAX], dead_new[SPOOL_PATH_MAX], live_old[SPOOL_PATH_MAX];
	struct stat st;
	pid_t dead = dead_pid();

	(void)state;
	/* No user dir yet: nothing to do, not an error. */
	assert_int_equal(spool_reap_stale(60), 0);
	make_run_dir(dead_old, "aaaa", dead, 3600);
	make_run_dir(dead_new, "bbbb", dead, 10);
	make_run_dir(live_old, "cccc", getpid(), 3600);
	assert_int_equal(spool_reap_stale(60), 1);
	assert_int_equal(lstat(dead_old, &st), -1);
	assert_int_equal(lstat(dead_new, &st), 0);
	assert_int_equal(lstat(live_old, &st), 0);
	/* A smaller min_age takes the younger dead one too, never the live one. */
	assert_int_equal(spool_reap_stale(5), 1);
	assert_int_equal(lstat(dead_new, &st), -1);
	assert_int_equal(lstat(live_old, &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_dir_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_dir_planted_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_dir_group_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_dir_not_a_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_dir_other_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_dir_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_and_eexist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_bad_uuid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_short_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape_all_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unescape_odd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_stale, setup, teardown),
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
