/*
 * Unit tests of the spool (src/common/spool.c): the user dir's checks against
 * planted links, foreign owners and loose modes; run dir creation, lookup,
 * appends and removal (dead runs: test-recover.c); the line escaper on
 * every byte value; and
 * every operation with ENOSPC, EACCES, EEXIST or EINTR injected into each of
 * its system calls in turn (src/common/sys.h), with the outcomes allowed.
 *
 * Each test gets a fresh XALT_SPOOL_BASE under /tmp, removed afterwards, and
 * is hermetic: the other spool base candidates (/dev/shm, /tmp) read as
 * missing through the system-call table and TMPDIR is unset, so no test
 * falls back into the machine's own; the fallback tests set TMPDIR to a
 * second fresh dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "spool.h"
#include "sys.h"

#include <dirent.h>
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

static char base[64], base2[64];
static char udir[SPOOL_PATH_MAX];

/* stat, with the machine's own spool bases missing. */
static int hermetic_stat(const char *p, struct stat *st)
{
	if (!strcmp(p, "/dev/shm") || !strcmp(p, "/tmp")) {
		errno = ENOENT;
		return -1;
	}
	return stat(p, st);
}

/* sys_reset, keeping the tests hermetic. */
static void reset_sys(void)
{
	sys_reset();
	xalt_sys.stat = hermetic_stat;
}

static int setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/test-spool.XXXXXX");
	strcpy(base2, "/tmp/test-spool2.XXXXXX");
	if (!mkdtemp(base) || !mkdtemp(base2))
		return -1;
	setenv("XALT_SPOOL_BASE", base, 1);
	unsetenv("TMPDIR");
	snprintf(udir, sizeof(udir), "%s/xalt-%u", base, (unsigned)getuid());
	reset_sys();
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	sys_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", base, base2);
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

/* --- the fallback (issue 10 item 5) ------------------------------------------ */

/* The run dir is in the second base (TMPDIR here), the first noted with err. */
static void expect_in_base2(int err)
{
	char out[SPOOL_PATH_MAX], want[BIG];
	struct spool_tried t;
	struct stat st;

	setenv("TMPDIR", base2, 1);
	assert_int_equal(spool_create_at(environ, out, sizeof(out), UUID, 55, &t), 0);
	snprintf(want, sizeof(want), "%s/xalt-%u/" UUID ".55", base2, (unsigned)getuid());
	assert_string_equal(out, want);
	assert_int_equal(lstat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.at[0].base, base);
	assert_int_equal(t.at[0].err, err);
	/* found again by uuid (xalt_record_pkg -u) in whichever base it is */
	assert_int_equal(spool_find(want, sizeof(want), UUID), 0);
	assert_string_equal(want, out);
}

static void test_fallback_user_dir_taken(void **state)
{
	char target[SPOOL_PATH_MAX];

	(void)state;
	snprintf(target, sizeof(target), "%s/elsewhere", base);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(symlink(target, udir), 0);
	expect_in_base2(ELOOP);
}

static int mkdir_erofs_in_base(const char *p, mode_t m)
{
	if (!strncmp(p, base, strlen(base))) {
		errno = EROFS;
		return -1;
	}
	return mkdir(p, m);
}

static void test_fallback_read_only(void **state)
{
	(void)state;
	xalt_sys.mkdir = mkdir_erofs_in_base;
	expect_in_base2(EROFS);
}

static int full_errno;
static int mkdir_full_in_base(const char *p, mode_t m)
{
	/* the user dir is there, the run dir finds no inode or quota */
	if (!strncmp(p, udir, strlen(udir)) && p[strlen(udir)] == '/') {
		errno = full_errno;
		return -1;
	}
	return mkdir(p, m);
}

static void test_fallback_no_inode_or_quota(void **state)
{
	(void)state;
	full_errno = ENOSPC;
	xalt_sys.mkdir = mkdir_full_in_base;
	expect_in_base2(ENOSPC);
	reset_sys();
	unsetenv("TMPDIR");
	{
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'/xalt-*", base2);
		assert_int_equal(system(cmd), 0);
	}
	full_errno = EDQUOT;
	xalt_sys.mkdir = mkdir_full_in_base;
	expect_in_base2(EDQUOT);
}

/* statvfs of a file system with no room left (mkdir would still work). */
static int statvfs_full_in_base(const char *p, struct statvfs *sv)
{
	int rc = statvfs(p, sv);

	if (rc == 0 && !strncmp(p, base, strlen(base)))
		sv->f_bavail = 0;
	return rc;
}

static int statvfs_no_inodes_in_base(const char *p, struct statvfs *sv)
{
	int rc = statvfs(p, sv);

	if (rc == 0 && !strncmp(p, base, strlen(base))) {
		sv->f_files = 1000;
		sv->f_favail = 0;
	}
	return rc;
}

static void test_fallback_full(void **state)
{
	(void)state;
	xalt_sys.statvfs = statvfs_full_in_base;
	expect_in_base2(ENOSPC);
}

static void test_fallback_out_of_inodes(void **state)
{
	(void)state;
	xalt_sys.statvfs = statvfs_no_inodes_in_base;
	expect_in_base2(ENOSPC);
}

static int mkdir_erofs(const char *p, mode_t m)
{
	(void)p;
	(void)m;
	errno = EROFS;
	return -1;
}

static void test_fallback_nowhere(void **state)
{
	char out[SPOOL_PATH_MAX];
	struct spool_tried t;

	(void)state;
	setenv("TMPDIR", base2, 1);
	xalt_sys.mkdir = mkdir_erofs;
	errno = 0;
	assert_int_equal(spool_create_at(environ, out, sizeof(out), UUID, 56, &t), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.at[0].base, base);
	assert_string_equal(t.at[1].base, base2);
	assert_int_equal(t.at[1].err, EROFS);
}

/* --- faults through the system-call table ------------------------------------ */

static int fault_errno;      /* what to inject */
static int fault_skip;       /* calls that pass before the fault */
static int fault_left;       /* faults still to inject (-1: every call) */
static int faults_hit;       /* injected so far */
static int calls;            /* system calls seen */

/* Should this call fail? Sets errno when it should. */
static int fault_now(void)
{
	calls++;
	if (fault_skip > 0) {
		fault_skip--;
		return 0;
	}
	if (!fault_left)
		return 0;
	if (fault_left > 0)
		fault_left--;
	faults_hit++;
	errno = fault_errno;
	return 1;
}

static int f_open(const char *p, int fl, mode_t m) { return fault_now() ? -1 : open(p, fl, m); }
static int f_openat(int d, const char *p, int fl, mode_t m) { return fault_now() ? -1 : openat(d, p, fl, m); }
static ssize_t f_read(int fd, void *b, size_t n) { return fault_now() ? -1 : read(fd, b, n); }
static ssize_t f_write(int fd, const void *b, size_t n) { return fault_now() ? -1 : write(fd, b, n); }
static int f_close(int fd) { if (fault_now()) { close(fd); return -1; } return close(fd); }
static int f_mkdir(const char *p, mode_t m) { return fault_now() ? -1 : mkdir(p, m); }
static int f_unlinkat(int d, const char *p, int fl) { return fault_now() ? -1 : unlinkat(d, p, fl); }
static int f_stat(const char *p, struct stat *st) { return fault_now() ? -1 : hermetic_stat(p, st); }
static int f_lstat(const char *p, struct stat *st) { return fault_now() ? -1 : lstat(p, st); }
static int f_fstat(int fd, struct stat *st) { return fault_now() ? -1 : fstat(fd, st); }
static int f_fstatat(int d, const char *p, struct stat *st, int fl) { return fault_now() ? -1 : fstatat(d, p, st, fl); }
static ssize_t f_getdents64(int fd, void *b, size_t n) { return fault_now() ? -1 : getdents64(fd, b, n); }
static int f_ftruncate(int fd, off_t n) { return fault_now() ? -1 : ftruncate(fd, n); }
static off_t f_lseek(int fd, off_t o, int w) { return fault_now() ? -1 : lseek(fd, o, w); }

/* From now on, call `skip` passes, then `count` calls fail with err (-1: all). */
static void inject(int err, int skip, int count)
{
	fault_errno = err;
	fault_skip = skip;
	fault_left = count;
	faults_hit = calls = 0;
	xalt_sys.open = f_open;
	xalt_sys.openat = f_openat;
	xalt_sys.read = f_read;
	xalt_sys.write = f_write;
	xalt_sys.close = f_close;
	xalt_sys.mkdir = f_mkdir;
	xalt_sys.unlinkat = f_unlinkat;
	xalt_sys.stat = f_stat;
	xalt_sys.lstat = f_lstat;
	xalt_sys.fstat = f_fstat;
	xalt_sys.fstatat = f_fstatat;
	xalt_sys.getdents64 = f_getdents64;
	xalt_sys.ftruncate = f_ftruncate;
	xalt_sys.lseek = f_lseek;
}

static const int fault_kinds[] = { ENOSPC, EACCES, EEXIST, EINTR };
#define NKINDS (sizeof(fault_kinds) / sizeof(fault_kinds[0]))

static void clean_base(void)
{
	char cmd[200];

	reset_sys();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/* '%s'/.[!.]*", base, base);
	assert_int_equal(system(cmd), 0);
}

/*
 * The fault simulation, after SQLite's do_faultsim_test: for each fault
 * kind, and for each k until a run sees no fault, prepare a fresh scenario,
 * make the k-th system call of the operation fail, run it, and hand its
 * result to the check, which states every outcome allowed. EINTR is always
 * retried (sys.h), so the checks require success for it.
 */
struct faultsim {
	void (*prep)(void);    /* a fresh scenario */
	int (*body)(void);     /* the operation under test: its result */
	/* the outcomes allowed: rc and errno of body, the fault injected, at call k */
	void (*check)(int rc, int e, int err, int k);
};

static void faultsim(const struct faultsim *t)
{
	for (size_t i = 0; i < NKINDS; i++) {
		for (int k = 0; ; k++) {
			int rc, e;

			clean_base();
			if (t->prep)
				t->prep();
			inject(fault_kinds[i], k, 1);
			errno = 0;
			rc = t->body();
			e = errno;
			reset_sys();
			if (!faults_hit) {        /* past the last call: the plain outcome */
				t->check(rc, e, 0, k);
				break;
			}
			if (rc < 0 && fault_kinds[i] == EINTR)
				fail_msg("EINTR at call %d was not retried", k);
			t->check(rc, e, fault_kinds[i], k);
		}
	}
}

/* Scenario state, shared by the steps of one simulation. */
static char fs_dir[SPOOL_PATH_MAX];

/*
 * spool_create. Allowed: success with the run dir there; or -1 with the
 * injected errno (ENOENT for an EEXIST on the user dir's mkdir: it is
 * taken as "exists", then lstat finds nothing), or ENOENT when the fault
 * hit the stat of XALT_SPOOL_BASE (passed over; the other candidates are
 * missing here, the last one's ENOENT is the answer), and no run dir.
 */
static int create_body(void)
{
	return spool_create(fs_dir, sizeof(fs_dir), UUID, 77);
}

static void create_check(int rc, int e, int err, int k)
{
	char want[BIG];
	struct stat st;

	snprintf(want, sizeof(want), "%s/" UUID ".77", udir);
	if (rc == 0) {
		assert_string_equal(fs_dir, want);
		assert_int_equal(lstat(want, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		return;
	}
	assert_true(err != 0);
	if (e != err && !(err == EEXIST && e == ENOENT) && !(k == 0 && e == ENOENT))
		fail_msg("fault %d at call %d: errno %d", err, k, e);
	assert_int_equal(lstat(want, &st), -1);
}

static void test_fault_create(void **state)
{
	static const struct faultsim t = { NULL, create_body, create_check };

	(void)state;
	faultsim(&t);
}

/*
 * EINTR on every call: each call is tried SYS_EINTR_RETRIES + 1 times, the
 * operation fails with EINTR (after passing over the bases it could not
 * stat), nothing hangs.
 */
static void test_fault_eintr_forever(void **state)
{
	char out[SPOOL_PATH_MAX];

	(void)state;
	inject(EINTR, 0, -1);
	errno = 0;
	assert_int_equal(spool_create(out, sizeof(out), UUID, 78), -1);
	assert_int_equal(errno, EINTR);
	assert_int_equal(calls % (SYS_EINTR_RETRIES + 1), 0);
	assert_true(calls <= 4 * (SYS_EINTR_RETRIES + 1));   /* 3 stats (TMPDIR unset) */
}

/*
 * spool_append of one line after a first one. Allowed: success with both
 * lines, each once, or -1 with the injected errno and the first line
 * alone: never half a line, never the line twice.
 */
static void append_prep(void)
{
	assert_int_equal(spool_create(fs_dir, sizeof(fs_dir), UUID, 79), 0);
	assert_int_equal(spool_append(fs_dir, "P\ta\n", 4), 0);
}

static int append_body(void)
{
	return spool_append(fs_dir, "P\tb\n", 4);
}

static void append_check(int rc, int e, int err, int k)
{
	char path[BIG], buf[256];

	(void)k;
	snprintf(path, sizeof(path), "%s/" SPOOL_PKGS_FILE, fs_dir);
	slurp(path, buf, sizeof(buf));
	if (rc == 0) {
		assert_string_equal(buf, "P\ta\nP\tb\n");
		return;
	}
	assert_int_equal(e, err);
	assert_string_equal(buf, "P\ta\n");
}

static void test_fault_append(void **state)
{
	static const struct faultsim t = { append_prep, append_body, append_check };

	(void)state;
	faultsim(&t);
}

/* A write cut short (a full tmpfs) is cut off again: -1 ENOSPC, no half line. */
static ssize_t half_write(int fd, const void *b, size_t n)
{
	return write(fd, b, n / 2);
}

static void test_fault_append_short(void **state)
{
	char dir[SPOOL_PATH_MAX], path[BIG], buf[256];

	(void)state;
	assert_int_equal(spool_create(dir, sizeof(dir), UUID, 80), 0);
	assert_int_equal(spool_append(dir, "P\ta\n", 4), 0);
	xalt_sys.write = half_write;
	errno = 0;
	assert_int_equal(spool_append(dir, "P\tbbbb\n", 7), -1);
	assert_int_equal(errno, ENOSPC);
	reset_sys();
	snprintf(path, sizeof(path), "%s/" SPOOL_PKGS_FILE, dir);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "P\ta\n");
}

/*
 * spool_remove of a run dir with two files. Allowed: 0 and the dir gone,
 * or -1 with the injected errno and the dir still there (some files maybe
 * gone).
 */
static void remove_prep(void)
{
	char path[BIG];

	assert_int_equal(spool_create(fs_dir, sizeof(fs_dir), UUID, 81), 0);
	assert_int_equal(spool_append(fs_dir, "x\n", 2), 0);
	snprintf(path, sizeof(path), "%s/extra", fs_dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
}

static int remove_body(void)
{
	return spool_remove(fs_dir);
}

static void remove_check(int rc, int e, int err, int k)
{
	struct stat st;

	(void)k;
	if (rc == 0) {
		assert_int_equal(lstat(fs_dir, &st), -1);
		return;
	}
	assert_int_equal(e, err);
	assert_int_equal(lstat(fs_dir, &st), 0);
}

static void test_fault_remove(void **state)
{
	static const struct faultsim t = { remove_prep, remove_body, remove_check };

	(void)state;
	faultsim(&t);
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
		cmocka_unit_test_setup_teardown(test_fallback_user_dir_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_no_inode_or_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_out_of_inodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_nowhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_eintr_forever, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_append_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_remove, setup, teardown),
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
