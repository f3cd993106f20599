/*
 * Syslog transmission (docs/syslog.md): the record goes to the local syslog
 * daemon's datagram socket (config syslog_socket, default /dev/log) as
 * numbered, checksummed chunks (src/common/syslog-format.h) that rsyslog
 * forwards to the site's log host, where `xalt ingest --syslog` puts the
 * record together again.
 *
 * Why not syslog(3): it formats with vsnprintf and takes a lock (not
 * async-signal-safe, and this runs in the fatal-signal handler), calls
 * localtime (tzset reads files) and keeps an fd open in the user's process.
 * We build each RFC 3164 message ("<14>tag[pid]: text") by hand and send it
 * with one send(2) on our own AF_UNIX/SOCK_DGRAM socket, closed at the end.
 * No timestamp: imuxsock stamps local messages on receipt (IgnoreTimestamp
 * is on by default) and a hand-made one would need a month table for nothing.
 *
 * Every chunk carries the CRC-32 and length of the whole record, so the
 * record is collected first (flush appends to an anonymous mapping grown
 * with mremap: system calls only, no malloc on the exit path) and sent at
 * finish. The socket is non-blocking: EAGAIN/ENOBUFS (the daemon is behind;
 * Linux queues only net.unix.max_dgram_qlen = 10 datagrams per socket) is
 * retried after a 100 us sleep. We give up when the daemon took nothing for
 * STALL_NS (it is stopped or gone), or after TOTAL_WAIT_NS of waiting for the
 * whole record (it is alive but starved, e.g. a node running 200 Pythons at
 * once: t4000 lost 48-chunk records there with a flat 10 ms budget). So a
 * dead daemon costs an exit at most ~10 ms, a slow one at most ~100 ms, and
 * the record (reported incomplete by the reassembler), never a hang.
 */
#include "crc32.h"
#include "fmt.h"
#include "paths.h"
#include "run.h"
#include "sys.h"
#include "syslog-format.h"
#include "transmit.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STALL_NS      (10 * 1000 * 1000L)   /* no datagram taken for this long: give up */
#define TOTAL_WAIT_NS (100 * 1000 * 1000L)  /* the most waiting one record may cost */
#define TAG_MAX      32           /* RFC 3164: the tag is at most 32 characters */

static struct syslog_state {
	int fd;                       /* connected datagram socket, -1 when closed */
	char *rec;                    /* the record so far (anonymous mapping) */
	size_t len, cap;              /* bytes in rec, bytes mapped */
	size_t chunk;                 /* payload bytes per message */
	char prefix[64];              /* "<14>tag[pid]: " */
	size_t prefix_len;
	char uuid[40];
	struct timespec stall_end;    /* give up if still blocked then (reset by progress) */
	struct timespec total_end;    /* give up then in any case (set at the first wait) */
	int waiting;                  /* stall_end is set (since the last progress) */
	int waited;                   /* total_end is set */
	char msg[SYSLOG_HEADER_MAX + 65536];   /* one message (syslog_chunk <= 65536) */
} st;
/*
 * No initializer: with one, these 66 KB would sit in .data, between the
 * page the loader's relocations write and the page where .bss begins, which
 * costs every exec one more copy-on-write fault (bench/RESULTS.md, "SKIP
 * path"). syslog_open sets every field before use.
 */

/* "<14>tag[pid]: ": facility user (1), severity info (6). Tag: printable
 * ASCII up to the first blank, ':' or '[', cut at TAG_MAX. */
static void make_prefix(struct syslog_state *s, const char *tag)
{
	struct fmt f;
	size_t n = 0;

	fmt_init(&f, s->prefix, sizeof(s->prefix));
	fmt_str(&f, "<14>");
	while (tag && tag[n] > ' ' && tag[n] < 127 && tag[n] != ':' && tag[n] != '[' && n < TAG_MAX)
		n++;
	if (n)
		fmt_mem(&f, tag, n);
	else
		fmt_str(&f, "xalt");
	fmt_char(&f, '[');
	fmt_dec(&f, (unsigned long long)getpid(), 0);
	fmt_str(&f, "]: ");
	s->prefix_len = (size_t)fmt_end(&f);   /* fits: 4 + 32 + 2 + 20 + 3 < 64 */
}

static int syslog_open(void **ctx, const struct xalt_run *r, const struct timespec *end_rt)
{
	(void)end_rt;
	*ctx = &st;
	st.fd = -1;
	st.len = 0;
	st.waiting = st.waited = 0;
	st.chunk = r->cfg.syslog_chunk > 0 ? (size_t)r->cfg.syslog_chunk : SYSLOG_CHUNK_DEFAULT;
	if (st.chunk > sizeof(st.msg) - SYSLOG_HEADER_MAX)
		st.chunk = sizeof(st.msg) - SYSLOG_HEADER_MAX;
	memcpy(st.uuid, r->uuid, sizeof(st.uuid));
	make_prefix(&st, r->cfg.syslog_tag);
	st.fd = paths_syslog_connect(r->cfg.syslog_socket);
	return st.fd < 0 ? -1 : 0;
}

static int syslog_flush(void *ctx, const char *data, size_t len)
{
	struct syslog_state *s = ctx;

	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 64 * 1024;
		void *p;

		while (cap < s->len + len)
			cap *= 2;
		if (s->rec)
			p = mremap(s->rec, s->cap, cap, MREMAP_MAYMOVE);
		else
			p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		s->rec = p;
		s->cap = cap;
	}
	memcpy(s->rec + s->len, data, len);
	s->len += len;
	return 0;
}

static void deadline(struct timespec *t, const struct timespec *now, long ns)
{
	*t = *now;
	t->tv_nsec += ns % 1000000000L;
	t->tv_sec += ns / 1000000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int passed(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* 1 once waiting must stop (see the top); the first calls start the clocks.
 * clock_gettime is async-signal-safe. */
static int past_budget(struct syslog_state *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!s->waited) {
		s->waited = 1;
		deadline(&s->total_end, &now, TOTAL_WAIT_NS);
	}
	if (!s->waiting) {
		s->waiting = 1;
		deadline(&s->stall_end, &now, STALL_NS);
		return 0;
	}
	return passed(&now, &s->stall_end) || passed(&now, &s->total_end);
}

/* One datagram, retried on EINTR and (within the budget) EAGAIN/ENOBUFS. */
static int send_one(struct syslog_state *s, const char *m, size_t len)
{
	static const struct timespec pause = { 0, 100 * 1000 };

	for (;;) {
		ssize_t n = send(s->fd, m, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n == (ssize_t)len) {
			s->waiting = 0;   /* progress: the stall clock starts again */
			return 0;
		}
		if (n >= 0) {         /* a datagram is all or nothing: cannot happen */
			errno = EMSGSIZE;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			return -1;
		if (past_budget(s)) {
			errno = EAGAIN;
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

/* Cut the record into chunks and send them in order. 0 or -1. */
static int send_record(struct syslog_state *s)
{
	uint32_t rcrc = crc32_update(0, s->rec, s->len);
	size_t count = (s->len + s->chunk - 1) / s->chunk;

	if (!count || count > SYSLOG_CHUNKS_MAX) {
		errno = EFBIG;
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const char *piece = s->rec + i * s->chunk;
		size_t plen = i + 1 < count ? s->chunk : s->len - i * s->chunk;
		struct fmt f;

		/* fits: msg has SYSLOG_HEADER_MAX bytes more than the largest chunk */
		fmt_init(&f, s->msg, sizeof(s->msg));
		fmt_mem(&f, s->prefix, s->prefix_len);
		fmt_str(&f, SYSLOG_MARKER " ");
		fmt_str(&f, s->uuid);
		fmt_char(&f, ' ');
		fmt_dec(&f, i, 0);
		fmt_char(&f, ' ');
		fmt_dec(&f, count, 0);
		fmt_char(&f, ' ');
		fmt_hex(&f, crc32_update(0, piece, plen), 8);
		fmt_char(&f, ' ');
		fmt_hex(&f, rcrc, 8);
		fmt_char(&f, ' ');
		fmt_dec(&f, s->len, 0);
		fmt_char(&f, ' ');
		fmt_mem(&f, piece, plen);
		if (fmt_end(&f) < 0 || send_one(s, s->msg, f.len) < 0)
			return -1;
	}
	return 0;
}

static int syslog_finish(void *ctx, int ok)
{
	struct syslog_state *s = ctx;
	int rc = -1, e = 0;

	if (s->fd >= 0 && ok && s->len)
		rc = send_record(s);
	e = errno;
	if (s->fd >= 0)
		sys_close(s->fd);
	s->fd = -1;
	if (s->rec)
		munmap(s->rec, s->cap);
	s->rec = NULL;
	s->len = s->cap = 0;
	errno = e;
	return rc;
}

const struct transmit_ops transmit_syslog_ops = {
	"syslog", syslog_open, syslog_flush, syslog_finish,
};
