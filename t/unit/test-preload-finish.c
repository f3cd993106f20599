/*
 * Unit tests of the preload library's exit path (src/preload/finish.c,
 * record.c, transmit-file.c, sample.c) with faults injected through the
 * system-call table (sys.h).
 *
 * Allowed outcomes under injection, for every fault:
 *   - EINTR anywhere, short writes: the record is written whole (one valid
 *     JSON file, mode 0600, no temp file left), run_finish returns 1;
 *   - ENOSPC/EIO on write, EACCES on open, EIO on close, EXDEV on link and
 *     rename: run_finish returns -1 and the directory holds no file at all
 *     (nothing half-written, no temp file);
 *   - the final name taken (EEXIST from link, EPERM from rename in a sticky
 *     drop box, a file system without hard links): the record is written
 *     whole under another name "run.<time>.<uuid>.<8 hex>.json", nothing
 *     is replaced; every name taken: -1 and no file of ours.
 * Every injected fault must have been taken (fail_count back at 0): a fault
 * that never fired tests nothing.
 * Not sampled: returns 0, no file, the run's spool dir is removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filter.h"
#include "record.h"
#include "run.h"
#include "spool.h"
#include "sys.h"
#include "transmit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UUID "0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7"

static struct xalt_run r;
static char dir[64], spoolbase[64];

/* ---- fault injection ------------------------------------------------------ */

static int fail_errno;        /* errno to inject */
static int fail_count;        /* how many calls fail before success (-1: all) */
static int short_writes;      /* write at most 1 byte per call */
static int faults_taken;      /* how many faults fired since the last check */

static int take_fault(void)
{
	if (!fail_count)
		return 0;
	faults_taken++;
	if (fail_count > 0)
		fail_count--;
	errno = fail_errno;
	return 1;
}

static int bad_open(const char *p, int f, mode_t m)
{
	if (take_fault())
		return -1;
	return open(p, f, m);
}

static ssize_t bad_write(int fd, const void *b, size_t n)
{
	if (take_fault())
		return -1;
	return write(fd, b, short_writes && n > 1 ? 1 : n);
}

static int bad_close(int fd)
{
	close(fd);
	return take_fault() ? -1 : 0;
}

static int bad_rename(const char *a, const char *b)
{
	if (take_fault())
		return -1;
	return rename(a, b);
}

static int bad_link(const char *a, const char *b)
{
	if (take_fault())
		return -1;
	return link(a, b);
}

/* A file system without hard links. */
static int no_link(const char *a, const char *b)
{
	(void)a;
	(void)b;
	errno = EPERM;
	return -1;
}

/* ---- helpers ----------------------------------------------------------------- */

static int count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
}

/* The one record in dir, parsed; fails the test unless there is exactly one. */
static json_t *the_record(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512] = "";
	struct stat st;
	json_error_t err;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "run.", 4)) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
	assert_int_equal(count_files(), 1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	json_t *v = json_load_file(p, 0, &err);
	if (!v)
		fail_msg("bad JSON in %s: %s", p, err.text);
	return v;
}

static char cfgsrc[] =
	"syshost = name:unit\n"
	"env KEEP ^UNIT_KEEP$\n"
	"env SKIP .*\n"
	"pkg * SKIP name ^_\n";

static int setup(void **state)
{
	(void)state;
	sys_reset();
	fail_count = 0;
	short_writes = 0;
	strcpy(dir, "/tmp/test-preload.XXXXXX");
	strcpy(spoolbase, "/tmp/test-spool.XXXXXX");
	if (!mkdtemp(dir) || !mkdtemp(spoolbase))
		return -1;
	setenv("XALT_FILE_PREFIX", dir, 1);
	setenv("XALT_SPOOL_BASE", spoolbase, 1);
	setenv("UNIT_KEEP", "kept", 1);
	unsetenv("XALT_TRANSMISSION_STYLE");
	memset(&r, 0, sizeof(r));
	strcpy(r.cfgtext, cfgsrc);
	if (config_parse(&r.cfg, r.cfgtext, "unit", 1, NULL, NULL))
		return -1;
	strcpy(r.uuid, UUID);
	strcpy(r.exe, "/usr/bin/true");
	strcpy(r.self, "/nowhere/lib/libxalt_init.so");
	strcpy(r.cwd, "/tmp");
	memcpy(r.args, "prog\0one\0", 9);
	r.nargs = 2;
	r.track = XALT_KEEP;
	r.tracked = 1;
	r.forced = 1;
	r.pid = getpid();
	r.job.ntasks = 1;
	clock_gettime(CLOCK_REALTIME, &r.start_rt);
	clock_gettime(CLOCK_MONOTONIC, &r.start_mono);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	sys_reset();
	filter_release(&r.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, spoolbase);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests --------------------------------------------------------------------- */

static void test_record_fields(void **state)
{
	(void)state;
	assert_int_equal(run_finish(&r, RUN_EXIT, 256 + 3, 0), 1);
	json_t *v = the_record();
	assert_string_equal(json_string_value(json_object_get(v, "schema")), "xalt-run/1");
	assert_string_equal(json_string_value(json_object_get(v, "run_uuid")), UUID);
	assert_string_equal(json_string_value(json_object_get(v, "syshost")), "unit");
	json_t *ex = json_object_get(v, "exit");
	assert_string_equal(json_string_value(json_object_get(ex, "how")), "exit");
	assert_int_equal(json_integer_value(json_object_get(ex, "status")), 3);
	json_t *cmd = json_object_get(v, "cmdline");
	assert_int_equal(json_array_size(cmd), 2);
	assert_string_equal(json_string_value(json_array_get(cmd, 1)), "one");
	json_t *env = json_object_get(v, "env");
	assert_int_equal(json_object_size(env), 1);
	assert_string_equal(json_string_value(json_object_get(env, "UNIT_KEEP")), "kept");
	assert_true(json_array_size(json_object_get(v, "libraries")) > 0);
	assert_int_equal(json_array_size(json_object_get(v, "packages")), 0);
	json_decref(v);
}

static void test_signal_record(void **state)
{
	(void)state;
	assert_int_equal(run_finish(&r, RUN_SIGNAL, 0, 11), 1);
	json_t *v = the_record();
	json_t *ex = json_object_get(v, "exit");
	assert_string_equal(json_string_value(json_object_get(ex, "how")), "signal");
	assert_true(json_is_null(json_object_get(ex, "status")));
	assert_int_equal(json_integer_value(json_object_get(ex, "signal")), 11);
	/* the signal path reads /proc/self/maps: libraries are still there */
	assert_true(json_array_size(json_object_get(v, "libraries")) > 0);
	json_decref(v);
}

static void test_eintr_and_short_writes(void **state)
{
	(void)state;
	xalt_sys.open = bad_open;
	xalt_sys.write = bad_write;
	fail_errno = EINTR;
	fail_count = 3;      /* the open, then two writes */
	short_writes = 1;
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), 1);
	assert_int_equal(fail_count, 0);
	json_decref(the_record());
}

/* The only file in dir is a complete record under another name than the
 * first choice: run.<time>.<uuid>.<8 hex>.json. */
static void expect_record_under_other_name(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char want[64];
	size_t n;

	assert_int_equal(count_files(), 1);
	assert_non_null(d);
	snprintf(want, sizeof(want), "Z.%s.", UUID);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n = strlen(e->d_name);
		assert_true(n == strlen("run.20260101T000000.000000Z.") + strlen(UUID) + 1 + 8 + 5);
		assert_non_null(strstr(e->d_name, want));
		assert_int_equal(strspn(e->d_name + n - 13, "0123456789abcdef"), 8);
		assert_string_equal(e->d_name + n - 5, ".json");
	}
	closedir(d);
	json_decref(the_record());
}

static void test_final_name_taken(void **state)
{
	(void)state;
	xalt_sys.link = bad_link;      /* someone else's file has the name */
	fail_errno = EEXIST;
	fail_count = 1;
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), 1);
	assert_int_equal(fail_count, 0);
	expect_record_under_other_name();
}

static void test_sticky_rename_refused(void **state)
{
	(void)state;
	xalt_sys.link = no_link;       /* no hard links: rename, refused once */
	xalt_sys.rename = bad_rename;
	fail_errno = EPERM;
	fail_count = 1;
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), 1);
	assert_int_equal(fail_count, 0);
	expect_record_under_other_name();
}

static void test_every_name_taken(void **state)
{
	(void)state;
	xalt_sys.link = bad_link;
	fail_errno = EEXIST;
	fail_count = -1;
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), -1);
	assert_int_equal(count_files(), 0);
}

static void expect_failure_leaves_nothing(void)
{
	faults_taken = 0;
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), -1);
	assert_true(faults_taken > 0);
	assert_int_equal(count_files(), 0);
	clear_dir();
	sys_reset();
}

static void test_faults(void **state)
{
	(void)state;
	xalt_sys.write = bad_write;
	fail_errno = ENOSPC;
	fail_count = -1;
	expect_failure_leaves_nothing();

	xalt_sys.write = bad_write;      /* fails after some bytes went out */
	fail_errno = EIO;
	fail_count = -1;
	short_writes = 1;
	expect_failure_leaves_nothing();
	short_writes = 0;

	xalt_sys.open = bad_open;
	fail_errno = EACCES;
	fail_count = -1;
	expect_failure_leaves_nothing();

	xalt_sys.close = bad_close;
	fail_errno = EIO;
	fail_count = -1;
	expect_failure_leaves_nothing();

	xalt_sys.link = bad_link;
	xalt_sys.rename = bad_rename;
	fail_errno = EXDEV;
	fail_count = -1;
	expect_failure_leaves_nothing();
}

static void test_missing_prefix_dir_is_created(void **state)
{
	char sub[128];
	struct stat st;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	setenv("XALT_FILE_PREFIX", sub, 1);
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), 1);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	setenv("XALT_FILE_PREFIX", "relative/dir", 1);
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), -1);
	snprintf(sub, sizeof(sub), "rm -rf '%s/a'", dir);
	assert_int_equal(system(sub), 0);
}

static void test_unknown_transmission(void **state)
{
	(void)state;
	setenv("XALT_TRANSMISSION_STYLE", "carrier-pigeon", 1);
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), -1);
	assert_int_equal(count_files(), 0);
}

static void test_not_sampled_removes_spool(void **state)
{
	struct stat st;
	char spool[SPOOL_PATH_MAX];

	(void)state;
	filter_release(&r.cfg);
	strcpy(r.cfgtext, "sample 0 inf 0\n");
	assert_int_equal(config_parse(&r.cfg, r.cfgtext, "unit", 0, NULL, NULL), 0);
	r.forced = 0;
	r.track = XALT_PKGS;
	assert_int_equal(spool_create(r.spool, sizeof(r.spool), UUID, getpid()), 0);
	strcpy(spool, r.spool);
	assert_int_equal(spool_append(spool, "P\tpython\tx\t\t/x\t1\n", 17), 0);
	assert_int_equal(run_finish(&r, RUN_EXIT, 0, 0), 0);
	assert_int_equal(count_files(), 0);
	assert_int_equal(stat(spool, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_sampling_table(void **state)
{
	(void)state;
	filter_release(&r.cfg);
	strcpy(r.cfgtext, "sample 0 10 0.25\nsample 20 inf 1\n");
	assert_int_equal(config_parse(&r.cfg, r.cfgtext, "unit", 0, NULL, NULL), 0);
	assert_true(sample_probability(&r.cfg, 0) == 0.25);
	assert_true(sample_probability(&r.cfg, 9.999) == 0.25);
	assert_true(sample_probability(&r.cfg, 10) == 1.0);     /* gap: no row */
	assert_true(sample_probability(&r.cfg, 20) == 1.0);
	assert_true(sample_probability(&r.cfg, 1e9) == 1.0);
	assert_int_equal(sample_keep(0.0, 0), 0);
	assert_int_equal(sample_keep(1.0, UINT64_MAX), 1);
	assert_int_equal(sample_keep(0.25, 0), 1);
	assert_int_equal(sample_keep(0.25, UINT64_MAX), 0);
	assert_int_equal(sample_keep(0.25, (UINT64_MAX / 4) - 4096), 1);
	assert_int_equal(sample_keep(0.25, (UINT64_MAX / 4) + 4096), 0);
}

static void test_file_name(void **state)
{
	char name[128];
	struct timespec t = { 1764089640, 123456789 };   /* 2025-11-25 16:54:00 UTC */

	(void)state;
	assert_true(transmit_file_name(name, sizeof(name), UUID, &t) > 0);
	assert_string_equal(name, "run.20251125T165400.123456Z." UUID ".json");
	t.tv_sec = 0;
	t.tv_nsec = 0;
	transmit_file_name(name, sizeof(name), UUID, &t);
	assert_string_equal(name, "run.19700101T000000.000000Z." UUID ".json");
	t.tv_sec = 1709251199;                            /* 2024-02-29 23:59:59 */
	transmit_file_name(name, sizeof(name), UUID, &t);
	assert_string_equal(name, "run.20240229T235959.000000Z." UUID ".json");
	assert_int_equal(transmit_file_name(name, 20, UUID, &t), -1);
}

static void test_program_kind(void **state)
{
	(void)state;
	assert_string_equal(program_kind("/usr/bin/python3.11"), "python");
	assert_string_equal(program_kind("/x/bin/python"), "python");
	assert_string_equal(program_kind("/usr/lib/R/bin/exec/R"), "R");
	assert_null(program_kind("/usr/bin/python3-config"));
	assert_null(program_kind("/bin/true"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eintr_and_short_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_name_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_rename_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_name_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_prefix_dir_is_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_transmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_sampled_removes_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sampling_table, setup, teardown),
		cmocka_unit_test(test_file_name),
		cmocka_unit_test(test_program_kind),
	};
	return cmocka_run_group_tests_name("preload-finish", tests, NULL, NULL);
}
