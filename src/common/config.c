/*
 * The site-config parser (format: docs/config.md; types: config.h).
 *
 * It runs inside every tracked program at start, so: libc only, no malloc,
 * no stdio. It works in place on the caller's copy of the file, cutting each
 * line into NUL-terminated words that struct xalt_config points to. Errors
 * carry the line number and parsing goes on, so `xalt config check` reports
 * all of them at once; the preload library passes no error callback and turns
 * tracking off when the count is not zero.
 *
 * Sections: reading the file, defaults, the words of enum values, small
 * helpers, one function per line kind (setting, pattern, sample), the line
 * loop.
 */
#include "config.h"
#include "sys.h"
#include "filter.h"
#include "syslog-format.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- reading the file ---------------------------------------------------- */

long config_read_file(const char *path, char *buf, size_t cap)
{
	ssize_t len, more;
	char c;
	int fd, e;

	if (cap < 2) {
		errno = EFBIG;
		return -1;
	}
	fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	len = sys_read_all(fd, buf, cap - 1);
	/* Full: one more byte means too large. */
	more = len == (ssize_t)(cap - 1) ? sys_read_all(fd, &c, 1) : 0;
	e = errno;
	sys_close(fd);
	if (len < 0 || more < 0) {
		errno = e;
		return -1;
	}
	if (more > 0) {
		errno = EFBIG;
		return -1;
	}
	buf[len] = '\0';
	return (long)len;
}

/* ---- defaults ------------------------------------------------------------- */

static struct xalt_table *table_of(struct xalt_config *cfg, int k)
{
	return k == 0 ? &cfg->host : k == 1 ? &cfg->path : k == 2 ? &cfg->env : &cfg->pkg;
}

/*
 * Empty the tables and cut the pool into their slices: `count[k]` slots for
 * host, path, env, pkg (capped at CONFIG_MAX_PATTERNS), or the maximum each
 * when count is NULL. This function can't fail.
 */
static void layout(struct xalt_config *cfg, const int *count)
{
	int off = 0;

	for (int k = 0; k < 4; k++) {
		struct xalt_table *t = table_of(cfg, k);
		int c = count && count[k] < CONFIG_MAX_PATTERNS ? count[k] : CONFIG_MAX_PATTERNS;

		t->n = 0;
		t->cap = c;
		t->pat = cfg->pool + off;
		off += c;
	}
}

void config_defaults(struct xalt_config *cfg)
{
	/*
	 * Only the small fields are set: the pool is about 70 KB and clearing
	 * it would touch every page at each exec; `n` says what is valid.
	 */
	cfg->file = NULL;
	cfg->syshost = "hostname";
	cfg->transmission = "file";
	cfg->file_prefix = "~/.xalt.d";
	cfg->syslog_socket = "/dev/log";
	cfg->syslog_tag = "xalt";
	cfg->syslog_chunk = SYSLOG_CHUNK_DEFAULT;  /* message < 1 KiB: under the UDP and rsyslog limits */
	cfg->record_args = ARGS_KEEP;
	cfg->hash_users = 0;
	cfg->allow_opt_out = 1;
	cfg->sha1 = 0;
	cfg->hash_key = "";
	cfg->nsample = 0;
	cfg->progs.used = 0;
	cfg->progs.buf = cfg->progbuf;
	layout(cfg, NULL);
}

/* ---- the words of enum values ------------------------------------------------ */

/* The words of enum xalt_action and enum record_args, indexed by value. */
static const char *const action_words[] = { "SKIP", "KEEP", "PKGS" };
static const char *const args_words[] = { "keep", "drop", "hash" };

const char *config_action_word(enum xalt_action a)
{
	return (unsigned)a < 3 ? action_words[a] : "?";
}

const char *config_args_word(enum record_args a)
{
	return (unsigned)a < 3 ? args_words[a] : "?";
}

/* ---- helpers -------------------------------------------------------------- */

struct parser {
	struct xalt_config *cfg;
	const char *path;           /* for messages */
	int line;                   /* current line number */
	int errors;                 /* count so far */
	int check_regex;            /* compile regexes now */
	config_error_fn err;        /* may be NULL */
	void *ctx;
};

__attribute__((format(printf, 2, 3)))
static void perr(struct parser *ps, const char *fmt, ...)
{
	ps->errors++;
	if (ps->err) {
		char msg[512];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		ps->err(ps->ctx, ps->path, ps->line, msg);
	}
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * The table a line's first word names: 0 host, 1 path, 2 env, 3 pkg (the
 * order of table_of), -1 none. Words of known length compare with memcmp,
 * which the compiler inlines: every line of the file passes here at every
 * exec, SKIP'd ones included.
 */
static int table_keyword(const char *w, size_t n)
{
	if (n == 4)
		return !memcmp(w, "host", 4) ? 0 : !memcmp(w, "path", 4) ? 1 : -1;
	if (n == 3)
		return !memcmp(w, "env", 3) ? 2 : !memcmp(w, "pkg", 3) ? 3 : -1;
	return -1;
}

/* The end of the line starting at s: its '\n', or end. */
static char *line_end(const char *s, const char *end)
{
	char *nl = memchr(s, '\n', (size_t)(end - s));

	return nl ? nl : (char *)end;
}

/* Cut the next blank-separated word off *s; NULL when none is left. */
static char *next_word(char **s)
{
	char *p = *s, *w;

	while (is_space(*p))
		p++;
	if (!*p) {
		*s = p;
		return NULL;
	}
	w = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return w;
}

/* The rest of the line, without surrounding blanks; NULL when empty. */
static char *rest(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	if (!*s)
		return NULL;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	return s;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

/*
 * A plain decimal ("60", "0.0001", "1.0") without strtod: the first strtod
 * in a process costs about 6 µs (its locale and multi-precision set-up;
 * measured: a cold parse of the shipped config 17 -> 10.5 µs once strtod had
 * run), paid at every SKIP'd or tracked exec. With m < 2^53 and k <= 22, both
 * m and 10^k are exact doubles and m / 10^k is one correctly rounded
 * division: the very double strtod returns (Clinger's fast path). 0 done,
 * -1 not a plain decimal of that size: ask strtod.
 */
static int plain_decimal(const char *s, double *out)
{
	static const double p10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	uint64_t m = 0;
	int digits = 0, frac = -1;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			if (m >= ((uint64_t)1 << 53) / 10)
				return -1;
			m = m * 10 + (uint64_t)(*s - '0');
			digits++;
			if (frac >= 0 && ++frac > 22)
				return -1;
		} else if (*s == '.' && frac < 0) {
			frac = 0;
		} else {
			return -1;      /* signs, exponents, hex, "nan", junk */
		}
	}
	if (!digits)
		return -1;
	*out = (double)m / p10[frac < 0 ? 0 : frac];
	return 0;
}

/* A whole-word number; "inf" allowed when `inf_ok`. 0 ok, -1 bad. */
static int parse_num(const char *s, double *out, int inf_ok)
{
	char *end;

	if (inf_ok && !strcmp(s, "inf")) {
		*out = INFINITY;
		return 0;
	}
	if (plain_decimal(s, out) == 0)
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end || errno || !(*out == *out) || isinf(*out))
		return -1;
	return 0;
}

/* ---- one function per line kind ------------------------------------------- */

static void set_string(struct parser *ps, const char *key, const char **dst, char *val,
		       const char *const *allowed)
{
	if (allowed) {
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(*a, val);
		if (!ok) {
			perr(ps, "bad value '%s' for '%s'", val, key);
			return;
		}
	}
	*dst = val;
}

static void setting(struct parser *ps, char *key, char *val)
{
	static const char *const transmissions[] = { "file", "syslog", NULL };
	struct xalt_config *cfg = ps->cfg;
	int b;

	if (!val) {
		perr(ps, "missing value for '%s'", key);
		return;
	}
	if (!strcmp(key, "syshost")) {
		if (!strcmp(val, "hostname") || (!strncmp(val, "name:", 5) && val[5]))
			cfg->syshost = val;
		else if (!strncmp(val, "nth:", 4) && val[4] >= '1' && val[4] <= '9' &&
			 strspn(val + 4, "0123456789") == strlen(val + 4))
			cfg->syshost = val;
		else
			perr(ps, "bad value '%s' for 'syshost' (hostname, nth:N or name:STRING)", val);
	} else if (!strcmp(key, "transmission")) {
		set_string(ps, key, &cfg->transmission, val, transmissions);
	} else if (!strcmp(key, "file_prefix")) {
		if (val[0] != '/' && strncmp(val, "~/", 2))
			perr(ps, "'file_prefix' must be absolute or start with '~/': '%s'", val);
		else
			cfg->file_prefix = val;
	} else if (!strcmp(key, "syslog_socket")) {
		cfg->syslog_socket = val;
	} else if (!strcmp(key, "syslog_tag")) {
		cfg->syslog_tag = val;
	} else if (!strcmp(key, "hash_key")) {
		cfg->hash_key = val;
	} else if (!strcmp(key, "syslog_chunk")) {
		double d;
		if (parse_num(val, &d, 0) < 0 || !(d >= 256 && d <= 65536) || d != (int)d)
			perr(ps, "bad value '%s' for 'syslog_chunk' (an integer, 256 to 65536)", val);
		else
			cfg->syslog_chunk = (int)d;
	} else if (!strcmp(key, "record_args")) {
		int a = ARGS_KEEP;

		while (a <= ARGS_HASH && strcmp(val, args_words[a]))
			a++;
		if (a <= ARGS_HASH)
			cfg->record_args = (enum record_args)a;
		else
			perr(ps, "bad value '%s' for 'record_args' (keep, drop or hash)", val);
	} else if (!strcmp(key, "hash_users") || !strcmp(key, "allow_opt_out") ||
		   !strcmp(key, "sha1")) {
		if (parse_bool(val, &b) < 0) {
			perr(ps, "bad value '%s' for '%s' (yes or no)", val, key);
			return;
		}
		if (key[0] == 'h')
			cfg->hash_users = b;
		else if (key[0] == 'a')
			cfg->allow_opt_out = b;
		else
			cfg->sha1 = b;
	} else {
		perr(ps, "unknown setting '%s'", key);
	}
}

static int parse_action(const char *w, int pkgs_ok, enum xalt_action *out)
{
	for (int a = XALT_SKIP; a <= (pkgs_ok ? XALT_PKGS : XALT_KEEP); a++) {
		/* first bytes first: every path line of every exec passes here */
		if (w[0] == action_words[a][0] && !strcmp(w, action_words[a])) {
			*out = (enum xalt_action)a;
			return 0;
		}
	}
	return -1;
}

static void add_pattern(struct parser *ps, const char *table_name, struct xalt_table *t,
			enum xalt_action action, enum pattern_kind kind,
			const char *program, char *regex)
{
	struct xalt_pattern *p;

	if (!regex) {
		perr(ps, "%s: missing regular expression", table_name);
		return;
	}
	if (t->n >= t->cap) {     /* cap < the maximum only if the count was wrong */
		perr(ps, "%s: too many patterns (at most %d)", table_name, CONFIG_MAX_PATTERNS);
		return;
	}
	p = &t->pat[t->n];
	p->action = action;
	p->kind = kind;
	memset(p->program, 0, sizeof(p->program));
	memcpy(p->program, program, strlen(program));
	p->regex = regex;
	p->progs = &ps->cfg->progs;
	p->prog = 0;
	p->line = ps->line;
	p->state = 0;
	memset(&p->sc, 0, sizeof(p->sc));   /* filter.c analyses it on first use */
	if (ps->check_regex) {
		struct ere_error e;

		if (filter_pattern_check(p, &e) < 0) {
			perr(ps, "%s: bad regular expression '%s': %s (at character %zu)", table_name,
			     regex, e.msg, e.at + 1);
			return;
		}
	}
	t->n++;
}

/* A line of table t, whose keyword kw has been cut off s. */
static void pattern(struct parser *ps, struct xalt_table *t, const char *kw, char *s)
{
	struct xalt_config *cfg = ps->cfg;
	enum xalt_action action;
	enum pattern_kind kind = PATTERN_PATH;
	const char *program = "";
	char *w;
	int pkgs_ok = t == &cfg->path;

	if (t == &cfg->pkg) {
		w = next_word(&s);
		if (!w) {
			perr(ps, "pkg: expected a program (python, R or *)");
			return;
		}
		if (strlen(w) >= sizeof(t->pat[0].program)) {
			perr(ps, "pkg: program name too long: '%s'", w);
			return;
		}
		program = w;
	}
	w = next_word(&s);
	if (!w || parse_action(w, pkgs_ok, &action) < 0) {
		perr(ps, "%s: expected %s, got '%s'", kw,
		     pkgs_ok ? "KEEP, SKIP or PKGS" : "KEEP or SKIP", w ? w : "");
		return;
	}
	if (t == &cfg->pkg) {
		w = next_word(&s);
		if (w && !strcmp(w, "name"))
			kind = PATTERN_NAME;
		else if (w && !strcmp(w, "path"))
			kind = PATTERN_PATH;
		else {
			perr(ps, "pkg: expected name or path, got '%s'", w ? w : "");
			return;
		}
	}
	add_pattern(ps, kw, t, action, kind, program, rest(s));
}

static void sample(struct parser *ps, char *s)
{
	struct xalt_config *cfg = ps->cfg;
	char *a = next_word(&s), *b = next_word(&s), *c = next_word(&s);
	double lo, hi, p;

	if (!a || !b || !c || rest(s)) {
		perr(ps, "sample: expected MIN_SECONDS MAX_SECONDS|inf PROBABILITY");
		return;
	}
	if (parse_num(a, &lo, 0) < 0 || lo < 0) {
		perr(ps, "sample: bad minimum '%s'", a);
		return;
	}
	if (parse_num(b, &hi, 1) < 0) {
		perr(ps, "sample: bad maximum '%s'", b);
		return;
	}
	if (parse_num(c, &p, 0) < 0 || p < 0 || p > 1) {
		perr(ps, "sample: bad probability '%s' (0 to 1)", c);
		return;
	}
	if (!(lo < hi)) {
		perr(ps, "sample: minimum %s is not below maximum %s", a, b);
		return;
	}
	if (cfg->nsample >= CONFIG_MAX_SAMPLES) {
		perr(ps, "sample: too many rows (at most %d)", CONFIG_MAX_SAMPLES);
		return;
	}
	cfg->sample[cfg->nsample].min_s = lo;
	cfg->sample[cfg->nsample].max_s = hi;
	cfg->sample[cfg->nsample].prob = p;
	cfg->nsample++;
}

/* ---- the line loop --------------------------------------------------------- */

/* Cut a comment: '#' at the start of the line or after a blank. */
static void strip_comment(char *s)
{
	for (char *p = s; (p = strchr(p, '#')) != NULL; p++)
		if (p == s || is_space(p[-1])) {
			*p = '\0';
			return;
		}
}

static void parse_line(struct parser *ps, char *s)
{
	char *eq, *w;
	int k;

	while (is_space(*s))
		s++;
	if (!*s || *s == '#')      /* most lines of a commented config */
		return;
	strip_comment(s);
	/* "key = value" (the key is one word, the value the rest) */
	w = s;
	while (*w && !is_space(*w) && *w != '=')
		w++;
	eq = w;
	while (is_space(*eq))
		eq++;
	if (*eq == '=') {
		*w = '\0';
		if (w == s) {
			perr(ps, "missing setting name before '='");
			return;
		}
		setting(ps, s, rest(eq + 1));
		return;
	}
	w = next_word(&s);
	k = table_keyword(w, strlen(w));
	if (k >= 0)
		pattern(ps, table_of(ps->cfg, k), w, s);
	else if (!strcmp(w, "sample"))
		sample(ps, s);
	else
		perr(ps, "unknown directive '%s'", w);
}

/*
 * How many lines of text may add to each table (host, path, env, pkg): lines
 * whose first word is the table's keyword. A line parse_line reads otherwise
 * ("path = x", "# path") only makes a slice larger than needed; a table with
 * more lines than its slice is an error in add_pattern, never an overflow.
 */
static void count_lines(const char *text, const char *end, int count[4])
{
	const char *s, *w, *nl;

	count[0] = count[1] = count[2] = count[3] = 0;
	for (s = text; s < end; s = nl + 1) {
		nl = line_end(s, end);
		while (s < nl && is_space(*s))
			s++;
		for (w = s; w < nl && !is_space(*w); w++)
			;
		int k = table_keyword(s, (size_t)(w - s));
		if (k >= 0)
			count[k]++;
	}
}

int config_parse(struct xalt_config *cfg, char *text, const char *path,
		 int check_regex, config_error_fn err, void *ctx)
{
	struct parser ps = { cfg, path, 0, 0, check_regex, err, ctx };
	char *line, *nl, *end = text + strlen(text);
	int count[4];

	config_defaults(cfg);
	count_lines(text, end, count);
	layout(cfg, count);
	cfg->file = path;
	for (line = text; line < end; line = nl + 1) {
		nl = line_end(line, end);
		*nl = '\0';
		ps.line++;
		parse_line(&ps, line);
	}
	return ps.errors;
}
