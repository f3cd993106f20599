/*
 * The start note's format: writing it (the preload library, at start) and
 * reading it back (recovery, in the CLI and in the preload's exit path).
 * See start-note.h for what it holds and docs/design.md ("Spool") for the
 * layout. The reader trusts nothing: the note lies in a directory its user
 * can write, and a full tmpfs may have cut it short.
 *
 * Sections: the writer; the reader's helpers; the reader.
 */
#include "start-note.h"
#include "crc32.h"
#include "spool.h"

#include <errno.h>
#include <string.h>

/* --- the writer ------------------------------------------------------------ */

static void put_key(struct fmt *f, const char *key)
{
	fmt_str(f, key);
	fmt_char(f, ' ');
}

static void put_dec(struct fmt *f, const char *key, unsigned long long v)
{
	put_key(f, key);
	fmt_dec(f, v, 0);
	fmt_char(f, '\n');
}

static void put_str(struct fmt *f, const char *key, const char *s, size_t len)
{
	put_key(f, key);
	fmt_mem(f, s, len);
	fmt_char(f, '\n');
}

/* A file name, escaped as in spool lines so that it stays one line. */
static void put_escaped(struct fmt *f, const char *key, const char *s)
{
	char esc[2 * SPOOL_PATH_MAX + 1];
	ssize_t n = spool_escape(esc, sizeof(esc), s, strlen(s));

	if (n < 0) {
		f->overflow = 1;
		return;
	}
	put_str(f, key, esc, (size_t)n);
}

void start_note_format(struct fmt *f, const struct start_note *n)
{
	size_t body = f->len;

	fmt_str(f, START_NOTE_VERSION "\n");
	put_dec(f, "pid", (unsigned long long)n->pid);
	put_dec(f, "starttime", n->starttime);
	put_dec(f, "pidns", n->pidns);
	put_dec(f, "uid", (unsigned long long)n->uid);
	put_str(f, "uuid", n->uuid, strlen(n->uuid));
	put_key(f, "start");
	fmt_dec(f, (unsigned long long)n->start_sec, 0);
	fmt_char(f, '.');
	fmt_dec(f, (unsigned long long)n->start_nsec, 9);
	fmt_char(f, '\n');
	put_dec(f, "forced", n->forced ? 1 : 0);
	put_str(f, "track", config_action_word(n->track), strlen(config_action_word(n->track)));
	put_str(f, "program", n->program, strlen(n->program));
	put_escaped(f, "self", n->self);
	put_str(f, "transmission", n->transmission, strlen(n->transmission));
	put_escaped(f, "dest", n->dest);
	put_str(f, "head", n->head, n->head_len);
	put_str(f, "context", n->context, n->context_len);
	put_dec(f, "config", n->config_len);
	fmt_mem(f, n->config, n->config_len);
	fmt_char(f, '\n');
	if (f->overflow)
		return;
	put_key(f, "end");
	fmt_hex(f, crc32_update(0, f->buf + body, f->len - body - 4), 8);
	fmt_char(f, '\n');
}

/* --- the reader's helpers ------------------------------------------------------- */

struct cursor {
	char *p, *end;        /* what is left of the note */
};

/*
 * The next line must be "<key> <value>\n": NUL-terminate the value, return
 * it (its length in *len when len is not NULL), move past the line. NULL
 * when the line is not there or has another key.
 */
static char *take(struct cursor *c, const char *key, size_t *len)
{
	size_t k = strlen(key);
	char *nl;

	if ((size_t)(c->end - c->p) < k + 2 || memcmp(c->p, key, k) || c->p[k] != ' ')
		return NULL;
	nl = memchr(c->p + k + 1, '\n', (size_t)(c->end - c->p - (ptrdiff_t)k - 1));
	if (!nl)
		return NULL;
	*nl = '\0';
	char *v = c->p + k + 1;
	if (len)
		*len = (size_t)(nl - v);
	c->p = nl + 1;
	return v;
}

/* Plain decimal, 1..20 digits, at most max. */
static int dec(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	int n = 0;

	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= 20 || v > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (!n)
		return -1;
	*out = v;
	return 0;
}

static int take_dec(struct cursor *c, const char *key, unsigned long long max,
		    unsigned long long *out)
{
	const char *v = take(c, key, NULL);

	return v ? dec(v, max, out) : -1;
}

/* At least `min` bytes, each one of `set`. */
static int only(const char *s, size_t len, size_t min, const char *set)
{
	if (len < min)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr(set, s[i]) || !s[i])
			return 0;
	return 1;
}

/* A JSON half: one line of printable ASCII (json_out writes nothing else). */
static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

#define DIGITS "0123456789"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* --- the reader ------------------------------------------------------------------ */

/* The first lines, shared by the peek and the full reader: version, pid,
 * start time, pid namespace. 0, or -1. */
static int first_lines(struct cursor *c, struct start_note *n)
{
	unsigned long long v;
	const char *s;

	if (!(s = take(c, "xalt-start", NULL)) || strcmp(s, "1") ||
	    take_dec(c, "pid", 0x7fffffff, &v) || !v)
		return -1;
	n->pid = (pid_t)v;
	return take_dec(c, "starttime", ~0ULL, &n->starttime) ||
	       take_dec(c, "pidns", ~0ULL, &n->pidns) ? -1 : 0;
}

int start_note_peek(char *buf, size_t len, struct start_note *n)
{
	struct cursor c = { buf, buf + len };

	memset(n, 0, sizeof(*n));
	if (first_lines(&c, n) == 0)
		return 0;
	memset(n, 0, sizeof(*n));
	errno = EINVAL;
	return -1;
}

int start_note_parse(char *buf, size_t len, struct start_note *n)
{
	struct cursor c = { buf, buf + len };
	unsigned long long v, crc;
	char *s, *dot, *endline;
	size_t sl;

	memset(n, 0, sizeof(*n));
	/* The checksum first: the last line is "end <8 hex>\n", over all before it. */
	if (len < 13 || buf[len - 1] != '\n' || memcmp(buf + len - 13, "end ", 4))
		goto bad;
	endline = buf + len - 13;
	crc = 0;
	for (int i = 0; i < 8; i++) {
		char h = endline[4 + i];
		int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
		if (d < 0)
			goto bad;
		crc = crc * 16 + (unsigned)d;
	}
	if (crc32_update(0, buf, (size_t)(endline - buf)) != crc)
		goto bad;
	c.end = endline;

	if (first_lines(&c, n) || take_dec(&c, "uid", 0xfffffffe, &v))
		goto bad;
	n->uid = (uid_t)v;
	if (!(s = take(&c, "uuid", &sl)) || !only(s, sl, 1, DIGITS LOWER UPPER "-") || sl > 64)
		goto bad;
	n->uuid = s;
	if (!(s = take(&c, "start", NULL)) || !(dot = strchr(s, '.')) || strlen(dot + 1) != 9)
		goto bad;
	*dot = '\0';
	if (dec(s, 0x7fffffffffffffffULL, &v))
		goto bad;
	n->start_sec = (long long)v;
	if (dec(dot + 1, 999999999, &v))
		goto bad;
	n->start_nsec = (long)v;
	if (take_dec(&c, "forced", 1, &v))
		goto bad;
	n->forced = (int)v;
	if (!(s = take(&c, "track", NULL)))
		goto bad;
	if (!strcmp(s, "PKGS"))
		n->track = XALT_PKGS;
	else if (!strcmp(s, "KEEP"))
		n->track = XALT_KEEP;
	else
		goto bad;
	if (!(s = take(&c, "program", &sl)) || !only(s, sl, 0, DIGITS LOWER UPPER) || sl > 15)
		goto bad;
	n->program = s;
	if (!(s = take(&c, "self", &sl)))
		goto bad;
	s[spool_unescape(s, sl)] = '\0';
	n->self = s;
	if (!(s = take(&c, "transmission", &sl)) || !only(s, sl, 1, LOWER) || sl > 15)
		goto bad;
	n->transmission = s;
	if (!(s = take(&c, "dest", &sl)))
		goto bad;
	sl = spool_unescape(s, sl);
	s[sl] = '\0';
	if (strlen(s) != sl)     /* an escaped NUL cannot name a directory */
		goto bad;
	n->dest = s;
	if (!(s = take(&c, "head", &sl)) || !sl || !printable(s, sl))
		goto bad;
	n->head = s;
	n->head_len = sl;
	if (!(s = take(&c, "context", &sl)) || !printable(s, sl))
		goto bad;
	n->context = s;
	n->context_len = sl;
	if (take_dec(&c, "config", CONFIG_MAX_BYTES - 1, &v) ||
	    (unsigned long long)(c.end - c.p) != v + 1 || c.p[v] != '\n')
		goto bad;
	c.p[v] = '\0';
	n->config = c.p;
	n->config_len = (size_t)v;
	if (strlen(n->config) != n->config_len)
		goto bad;
	return 0;
bad:
	memset(n, 0, sizeof(*n));
	errno = EINVAL;
	return -1;
}
