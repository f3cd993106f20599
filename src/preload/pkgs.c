/*
 * The packages of a PKGS run, read back from its spool at exit (line format:
 * docs/design.md, "Spool line format") and written into the record.
 *
 * The spool file is mapped privately (copy-on-write), so fields are unescaped
 * and NUL-terminated in place without touching the file or allocating. Each
 * `P` line passes the site's package filters (filter_pkg, the one
 * implementation) and is merged per (program, name): the first version and
 * path seen win, import times add up. The first `I` line gives the
 * interpreter. Unknown kinds and malformed lines are skipped.
 *
 * The pkg table's regexes were compiled at start (start.c) and the matcher
 * (ere.h) never allocates or locks, so this is safe on the exit and signal
 * paths, even when the signal came from inside malloc.
 */
#include "filter.h"
#include "fnv.h"
#include "record.h"
#include "spool.h"
#include "sys.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PKGS_MAX 4096             /* distinct packages per run; more are dropped */
#define PKGS_SLOTS 8192           /* hash slots, twice PKGS_MAX */
#define SPOOL_MAX_BYTES (64L << 20)

struct pkg {
	const char *program, *name, *version, *path;
	long long us;             /* summed import time, microseconds */
	int has_us;               /* at least one line had a time */
};

static struct pkg pkgs[PKGS_MAX];
static long pkgs_dropped;            /* kept lines past PKGS_MAX, reported in the record */
static uint16_t slots[PKGS_SLOTS];   /* index + 1; 0 empty */

/* The slot hash of (program, name): 0xff between them, a byte no UTF-8 has. */
static uint64_t hash2(const char *a, const char *b)
{
	return fnv64_str(fnv64_mem(fnv64_str(FNV64_BASIS, a), "\xff", 1), b);
}

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

static int parse_us(const char *s, long long *out)
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

static int add_pkg(int n, char **f)
{
	size_t h = (size_t)hash2(f[1], f[2]) & (PKGS_SLOTS - 1);
	long long us = 0;
	int has = parse_us(f[5], &us);

	for (;;) {
		uint16_t s = slots[h];

		if (!s)
			break;
		struct pkg *p = &pkgs[s - 1];
		if (!strcmp(p->program, f[1]) && !strcmp(p->name, f[2])) {
			p->us += us;
			p->has_us |= has;
			return n;
		}
		h = (h + 1) & (PKGS_SLOTS - 1);
	}
	if (n >= PKGS_MAX) {
		pkgs_dropped++;
		return n;
	}
	pkgs[n] = (struct pkg){ f[1], f[2], f[3], f[4], us, has };
	slots[h] = (uint16_t)(n + 1);
	return n + 1;
}

static void out_opt_string(struct json_out *j, const char *key, const char *s)
{
	if (*s)
		json_out_string(j, key, s);
	else
		json_out_null(j, key);
}

void record_packages(struct json_out *j, struct xalt_run *r)
{
	static char path[SPOOL_PATH_MAX + 16];   /* static: small signal-path stack */
	char *map = MAP_FAILED, *interp[5] = { 0 };
	struct stat st;
	int fd = -1, n = 0, have_interp = 0;
	size_t dl = strlen(r->spool);

	if (r->track == XALT_PKGS && dl && dl + sizeof(SPOOL_PKGS_FILE) + 1 < sizeof(path)) {
		memcpy(path, r->spool, dl);
		path[dl] = '/';
		memcpy(path + dl + 1, SPOOL_PKGS_FILE, sizeof(SPOOL_PKGS_FILE));
		fd = sys_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	}
	if (fd >= 0 && sys_fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= SPOOL_MAX_BYTES)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (fd >= 0)
		sys_close(fd);
	if (map != MAP_FAILED) {
		memset(slots, 0, sizeof(slots));
		for (char *l = map, *end = map + st.st_size; l < end;) {
			char *nl = memchr(l, '\n', (size_t)(end - l)), *f[7];
			int k;

			if (!nl)
				break;    /* an incomplete last line is not a record */
			/* Exactly 6 (P) or 5 (I) fields: a half line cut by a full
			 * spool and joined to the next has more, and is dropped. */
			k = fields(l, (size_t)(nl - l), f, 7);
			if (k == 6 && !strcmp(f[0], "P") && f[1][0] && f[2][0]) {
				if (filter_pkg(&r->cfg, f[1], f[2], f[4]))
					n = add_pkg(n, f);
			} else if (k == 5 && !strcmp(f[0], "I") && !have_interp) {
				memcpy(interp, f, sizeof(interp));
				have_interp = 1;
			}
			l = nl + 1;
		}
	}
	if (have_interp) {
		json_out_begin_object(j, "interpreter");
		json_out_string(j, "program", interp[1]);
		out_opt_string(j, "version", interp[2]);
		out_opt_string(j, "kind", interp[3]);
		out_opt_string(j, "prefix", interp[4]);
		json_out_end_object(j);
	}
	json_out_begin_array(j, "packages");
	for (int i = 0; i < n; i++) {
		json_out_begin_object(j, NULL);
		json_out_string(j, "program", pkgs[i].program);
		json_out_string(j, "name", pkgs[i].name);
		out_opt_string(j, "version", pkgs[i].version);
		out_opt_string(j, "path", pkgs[i].path);
		if (pkgs[i].has_us)
			json_out_double(j, "import_time", (double)pkgs[i].us / 1e6, 6);
		else
			json_out_null(j, "import_time");
		json_out_end_object(j);
	}
	json_out_end_array(j);
	if (pkgs_dropped)
		json_out_int(j, "packages_dropped", pkgs_dropped);
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
}
