/*
 * Reading a run's spool back (spool-read.h): the `pkgs` file is read in
 * chunks into a static buffer, split into lines, unescaped in place, and
 * each kept line merged into a fixed table. Nothing here allocates or locks,
 * so the preload library's exit and fatal-signal paths may call it even
 * when the signal came from inside malloc; the filters' matcher (ere.h)
 * allocates nothing either.
 *
 * Sections: storage / lines and fields / the merge / reading / the record.
 */
#include "spool-read.h"

#include "filter.h"
#include "fnv.h"
#include "spool.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

/* --- storage ---------------------------------------------------------------- */

#define SLOTS (2 * SPOOL_READ_PKGS_MAX)   /* hash slots: a table at most half full */
#define ARENA_BYTES (1 << 20)             /* strings of the kept packages (~250 B each) */
#define LINE_MAX_BYTES (256 << 10)        /* the read buffer: a longer line is skipped */
#define FIELDS_MAX 10                     /* one more than the longest line kind */

static struct spool_pkg pkgs[SPOOL_READ_PKGS_MAX];
static uint16_t slots[SLOTS];             /* index + 1; 0 empty */
static char arena[ARENA_BYTES];
static size_t arena_used;
static char rbuf[LINE_MAX_BYTES];         /* static: the signal path has a small stack */

/* A NUL-terminated copy of s in the arena, or NULL when it is full. */
static const char *keep_str(const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > sizeof(arena) - arena_used)
		return NULL;
	memcpy(arena + arena_used, s, n);
	arena_used += n;
	return arena + arena_used - n;
}

/* --- lines and fields --------------------------------------------------------- */

/* Split [l, l+n) at TABs into at most max fields, unescape, NUL-terminate. */
static int fields(char *l, size_t n, char **f, int max)
{
	int k = 0;
	char *s = l, *end = l + n;

	while (k < max) {
		char *t = memchr(s, '\t', (size_t)(end - s));
		size_t len = t ? (size_t)(t - s) : (size_t)(end - s);

		len = spool_unescape(s, len);
		s[len] = '\0';        /* within the field's old extent or on its TAB/LF */
		f[k++] = s;
		if (!t)
			break;
		s = t + 1;
	}
	return k;
}

/* A decimal count of at most 16 digits into *out: 1, or 0 when s is not one. */
static int parse_count(const char *s, long long *out)
{
	long long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000000000LL)
			return 0;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 1;
}

/* "1" 1, "0" 0, "" -1 (unknown); anything else -2 (a malformed line). */
static int parse_flag(const char *s)
{
	if (!*s)
		return -1;
	if (s[1])
		return -2;
	return *s == '1' ? 1 : *s == '0' ? 0 : -2;
}

/* --- the merge ------------------------------------------------------------------ */

struct reader {
	struct spool_read *out;
	struct xalt_config *cfg;
};

/* The slot hash of (program, name): 0xff between them, a byte no UTF-8 has. */
static uint64_t hash2(const char *a, const char *b)
{
	return fnv64_str(fnv64_mem(fnv64_str(FNV64_BASIS, a), "\xff", 1), b);
}

/*
 * The entry of (program, name): the existing one, else a new unlisted one
 * with both names copied (create set), else NULL (not there, or no room).
 */
static struct spool_pkg *lookup(struct spool_read *s, const char *program, const char *name,
				int create)
{
	size_t h = (size_t)hash2(program, name) & (SLOTS - 1);
	struct spool_pkg *p;

	for (; slots[h]; h = (h + 1) & (SLOTS - 1)) {
		p = &pkgs[slots[h] - 1];
		if (!strcmp(p->program, program) && !strcmp(p->name, name))
			return p;
	}
	if (!create || s->n >= SPOOL_READ_PKGS_MAX)
		return NULL;
	p = &pkgs[s->n];
	*p = (struct spool_pkg){ .version = "", .path = "", .imported_by = "",
				 .direct = -1, .startup = -1 };
	p->program = keep_str(program);
	p->name = keep_str(name);
	if (!p->program || !p->name)
		return NULL;
	slots[h] = (uint16_t)(++s->n);
	return p;
}

/*
 * A P line (6 or 9 fields): program name version path import_us
 * [direct imported_by startup]. The first line kept for a package gives its
 * version, path and startup; import times add up; direct is true once any
 * line says so; imported_by is the first non-empty one.
 */
static void take_p(struct reader *rd, char **f, int k)
{
	struct spool_read *s = rd->out;
	struct spool_pkg *p;
	long long us = 0;
	int has_us = parse_count(f[5], &us);
	int direct = k == 9 ? parse_flag(f[6]) : -1, startup = k == 9 ? parse_flag(f[8]) : -1;

	if (!f[1][0] || !f[2][0] || direct == -2 || startup == -2 || (f[5][0] && !has_us))
		return;
	if (!filter_pkg(rd->cfg, f[1], f[2], f[4]))
		return;
	p = lookup(s, f[1], f[2], 1);
	if (!p) {
		s->dropped++;
		return;
	}
	if (!p->listed) {
		const char *v = keep_str(f[3]), *path = keep_str(f[4]);

		if (!v || !path) {
			s->dropped++;
			return;
		}
		p->version = v;
		p->path = path;
		p->startup = (signed char)startup;
		p->listed = 1;
	}
	p->import_us += us;
	p->has_us |= (signed char)has_us;
	if (direct == 1 || (direct == 0 && p->direct == -1))
		p->direct = (signed char)direct;
	if (k == 9 && f[7][0] && !p->imported_by[0]) {
		const char *by = keep_str(f[7]);

		if (by)
			p->imported_by = by;
	}
}

/* A U line: program name functions_used. Its package's code ran. */
static void take_u(struct reader *rd, char **f)
{
	struct spool_pkg *p;
	long long fu = 0;

	if (!f[1][0] || !f[2][0] || (f[3][0] && !parse_count(f[3], &fu)))
		return;
	p = lookup(rd->out, f[1], f[2], 1);
	if (!p)
		return;
	p->used = 1;
	if (fu > p->functions_used)
		p->functions_used = (long)fu;
}

/* An M line: program "on". This program tracks usage. */
static void take_m(struct reader *rd, char **f)
{
	struct spool_read *s = rd->out;
	const char *prog;

	if (!f[1][0] || strcmp(f[2], "on") || spool_read_monitored(s, f[1]) ||
	    s->nmonitored >= SPOOL_READ_PROGS_MAX || !(prog = keep_str(f[1])))
		return;
	s->monitored[s->nmonitored++] = prog;
}

/* The first I line: program version kind prefix. */
static void take_i(struct reader *rd, char **f)
{
	struct spool_interp *in = &rd->out->interp;
	const char *v[4];

	if (in->known)
		return;
	for (int i = 0; i < 4; i++)
		if (!(v[i] = keep_str(f[i + 1])))
			return;
	*in = (struct spool_interp){ 1, v[0], v[1], v[2], v[3] };
}

/* One whole line without its LF. Exact field counts: a half line cut by a
 * full spool and joined to the next one has another count, and is dropped. */
static void take_line(struct reader *rd, char *l, size_t n)
{
	char *f[FIELDS_MAX];
	int k = fields(l, n, f, FIELDS_MAX);

	if (f[0][0] == '\0' || f[0][1] != '\0')
		return;
	switch (f[0][0]) {
	case 'P':
		if (k == 6 || k == 9)
			take_p(rd, f, k);
		break;
	case 'U':
		if (k == 4)
			take_u(rd, f);
		break;
	case 'M':
		if (k == 3)
			take_m(rd, f);
		break;
	case 'I':
		if (k == 5)
			take_i(rd, f);
		break;
	}
}

/* --- reading ---------------------------------------------------------------------- */

int spool_read_monitored(const struct spool_read *s, const char *program)
{
	for (int i = 0; i < s->nmonitored; i++)
		if (!strcmp(s->monitored[i], program))
			return 1;
	return 0;
}

int spool_read(const char *dir, struct xalt_config *cfg, struct spool_read *out)
{
	static char path[SPOOL_PATH_MAX + 16];
	struct reader rd = { out, cfg };
	struct stat st = { 0 };
	size_t dl = strlen(dir), have = 0, total = 0;
	int fd, skipping = 0, err = 0;

	memset(out, 0, sizeof(*out));
	out->pkgs = pkgs;
	memset(slots, 0, sizeof(slots));
	arena_used = 0;
	if (!dl || dl + sizeof(SPOOL_PKGS_FILE) + 1 > sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, SPOOL_PKGS_FILE, sizeof(SPOOL_PKGS_FILE));
	fd = sys_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (sys_fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = errno ? errno : EINVAL;
		if (!S_ISREG(st.st_mode))
			err = EINVAL;
		sys_close(fd);
		errno = err;
		return -1;
	}
	for (;;) {
		size_t want = sizeof(rbuf) - have, start = 0;
		ssize_t got;

		if (want > (size_t)SPOOL_READ_MAX_BYTES - total)
			want = (size_t)SPOOL_READ_MAX_BYTES - total;
		got = want ? sys_read_all(fd, rbuf + have, want) : 0;
		if (got < 0) {
			err = errno;
			break;
		}
		total += (size_t)got;
		have += (size_t)got;
		for (char *nl; (nl = memchr(rbuf + start, '\n', have - start)); ) {
			if (!skipping)
				take_line(&rd, rbuf + start, (size_t)(nl - rbuf) - start);
			skipping = 0;
			start = (size_t)(nl - rbuf) + 1;
		}
		memmove(rbuf, rbuf + start, have - start);
		have -= start;
		if (have == sizeof(rbuf)) {   /* a line longer than the buffer */
			skipping = 1;
			have = 0;
		}
		if ((size_t)got < want || !want)
			break;                /* EOF: an unfinished last line is not a record */
	}
	sys_close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* --- the record ------------------------------------------------------------------- */

static void out_opt_string(struct json_out *j, const char *key, const char *s)
{
	if (*s)
		json_out_string(j, key, s);
	else
		json_out_null(j, key);
}

static void out_flag(struct json_out *j, const char *key, int v)
{
	if (v < 0)
		json_out_null(j, key);
	else
		json_out_bool(j, key, v);
}

void spool_read_json(struct json_out *j, const struct spool_read *s)
{
	if (s && s->interp.known) {
		json_out_begin_object(j, "interpreter");
		json_out_string(j, "program", s->interp.program);
		out_opt_string(j, "version", s->interp.version);
		out_opt_string(j, "kind", s->interp.kind);
		out_opt_string(j, "prefix", s->interp.prefix);
		json_out_end_object(j);
	}
	json_out_begin_array(j, "packages");
	for (size_t i = 0; s && i < s->n; i++) {
		const struct spool_pkg *p = &s->pkgs[i];
		int mon;

		if (!p->listed)
			continue;
		mon = p->used || spool_read_monitored(s, p->program);
		json_out_begin_object(j, NULL);
		json_out_string(j, "program", p->program);
		json_out_string(j, "name", p->name);
		out_opt_string(j, "version", p->version);
		out_opt_string(j, "path", p->path);
		if (p->has_us)
			json_out_double(j, "import_time", (double)p->import_us / 1e6, 6);
		else
			json_out_null(j, "import_time");
		out_flag(j, "direct", p->direct);
		out_opt_string(j, "imported_by", p->direct == 1 ? "" : p->imported_by);
		out_flag(j, "startup", p->startup);
		out_flag(j, "used", mon ? p->used : -1);
		if (mon)
			json_out_int(j, "functions_used", p->functions_used);
		else
			json_out_null(j, "functions_used");
		json_out_end_object(j);
	}
	json_out_end_array(j);
	if (s && s->dropped)
		json_out_int(j, "packages_dropped", s->dropped);
}
