/*
 * Unit tests of syslog transmission and its reassembler, together: records
 * are sent by the preload library's own transmit_syslog_ops to a datagram
 * socket this test binds, the datagrams are read back, given rsyslog-like
 * prefixes, shuffled, duplicated, dropped or damaged, and fed to
 * syslog_reasm (src/cli/ingest/syslog-reassemble.c). Every test states the exact
 * counts it expects. Also: the CRC-32 check value, and a daemon that never
 * reads (the sender gives up within its budget instead of blocking).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crc32.h"
#include "run.h"
#include "syslog-reassemble.h"
#include "syslog-format.h"
#include "transmit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define UUID_A "0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7"
#define UUID_B "1b5d4f63-8b0f-4a1c-8b64-7b2e3ef1d2c8"
#define MAXMSG 64

static struct xalt_run run;      /* large: static */
static char sockpath[108];
static int rfd = -1;
static unsigned reader_delay_us;  /* the daemon's pace: sleep before each read */

/* What the test got back: datagrams, as text. */
static char *msg[MAXMSG];
static size_t nmsg;

/* What the reassembler passed on. */
static char got_uuid[MAXMSG][40];
static char *got_text[MAXMSG];
static size_t ngot;
static size_t nlost;
static int lost_corrupt;
static size_t lost_have, lost_count;

static int on_record(void *ctx, const char *uuid, const char *text, size_t len, const char *origin)
{
	(void)ctx;
	assert_non_null(strstr(origin, "syslog:"));
	assert_true(ngot < MAXMSG);
	snprintf(got_uuid[ngot], sizeof(got_uuid[0]), "%s", uuid);
	got_text[ngot] = strndup(text, len);
	ngot++;
	return 0;
}

static void on_lost(void *ctx, const char *uuid, size_t have, size_t count, int corrupt,
		    const char *origin)
{
	(void)ctx;
	(void)uuid;
	(void)origin;
	nlost++;
	lost_have = have;
	lost_count = count;
	lost_corrupt = corrupt;
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)state;
	snprintf(sockpath, sizeof(sockpath), "/tmp/test-syslog.%d.sock", (int)getpid());
	unlink(sockpath);
	strcpy(sa.sun_path, sockpath);
	rfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (rfd < 0 || bind(rfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	config_defaults(&run.cfg);
	run.cfg.syslog_socket = sockpath;
	run.cfg.syslog_chunk = 256;
	nmsg = ngot = nlost = 0;
	reader_delay_us = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(rfd);
	unlink(sockpath);
	for (size_t i = 0; i < nmsg; i++)
		free(msg[i]);
	for (size_t i = 0; i < ngot; i++)
		free(got_text[i]);
	return 0;
}

/* The daemon's side: read datagrams until "END" (the kernel queues only
 * net.unix.max_dgram_qlen = 10 of them, so reading must go on while the
 * sender sends, as rsyslog does). */
static void *reader(void *arg)
{
	static char buf[SYSLOG_HEADER_MAX + 65536];

	(void)arg;
	for (;;) {
		if (reader_delay_us)
			usleep(reader_delay_us);
		ssize_t n = recv(rfd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n == 3 && !memcmp(buf, "END", 3)))
			return NULL;
		assert_true(nmsg < MAXMSG);
		/* As rsyslog's traditional file format shows it. */
		char *line = malloc((size_t)n + 64);
		int k = sprintf(line, "Nov 25 17:30:%02zu node%zu ", nmsg % 60, nmsg % 3);
		memcpy(line + k, buf, (size_t)n);
		line[k + n] = '\0';
		msg[nmsg++] = line;
	}
}

/*
 * Send text as run `uuid` through the real transmission; collect datagrams.
 * Returns what finish returned. The kernel queues 10 datagrams
 * (max_dgram_qlen) before the sender has to wait for the reader thread, and
 * it waits only 10 ms (STALL_NS) for each: a test that sends more chunks
 * than that depends on the scheduler (on a loaded machine the reader thread
 * can be off the CPU for longer: 8 busy loops on its CPU made finish give up
 * in most runs). So every test but the slow-daemon one sends at most 10.
 */
static int send_text_rc(const char *uuid, const char *text)
{
	const struct transmit_ops *t = transmit_lookup("syslog");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec now = { 0, 0 };
	size_t len = strlen(text);
	pthread_t th;
	void *ctx;
	int fd;

	assert_non_null(t);
	assert_int_equal(pthread_create(&th, NULL, reader, NULL), 0);
	snprintf(run.uuid, sizeof(run.uuid), "%s", uuid);
	assert_int_equal(t->open(&ctx, &run, &now), 0);
	/* In uneven pieces, as json_out flushes its buffer. */
	for (size_t off = 0; off < len; off += 1000)
		assert_int_equal(t->flush(ctx, text + off, len - off < 1000 ? len - off : 1000), 0);
	int rc = t->finish(ctx, 1);
	strcpy(sa.sun_path, sockpath);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(sendto(fd, "END", 3, 0, (struct sockaddr *)&sa, sizeof(sa)), 3);
	close(fd);
	pthread_join(th, NULL);
	return rc;
}

static void send_text(const char *uuid, const char *text)
{
	assert_int_equal(send_text_rc(uuid, text), 0);
}

/* Forget the datagrams collected so far (a test that tries again). */
static void drop_messages(void)
{
	for (size_t i = 0; i < nmsg; i++)
		free(msg[i]);
	nmsg = 0;
}

/* A JSON-ish record of about `len` bytes, pure ASCII with blanks. */
static char *make_text(size_t len, char fill)
{
	char *s = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		s[i] = i % 17 == 0 ? ' ' : (char)(fill + i % 7);
	s[0] = '{';
	s[len - 1] = '}';
	s[len] = '\0';
	return s;
}

static void feed(struct syslog_reasm *r, size_t i, size_t lineno)
{
	assert_int_equal(syslog_reasm_line(r, msg[i], strlen(msg[i]), "log", lineno), 0);
}

static void test_crc32_check_value(void **state)
{
	(void)state;
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
	/* Continued: the same as in one go. */
	assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(crc32_update(0, "", 0), 0);
}

static void test_message_shape(void **state)
{
	char *text = make_text(600, 'a');

	(void)state;
	send_text(UUID_A, text);
	assert_int_equal(nmsg, 3);      /* 256 + 256 + 88 */
	for (size_t i = 0; i < nmsg; i++) {
		const char *m = strchr(msg[i], '<');
		assert_non_null(m);
		assert_memory_equal(m, "<14>xalt[", 9);
		assert_non_null(strstr(m, "]: " SYSLOG_MARKER " " UUID_A " "));
		assert_true(strlen(m) < 256 + SYSLOG_HEADER_MAX);
		for (const char *p = m; *p; p++)
			assert_true(*p >= ' ' && *p < 127);
	}
	free(text);
}

static void test_in_order(void **state)
{
	char *text = make_text(2500, 'a');
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);

	(void)state;
	send_text(UUID_A, text);
	assert_int_equal(nmsg, 10);
	for (size_t i = 0; i < nmsg; i++)
		feed(r, i, i + 1);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 1);
	assert_string_equal(got_uuid[0], UUID_A);
	assert_string_equal(got_text[0], text);
	assert_int_equal(nlost, 0);
	assert_int_equal(syslog_reasm_stats(r)->complete, 1);
	assert_int_equal(syslog_reasm_stats(r)->chunks, 10);
	syslog_reasm_free(r);
	free(text);
}

/* Two runs from two hosts, interleaved, reversed, every chunk twice. */
static void test_interleaved_reversed_duplicated(void **state)
{
	char *a = make_text(2500, 'a'), *b = make_text(2000, 'k');
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);
	size_t na;

	(void)state;
	send_text(UUID_A, a);
	na = nmsg;
	send_text(UUID_B, b);
	assert_int_equal(na, 10);
	assert_int_equal(nmsg - na, 8);
	/* A's and B's chunks alternate, each run's last chunk first; twice. */
	for (size_t k = 0; k < 2; k++) {
		size_t ia = na, ib = nmsg;
		while (ia > 0 || ib > na) {
			if (ia > 0)
				{ ia--; feed(r, ia, ia + 1); }
			if (ib > na)
				{ ib--; feed(r, ib, ib + 1); }
		}
	}
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 2);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(got_text[i], !strcmp(got_uuid[i], UUID_A) ? a : b);
	assert_int_equal(nlost, 0);
	assert_int_equal(syslog_reasm_stats(r)->chunks_duplicate, 18);
	assert_int_equal(syslog_reasm_stats(r)->complete, 2);
	syslog_reasm_free(r);
	free(a);
	free(b);
}

static void test_missing_chunk(void **state)
{
	char *text = make_text(2500, 'a');
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);

	(void)state;
	send_text(UUID_A, text);
	for (size_t i = 0; i < nmsg; i++)
		if (i != 5)
			feed(r, i, i + 1);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 0);
	assert_int_equal(nlost, 1);
	assert_int_equal(lost_have, 9);
	assert_int_equal(lost_count, 10);
	assert_int_equal(lost_corrupt, 0);
	assert_int_equal(syslog_reasm_stats(r)->incomplete, 1);
	assert_int_equal(syslog_reasm_stats(r)->corrupt, 0);
	syslog_reasm_free(r);
	free(text);
}

/* A damaged byte fails its chunk's CRC; a clean copy later still completes. */
static void test_corrupt_chunk(void **state)
{
	char *text = make_text(2500, 'a');
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);
	char *bad;

	(void)state;
	send_text(UUID_A, text);
	bad = strdup(msg[3]);
	bad[strlen(bad) - 10] ^= 0x01;
	assert_int_equal(syslog_reasm_line(r, bad, strlen(bad), "log", 99), 0);
	for (size_t i = 0; i < nmsg; i++)
		if (i != 3)
			feed(r, i, i + 1);
	assert_int_equal(syslog_reasm_stats(r)->chunks_corrupt, 1);
	assert_int_equal(ngot, 0);
	feed(r, 3, 4);                  /* the clean copy, e.g. from a second log */
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 1);
	assert_string_equal(got_text[0], text);
	assert_int_equal(nlost, 0);
	syslog_reasm_free(r);

	/* Without the clean copy: reported corrupt, not incomplete, not loaded. */
	r = syslog_reasm_new(on_record, NULL);
	ngot = 0;
	free(got_text[0]);
	assert_int_equal(syslog_reasm_line(r, bad, strlen(bad), "log", 99), 0);
	for (size_t i = 0; i < nmsg; i++)
		if (i != 3)
			feed(r, i, i + 1);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 0);
	assert_int_equal(nlost, 1);
	assert_int_equal(lost_corrupt, 1);
	assert_int_equal(syslog_reasm_stats(r)->corrupt, 1);
	assert_int_equal(syslog_reasm_stats(r)->incomplete, 0);
	syslog_reasm_free(r);
	free(bad);
	free(text);
}

/* Two chunks that swapped places (headers edited, chunk CRCs still fine): the
 * record's CRC catches it. A truncated line fails its chunk CRC. */
static void test_swapped_and_truncated(void **state)
{
	char *text = make_text(1024, 'a');
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);
	char *m0, *m1, *p;

	(void)state;
	send_text(UUID_A, text);
	assert_int_equal(nmsg, 4);
	m0 = strdup(msg[0]);
	m1 = strdup(msg[1]);
	p = strstr(m0, UUID_A " 0 4 ");
	p[37] = '1';
	p = strstr(m1, UUID_A " 1 4 ");
	p[37] = '0';
	assert_int_equal(syslog_reasm_line(r, m0, strlen(m0), "log", 1), 0);
	assert_int_equal(syslog_reasm_line(r, m1, strlen(m1), "log", 2), 0);
	feed(r, 2, 3);
	feed(r, 3, 4);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 0);
	assert_int_equal(syslog_reasm_stats(r)->corrupt, 1);
	assert_int_equal(nlost, 1);
	assert_int_equal(lost_corrupt, 1);
	syslog_reasm_free(r);

	r = syslog_reasm_new(on_record, NULL);
	msg[3][strlen(msg[3]) - 5] = '\0';
	for (size_t i = 0; i < nmsg; i++)
		feed(r, i, i + 1);
	syslog_reasm_finish(r, NULL, NULL);
	assert_int_equal(ngot, 0);
	assert_int_equal(syslog_reasm_stats(r)->chunks_corrupt, 1);
	assert_int_equal(syslog_reasm_stats(r)->corrupt, 1);
	syslog_reasm_free(r);
	free(m0);
	free(m1);
	free(text);
}

/* Issue 12: a forged first chunk claiming a real run's uuid (anyone can log)
 * makes a run of its own, keyed by its record CRC; the real run, all of
 * whose chunks then arrive, still completes. Keyed by uuid alone, every real
 * chunk was dropped as conflicting and the run was lost. */
static void test_forged_first_chunk(void **state)
{
	char *real = make_text(2500, 'a'), *forged = make_text(600, 'z'), *f0;
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);
	size_t nf;

	(void)state;
	send_text(UUID_A, forged);
	nf = nmsg;
	send_text(UUID_A, real);
	assert_int_equal(nf, 3);
	f0 = msg[0];
	assert_int_equal(syslog_reasm_line(r, f0, strlen(f0), "evil-log", 1), 0);
	for (size_t i = nf; i < nmsg; i++)
		feed(r, i, i + 1);
	assert_int_equal(ngot, 1);
	assert_string_equal(got_uuid[0], UUID_A);
	assert_string_equal(got_text[0], real);
	assert_int_equal(syslog_reasm_stats(r)->chunks_conflict, 0);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(nlost, 1);              /* the forgery: 1 of its 3 chunks */
	assert_int_equal(lost_have, 1);
	assert_int_equal(lost_count, 3);
	assert_int_equal(syslog_reasm_stats(r)->complete, 1);
	assert_int_equal(syslog_reasm_stats(r)->incomplete, 1);
	syslog_reasm_free(r);
	free(real);
	free(forged);
}

static void test_malformed_and_foreign_lines(void **state)
{
	static const char *const lines[] = {
		"Nov 25 host sshd[1]: Accepted publickey for alice",
		"",
		"XALTCHUNK1",
		"XALTCHUNK1 ",
		"x XALTCHUNK1 0A4C3E52-7A9E-4F0B-9A53-6A1F2DE0C1B7 0 1 00000000 00000000 1 {",
		"x XALTCHUNK1 " UUID_A " 1 1 00000000 00000000 1 {",       /* idx >= count */
		"x XALTCHUNK1 " UUID_A " 0 0 00000000 00000000 1 {",       /* count 0 */
		"x XALTCHUNK1 " UUID_A " 0 1 0000000g 00000000 1 {",       /* bad hex */
		"x XALTCHUNK1 " UUID_A " 0 1 00000000 00000000 1 ",        /* no payload */
		"x XALTCHUNK1 " UUID_A " 0 2 00000000 00000000 1 {",       /* more chunks than bytes */
		"x XALTCHUNK1 " UUID_A " 99999999999 1 00000000 00000000 1 {",
		"x XALTCHUNK1 " UUID_A " -1 1 00000000 00000000 1 {",
	};
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(syslog_reasm_line(r, lines[i], strlen(lines[i]), "log", i + 1), 0);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(syslog_reasm_stats(r)->lines, 12);
	assert_int_equal(syslog_reasm_stats(r)->chunks, 9);     /* the bare marker is no chunk */
	assert_int_equal(syslog_reasm_stats(r)->chunks_malformed, 9);
	assert_int_equal(ngot, 0);
	assert_int_equal(nlost, 0);
	syslog_reasm_free(r);
}

static int stop_record(void *ctx, const char *uuid, const char *text, size_t len, const char *origin)
{
	(void)ctx; (void)uuid; (void)text; (void)len; (void)origin;
	return -1;
}

static void test_callback_stops(void **state)
{
	char *text = make_text(300, 'a');
	struct syslog_reasm *r = syslog_reasm_new(stop_record, NULL);

	(void)state;
	send_text(UUID_A, text);
	assert_int_equal(nmsg, 2);
	feed(r, 0, 1);
	assert_int_equal(syslog_reasm_line(r, msg[1], strlen(msg[1]), "log", 2), -1);
	syslog_reasm_free(r);
	free(text);
}

/*
 * Nobody reads the socket: the sender gives up within its EAGAIN budget.
 * Scheduling delays only ever add to the time measured, so the best of three
 * tries is the cost of the budget itself: a budget over 100 ms fails all
 * three, a machine busy for 90 ms once does not fail the test.
 */
static void test_stalled_daemon(void **state)
{
	const struct transmit_ops *t = transmit_lookup("syslog");
	char *text = make_text(200 * 1000, 'a');
	struct timespec t0, t1, now = { 0, 0 };
	void *ctx;
	double ms, best = 1e9;

	(void)state;
	snprintf(run.uuid, sizeof(run.uuid), "%s", UUID_A);
	for (int try = 0; try < 3 && best >= 100.0; try++) {
		char buf[SYSLOG_HEADER_MAX + 65536];

		while (recv(rfd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			;                           /* empty the queue of the last try */
		assert_int_equal(t->open(&ctx, &run, &now), 0);
		assert_int_equal(t->flush(ctx, text, strlen(text)), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(t->finish(ctx, 1), -1);
		assert_true(errno == EAGAIN || errno == ENOBUFS);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		print_message("# stalled daemon: gave up after %.1f ms\n", ms);
		if (ms < best)
			best = ms;
	}
	assert_true(best < 100.0);     /* budget 10 ms plus scheduling noise */
	free(text);
}

/*
 * A daemon slower than the sender (1 ms a message, the queue holds 10) but
 * never stopped: every chunk gets through, the stall clock restarting on
 * each progress. The sender waits about 30 ms in all, three times its 10 ms
 * stall budget, so a stall clock that did not restart fails every try; but
 * the reader thread must be back on a CPU within 10 ms each time, which a
 * loaded machine does not always grant: up to three tries.
 */
static void test_slow_daemon(void **state)
{
	char *text = make_text(40 * 256, 'a');
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);
	int rc = -1;

	(void)state;
	reader_delay_us = 1000;
	for (int try = 0; try < 3 && rc != 0; try++) {
		drop_messages();
		rc = send_text_rc(UUID_A, text);
		if (rc != 0)
			print_message("# slow daemon: try %d gave up after %zu messages\n", try + 1, nmsg);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(nmsg, 40);
	for (size_t i = 0; i < nmsg; i++)
		feed(r, i, i + 1);
	syslog_reasm_finish(r, on_lost, NULL);
	assert_int_equal(ngot, 1);
	assert_string_equal(got_text[0], text);
	syslog_reasm_free(r);
	free(text);
}

static void test_no_daemon(void **state)
{
	const struct transmit_ops *t = transmit_lookup("syslog");
	struct timespec now = { 0, 0 };
	void *ctx;

	(void)state;
	run.cfg.syslog_socket = "/nonexistent/xalt-test.sock";
	assert_int_equal(t->open(&ctx, &run, &now), -1);
	assert_int_equal(t->finish(ctx, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_check_value),
		cmocka_unit_test_setup_teardown(test_message_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interleaved_reversed_duplicated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_and_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_first_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_foreign_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_daemon, setup, teardown),
	};

	return cmocka_run_group_tests_name("syslog-reassemble", tests, NULL, NULL);
}
