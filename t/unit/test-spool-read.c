/*
 * Unit tests of the spool reader (src/common/spool-read.c): the file shrinks
 * while it is read (a mapping raised SIGBUS there, issue 12 item 3), reads
 * that return a byte at a time or fail with EINTR, lines that straddle the
 * read buffer, a spool that is not a regular file, and the merge of the
 * 9-field P lines with U and M lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "spool-read.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char pkgs_path[128];
static struct xalt_config cfg;
static char cfgtext[64];   /* parsed in place: a fresh copy per test */

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test-spool-read.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(pkgs_path, sizeof(pkgs_path), "%s/pkgs", dir);
	strcpy(cfgtext, "pkg * SKIP name ^_\n");
	return config_parse(&cfg, cfgtext, "test", 1, NULL, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	sys_reset();
	unlink(pkgs_path);
	rmdir(pkgs_path);
	return rmdir(dir);
}

/* n lines "P python pkgI 1 /s/pkgI 1" into the spool. */
static void write_lines(int n)
{
	FILE *f = fopen(pkgs_path, "w");

	assert_non_null(f);
	for (int i = 0; i < n; i++)
		fprintf(f, "P\tpython\tpkg%d\t1\t/s/pkg%d\t1\n", i, i);
	assert_int_equal(fclose(f), 0);
}

static int reads;

/* After the first read, another process cuts the file to 10 bytes. */
static ssize_t read_then_truncate(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len < 4096 ? len : 4096);

	if (reads++ == 0)
		assert_int_equal(truncate(pkgs_path, 10), 0);
	return n;
}

static void test_truncated_while_read(void **state)
{
	struct spool_read s;

	(void)state;
	write_lines(5000);   /* about 150 KB: several reads */
	reads = 0;
	xalt_sys.read = read_then_truncate;
	assert_int_equal(spool_read(dir, &cfg, &s), 0);
	/* what the first read gave, whole lines only, and nothing after */
	assert_true(s.n > 0 && s.n < 5000);
	assert_string_equal(s.pkgs[0].name, "pkg0");
	assert_true(s.pkgs[s.n - 1].listed);
}

/* One byte per call, and an EINTR before every other one. */
static ssize_t read_bytewise(int fd, void *buf, size_t len)
{
	if (reads++ % 2 == 0) {
		errno = EINTR;
		return -1;
	}
	return read(fd, buf, len ? 1 : 0);
}

static void test_bytewise_reads(void **state)
{
	struct spool_read s;

	(void)state;
	write_lines(300);
	reads = 0;
	xalt_sys.read = read_bytewise;
	assert_int_equal(spool_read(dir, &cfg, &s), 0);
	assert_int_equal(s.n, 300);
	assert_string_equal(s.pkgs[299].path, "/s/pkg299");
	assert_true(s.pkgs[299].has_us);
}

/* Every line, at every offset relative to the 256 KiB buffer, is read once. */
static void test_lines_across_the_buffer(void **state)
{
	struct spool_read s;
	char name[16];

	(void)state;
	write_lines(20000);   /* ~600 KB */
	sys_reset();
	assert_int_equal(spool_read(dir, &cfg, &s), 0);
	assert_int_equal(s.n, 4096);   /* the table's bound */
	assert_int_equal(s.dropped, 20000 - 4096);
	for (int i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "pkg%d", i);
		assert_string_equal(s.pkgs[i].name, name);
		assert_int_equal(s.pkgs[i].import_us, 1);
	}
}

static void test_not_a_regular_file(void **state)
{
	struct spool_read s;

	(void)state;
	assert_int_equal(mkdir(pkgs_path, 0700), 0);
	assert_int_equal(spool_read(dir, &cfg, &s), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(s.n, 0);
	assert_int_equal(rmdir(pkgs_path), 0);
	assert_int_equal(spool_read(dir, &cfg, &s), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_merge(void **state)
{
	static const char text[] =
		"P\tpython\ta\t1\t/s/a\t2\t\t\t1\n"          /* start-up, direct unknown */
		"P\tpython\ta\t2\t/t/a\t3\t0\tb\t0\n"        /* later: pulled in by b */
		"U\tpython\ta\t2\n"
		"U\tpython\ta\t7\n"
		"U\tpython\ta\t5\n"
		"P\tpython\t_hidden\t1\t/s/_h\t1\t1\t\t0\n"  /* filtered */
		"U\tpython\t_hidden\t1\n"
		"M\tpython\ton\n"
		"M\tpython\toff\n"
		"P\tpython\tb\t1\t/s/b\t1\t1\t\t0\n";
	struct spool_read s;
	FILE *f = fopen(pkgs_path, "w");

	(void)state;
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(spool_read(dir, &cfg, &s), 0);
	assert_int_equal(s.n, 3);   /* a, the U-only _hidden, b */
	assert_string_equal(s.pkgs[0].version, "1");
	assert_string_equal(s.pkgs[0].path, "/s/a");
	assert_int_equal(s.pkgs[0].import_us, 5);
	assert_int_equal(s.pkgs[0].direct, 0);
	assert_string_equal(s.pkgs[0].imported_by, "b");
	assert_int_equal(s.pkgs[0].startup, 1);
	assert_int_equal(s.pkgs[0].used, 1);
	assert_int_equal(s.pkgs[0].functions_used, 7);
	assert_false(s.pkgs[1].listed);
	assert_true(s.pkgs[2].listed);
	assert_int_equal(s.pkgs[2].used, 0);
	assert_true(spool_read_monitored(&s, "python"));
	assert_false(spool_read_monitored(&s, "R"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_truncated_while_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytewise_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_across_the_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
