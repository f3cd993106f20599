/*
 * Unit tests of the site-config parser (src/common/config.c): defaults, every
 * setting, every table, comments and blanks, CRLF files, errors with their
 * line numbers (all of them, parsing goes on), regex checking on demand,
 * the literal-prefix computation, table limits, and config_read_file's size
 * cap and its outcomes with ENOSPC, EACCES, EEXIST or EINTR injected into
 * each of its system calls (src/common/sys.h). Tests that need the filter semantics live with filter.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "filter.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct xalt_config cfg;
static char text[CONFIG_MAX_BYTES];
static char msgs[8192];     /* "LINE: message\n" for each error */

static void collect(void *ctx, const char *path, int line, const char *msg)
{
	size_t n = strlen(msgs);

	(void)ctx;
	assert_string_equal(path, "test.conf");
	snprintf(msgs + n, sizeof(msgs) - n, "%d: %s\n", line, msg);
}

static int parse(const char *s, int check)
{
	int rc;

	msgs[0] = '\0';
	filter_release(&cfg);
	snprintf(text, sizeof(text), "%s", s);
	rc = config_parse(&cfg, text, "test.conf", check, collect, NULL);
	return rc;
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("", 0), 0);
	assert_string_equal(cfg.syshost, "hostname");
	assert_string_equal(cfg.transmission, "file");
	assert_string_equal(cfg.file_prefix, "~/.xalt.d");
	assert_string_equal(cfg.syslog_socket, "/dev/log");
	assert_string_equal(cfg.syslog_tag, "xalt");
	assert_int_equal(cfg.syslog_chunk, 900);    /* SYSLOG_CHUNK_DEFAULT: message < 1 KiB */
	assert_int_equal(cfg.record_args, ARGS_KEEP);
	assert_int_equal(cfg.hash_users, 0);
	assert_int_equal(cfg.allow_opt_out, 1);
	assert_int_equal(cfg.sha1, 0);
	assert_string_equal(cfg.hash_key, "");
	assert_int_equal(cfg.host.n + cfg.path.n + cfg.env.n + cfg.pkg.n + cfg.nsample, 0);
	assert_string_equal(cfg.file, "test.conf");
}

static void test_settings(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"syshost = nth:2\n"
		"transmission=syslog\n"
		"file_prefix = /var/xalt records\n"
		"  syslog_socket = /run/log  # comment\n"
		"syslog_tag = xt\n"
		"syslog_chunk = 4000\n"
		"record_args = hash\n"
		"hash_users = yes\n"
		"allow_opt_out = no\n"
		"sha1 = true\n"
		"hash_key = s3cret\n", 0), 0);
	assert_string_equal(cfg.syshost, "nth:2");
	assert_string_equal(cfg.transmission, "syslog");
	assert_string_equal(cfg.file_prefix, "/var/xalt records");
	assert_string_equal(cfg.syslog_socket, "/run/log");
	assert_string_equal(cfg.syslog_tag, "xt");
	assert_int_equal(cfg.syslog_chunk, 4000);
	assert_int_equal(cfg.record_args, ARGS_HASH);
	assert_int_equal(cfg.hash_users, 1);
	assert_int_equal(cfg.allow_opt_out, 0);
	assert_int_equal(cfg.sha1, 1);
	assert_string_equal(cfg.hash_key, "s3cret");
	assert_int_equal(parse("record_args = drop\nsyshost = name:frontera\n", 0), 0);
	assert_int_equal(cfg.record_args, ARGS_DROP);
	assert_string_equal(cfg.syshost, "name:frontera");
}

static void test_tables(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"# comment line\n"
		"\n"
		"host KEEP ^c[0-9]+\n"
		"path PKGS ^.*/python[0-9.]*$\n"
		"path SKIP   ^/usr/bin/  \n"
		"path KEEP a b  # regex with a blank\n"
		"env KEEP ^SLURM_\n"
		"sample 0 60 0.0001\n"
		"sample 60 inf 1\n"
		"pkg python SKIP name ^_\n"
		"pkg * KEEP path site-packages/\n"
		"path SKIP ^/a#b\r\n", 0), 0);
	assert_int_equal(cfg.host.n, 1);
	assert_int_equal(cfg.path.n, 4);
	assert_int_equal(cfg.path.pat[0].action, XALT_PKGS);
	assert_string_equal(cfg.path.pat[0].regex, "^.*/python[0-9.]*$");
	assert_int_equal(cfg.path.pat[0].line, 4);
	assert_string_equal(cfg.path.pat[1].regex, "^/usr/bin/");
	assert_string_equal(cfg.path.pat[2].regex, "a b");
	assert_string_equal(cfg.path.pat[3].regex, "^/a#b");   /* '#' not after a blank */
	assert_int_equal(cfg.env.n, 1);
	assert_int_equal(cfg.nsample, 2);
	assert_true(cfg.sample[0].min_s == 0 && cfg.sample[0].max_s == 60);
	assert_true(cfg.sample[0].prob == 0.0001);
	assert_true(isinf(cfg.sample[1].max_s));
	assert_int_equal(cfg.pkg.n, 2);
	assert_string_equal(cfg.pkg.pat[0].program, "python");
	assert_int_equal(cfg.pkg.pat[0].kind, PATTERN_NAME);
	assert_int_equal(cfg.pkg.pat[0].action, XALT_SKIP);
	assert_string_equal(cfg.pkg.pat[1].program, "*");
	assert_int_equal(cfg.pkg.pat[1].kind, PATTERN_PATH);
	for (int i = 0; i < cfg.path.n; i++)
		assert_int_equal(cfg.path.pat[i].state, 0);   /* lazy: nothing compiled */
}

static void test_errors_with_lines(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"syshost = nth:x\n"
		"transmission = pigeon\n"
		"file_prefix = relative/dir\n"
		"syslog_chunk = 12\n"
		"hash_users = maybe\n"
		"nope = 1\n"
		"= 3\n"
		"record_args =\n"
		"path KEEP\n"
		"host PKGS ^x\n"
		"pkg\n"
		"pkg averyveryverylongprogramname KEEP name x\n"
		"sample 1 2\n"
		"sample x 2 0.5\n"
		"sample 1 y 0.5\n"
		"sample 5 1 0.5\n"
		"whatever\n", 0), 17);
	assert_string_equal(msgs,
		"1: bad value 'nth:x' for 'syshost' (hostname, nth:N or name:STRING)\n"
		"2: bad value 'pigeon' for 'transmission'\n"
		"3: 'file_prefix' must be absolute or start with '~/': 'relative/dir'\n"
		"4: bad value '12' for 'syslog_chunk' (an integer, 256 to 65536)\n"
		"5: bad value 'maybe' for 'hash_users' (yes or no)\n"
		"6: unknown setting 'nope'\n"
		"7: missing setting name before '='\n"
		"8: missing value for 'record_args'\n"
		"9: path: missing regular expression\n"
		"10: host: expected KEEP or SKIP, got 'PKGS'\n"
		"11: pkg: expected a program (python, R or *)\n"
		"12: pkg: program name too long: 'averyveryverylongprogramname'\n"
		"13: sample: expected MIN_SECONDS MAX_SECONDS|inf PROBABILITY\n"
		"14: sample: bad minimum 'x'\n"
		"15: sample: bad maximum 'y'\n"
		"16: sample: minimum 5 is not below maximum 1\n"
		"17: unknown directive 'whatever'\n");
}

static void test_regex_check(void **state)
{
	(void)state;
	assert_int_equal(parse("path SKIP ^/usr/(bin\nenv KEEP [a-\n", 0), 0);
	assert_int_equal(parse("path SKIP ^/usr/(bin\nenv KEEP [a-\npath KEEP ok\npath KEEP o+k\n"
			       "path KEEP ^a\\1\n", 1), 3);
	assert_non_null(strstr(msgs, "1: path: bad regular expression '^/usr/(bin': unmatched '(' (at character 7)"));
	assert_non_null(strstr(msgs, "2: env: bad regular expression '[a-': unmatched '[' (at character 1)"));
	assert_non_null(strstr(msgs, "5: path: bad regular expression '^a\\1': back-references are not supported"));
	assert_int_equal(cfg.path.n, 2);
	assert_int_equal(cfg.path.pat[0].state, 0);        /* checked; its text decides: not kept */
	assert_int_equal(cfg.path.pat[1].state, 1);        /* compiled in check mode */
	assert_int_equal(cfg.progs.used % 8, 0);
	assert_true(cfg.progs.used > 0);
}

/*
 * A config's compiled regexes share CONFIG_PROG_BYTES: config check reports
 * each pattern that finds no room; the preload, which does not check, lets
 * such a pattern never match. Each program here is about 4 KB.
 */
static void test_regex_room(void **state)
{
	static char big[CONFIG_MAX_BYTES];
	size_t n = 0;
	char want[64];
	int first_bad;

	(void)state;
	for (int k = 0; k < 20; k++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "pkg * SKIP name ^([a-z]{255}[0-9]{255}[a-f]{255}[g-k]{200}|v%02d)$\n", k);
	first_bad = 20 - parse(big, 1) + 1;
	assert_true(first_bad > 10 && first_bad <= 20);
	snprintf(want, sizeof(want), "%d: pkg: bad regular expression", first_bad);
	assert_non_null(strstr(msgs, want));
	assert_non_null(strstr(msgs, "no room left for compiled patterns (64 KiB per config)"));
	assert_int_equal(cfg.pkg.n, first_bad - 1);
	assert_true(cfg.progs.used <= CONFIG_PROG_BYTES && cfg.progs.used + 4096 > CONFIG_PROG_BYTES);
	/* not checked (the preload): compiled on first use, "v19" finds no room */
	assert_int_equal(parse(big, 0), 0);
	assert_int_equal(filter_pkg(&cfg, "python", "v00", NULL), 0);
	assert_int_equal(filter_pkg(&cfg, "python", "v19", NULL), 1);
	assert_int_equal(cfg.pkg.pat[19].state, -1);
}

static void test_table_limits(void **state)
{
	static char big[CONFIG_MAX_BYTES];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < CONFIG_MAX_PATTERNS + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "env SKIP ^V%d$\n", i);
	for (int i = 0; i < CONFIG_MAX_SAMPLES + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "sample %d %d 1\n", i, i + 1);
	assert_int_equal(parse(big, 0), 2);
	assert_int_equal(cfg.env.n, CONFIG_MAX_PATTERNS);
	assert_int_equal(cfg.nsample, CONFIG_MAX_SAMPLES);
	assert_non_null(strstr(msgs, "env: too many patterns (at most 128)"));
	assert_non_null(strstr(msgs, "sample: too many rows (at most 16)"));
}

/* Plain decimals are read without strtod: the same doubles, bit for bit. */
static void test_numbers_like_strtod(void **state)
{
	static const char *const nums[] = {
		"0", "60", "1800", "0.0001", "0.01", "1.0", "1", "0.5", ".5", "1.",
		"0.1", "0.3", "0.7", "3.14159", "123456789012345", "0.0000000000000000000001",
		"9007199254740991", "9007199254740993", "90071992547409930", "1e-4",
		"0.12345678901234567890123", "00000.000100", "4503599627370497.5", NULL,
	};
	char line[128];

	(void)state;
	for (int i = 0; nums[i]; i++) {
		double want = strtod(nums[i], NULL);

		snprintf(line, sizeof(line), "sample %s inf 1\n", nums[i]);
		assert_int_equal(parse(line, 0), 0);
		if (memcmp(&cfg.sample[0].min_s, &want, sizeof(want)))
			fail_msg("'%s': %.17g, strtod says %.17g", nums[i], cfg.sample[0].min_s, want);
	}
	assert_int_equal(parse("sample 0 inf 1.\nsample 1 2 .\nsample 3 4 1..\n", 0), 2);
}

/* A new file under /tmp holding "0123456789"; its name in path (a mkstemp
 * template). Returns the fd it had, closed: the lowest free one then. */
static int ten_byte_file(char *path)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	return fd;
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/test-config.XXXXXX", buf[16];

	(void)state;
	ten_byte_file(path);
	assert_int_equal(config_read_file(path, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "0123456789");
	assert_int_equal(config_read_file(path, buf, 11), 10);   /* exactly fits */
	assert_int_equal(config_read_file(path, buf, 10), -1);
	assert_int_equal(errno, EFBIG);
	unlink(path);
	assert_int_equal(config_read_file(path, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
}

/* --- faults through the system-call table ------------------------------------ */

static int fault_errno, fault_at, calls, faulted;

/* Fail the fault_at-th call (counting from 0) with fault_errno. */
static int fault_now(void)
{
	if (calls++ != fault_at)
		return 0;
	faulted = 1;
	errno = fault_errno;
	return 1;
}

static int f_open(const char *p, int fl, mode_t m) { return fault_now() ? -1 : open(p, fl, m); }
static ssize_t f_read(int fd, void *b, size_t n) { return fault_now() ? -1 : read(fd, b, n < 4 ? n : 4); }
static int f_close(int fd) { if (fault_now()) { close(fd); return -1; } return close(fd); }

/*
 * config_read_file of a 10-byte file (read 4 bytes at a time, so the loop
 * turns), one fault at each call in turn. Allowed: the whole text (always
 * for EINTR, which is retried; a failed close loses nothing read), or -1
 * with the injected errno and no fd left open.
 */
static void test_read_file_faults(void **state)
{
	static const int kinds[] = { ENOSPC, EACCES, EEXIST, EINTR };
	char path[] = "/tmp/test-config.XXXXXX", buf[16];
	int fd = ten_byte_file(path);

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (fault_at = 0; ; fault_at++) {
			int probe;
			long n;

			fault_errno = kinds[i];
			calls = faulted = 0;
			xalt_sys.open = f_open;
			xalt_sys.read = f_read;
			xalt_sys.close = f_close;
			errno = 0;
			memset(buf, 'x', sizeof(buf));
			n = config_read_file(path, buf, sizeof(buf));
			sys_reset();
			probe = open("/dev/null", O_RDONLY);    /* the lowest free fd */
			assert_true(probe >= 0);
			close(probe);
			assert_int_equal(probe, fd);             /* none leaked */
			if (!faulted || n >= 0) {
				assert_int_equal(n, 10);
				assert_string_equal(buf, "0123456789");
				if (!faulted)
					break;
				continue;
			}
			assert_true(kinds[i] != EINTR);
			assert_int_equal(errno, kinds[i]);
		}
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_errors_with_lines),
		cmocka_unit_test(test_regex_check),
		cmocka_unit_test(test_regex_room),
		cmocka_unit_test(test_table_limits),
		cmocka_unit_test(test_numbers_like_strtod),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_faults),
	};
	int rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);

	filter_release(&cfg);
	return rc;
}
