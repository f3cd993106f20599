/*
 * Matching strings against the site config's tables (docs/design.md, "Site
 * config"): the one implementation of the filter semantics, used by the
 * preload library (path table at every exec, pkg table at exit) and by
 * xalt_record_pkg. Hooks do not filter.
 *
 * Regexes are POSIX ERE (ere.h: no malloc, linear time, safe in the exit
 * path's signal handlers), compiled lazily, on first use, into the config's
 * progs, because even a compilation without malloc costs time at every
 * exec. Before any compilation, each pattern is read once (analyse()) for
 * what its text alone decides:
 *   - a pure literal, "^lit", "^lit$", "lit$" or "lit" (escapes such as "\."
 *     allowed), and ".*", "^.*", "^", "$": the answer, with no regex at all.
 *     The SKIP path ("^/usr/bin/" against /usr/bin/true) and the shipped env
 *     table ("^OMP_NUM_THREADS$", "^LMOD_FAMILY_", ".*") compile nothing;
 *   - otherwise, when there is no top-level '|': literals every match must
 *     contain (a run of unquantified literal characters at the top level),
 *     checked with strncmp/memmem first: a prefix after a leading '^', a
 *     suffix before a final '$', and the longest escape-free run anywhere
 *     ("/python" in "^.*\/python[0-9.]*$"). A string without them cannot
 *     match, and a tracked a.out passes the PKGS lines compiling nothing.
 * Anything the reader does not understand (a bad or unusual pattern) is left
 * to the matcher. t/unit/test-filter.c runs every case, and an exhaustive
 * set of small patterns, through both the shortcut and glibc's regexec.
 *
 * This file depends only on the plain data of config.h; it does not parse.
 */
#include "filter.h"

#include <string.h>

/* ---- reading a pattern's text ------------------------------------------------ */

/* xalt_shortcut kinds (0: not analysed yet). */
enum {
	SC_REGEX = 1,   /* the matcher decides, after the head/tail/mid literals it needs */
	SC_ALWAYS,      /* ".*", "^.*", "^", "$" and the like: every string */
	SC_PREFIX,      /* "^lit" */
	SC_EXACT,       /* "^lit$" */
	SC_SUFFIX,      /* "lit$" */
	SC_CONTAINS,    /* "lit" */
};

#define ERE_SPECIAL ".[]()*+?{}|^$\\"
#define SC_MAX_REGEX 60000   /* offsets are uint16_t: longer patterns go to the matcher */

/*
 * Raw length (1, or 2 for an escape) of the literal character at re[i], or 0
 * if re[i] is not one. Only escapes of ERE special characters count ("\\."
 * is a '.'); "\\w", "\\<", "\\1" and the like are GNU operators, not literals.
 */
static size_t literal_atom(const char *re, size_t i)
{
	if (!re[i])
		return 0;
	if (re[i] == '\\')
		return re[i + 1] && strchr(ERE_SPECIAL, re[i + 1]) ? 2 : 0;
	return strchr(ERE_SPECIAL, re[i]) ? 0 : 1;
}

/* Index just past the bracket expression at re[i] == '[', or 0 if unclosed. */
static size_t skip_bracket(const char *re, size_t i)
{
	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')       /* a leading ']' is a member */
		i++;
	while (re[i] && re[i] != ']') {
		if (re[i] == '[' && re[i + 1] && strchr(":.=", re[i + 1])) {
			char c = re[i + 1];

			for (i += 2; re[i] && !(re[i] == c && re[i + 1] == ']'); i++)
				;
			if (!re[i])
				return 0;
			i += 2;
		} else {
			i++;
		}
	}
	return re[i] ? i + 1 : 0;
}

/* Index just past the group at re[i] == '(', or 0 if unbalanced. */
static size_t skip_group(const char *re, size_t i)
{
	int depth = 0;

	while (re[i]) {
		if (re[i] == '\\') {
			if (!re[i + 1])
				return 0;
			i += 2;
			continue;
		}
		if (re[i] == '[') {
			i = skip_bracket(re, i);
			if (!i)
				return 0;
			continue;
		}
		if (re[i] == '(')
			depth++;
		else if (re[i] == ')' && --depth == 0)
			return i + 1;
		i++;
	}
	return 0;
}

/*
 * Fill sc from the pattern's text: the ERE is cut into top-level items (an
 * atom and its quantifiers). A literal atom with no quantifier extends the
 * current run of literals; anything else (., [..], (..), a mid-pattern anchor,
 * a GNU escape, a quantified literal: "ab*" may match "a") ends it. A match of
 * a top-level concatenation contains every run as consecutive characters.
 * A top-level '|', or anything unexpected, leaves kind SC_REGEX with no
 * literals: the matcher decides alone (and reports a bad pattern). Can't fail.
 */
static void analyse(const char *re, struct xalt_shortcut *sc)
{
	size_t i = 0, start, run_off = 0, run_raw = 0, run_len = 0, seg_off = 0, seg_len = 0;
	size_t last_off = 0, last_raw = 0, last_len = 0, best_off = 0, best_len = 0;
	int anchored = 0, end_anchored = 0, in_run = 0, in_seg = 0, opaque = 0, nruns = 0;

	memset(sc, 0, sizeof(*sc));
	sc->kind = SC_REGEX;
	if (strlen(re) > SC_MAX_REGEX)
		return;
	if (!strcmp(re, ".*") || !strcmp(re, "^.*") || !strcmp(re, ".*$") || !strcmp(re, "^.*$")) {
		sc->kind = SC_ALWAYS;
		return;
	}
	if (re[0] == '^')
		anchored = 1, i = 1;
	start = i;
	while (re[i]) {
		size_t a, j;
		int lit;

		if (re[i] == '$' && !re[i + 1]) {
			end_anchored = 1;
			break;
		}
		a = literal_atom(re, i);
		lit = a > 0;
		if (!lit) {
			switch (re[i]) {
			case '.': case '^': case '$':
				a = 1;
				break;
			case '[':
				j = skip_bracket(re, i);
				if (!j)
					goto give_up;
				a = j - i;
				break;
			case '(':
				j = skip_group(re, i);
				if (!j)
					goto give_up;
				a = j - i;
				break;
			case '\\':      /* \w \< \` \1 ...: one item we do not read */
				if (!re[i + 1])
					goto give_up;
				a = 2;
				break;
			default:        /* | ) ] } or a quantifier with nothing to repeat */
				goto give_up;
			}
		}
		j = i + a;
		while (re[j] == '*' || re[j] == '+' || re[j] == '?' || re[j] == '{') {
			lit = 0;        /* never take a quantified character */
			if (re[j] == '{') {
				size_t k = ++j;

				while ((re[j] >= '0' && re[j] <= '9') || re[j] == ',')
					j++;
				if (j == k || re[j] != '}')
					goto give_up;
			}
			j++;
		}
		if (lit) {
			if (!in_run)
				in_run = 1, run_off = i, run_raw = run_len = 0;
			run_raw += a;
			run_len++;
			if (a == 1) {   /* escape-free segments feed memmem */
				if (!in_seg)
					in_seg = 1, seg_off = i, seg_len = 0;
				if (++seg_len > best_len)
					best_off = seg_off, best_len = seg_len;
			} else {
				in_seg = 0;
			}
		} else {
			opaque = 1;
			in_seg = 0;
		}
		if (in_run && (!lit || !re[j] || (re[j] == '$' && !re[j + 1]))) {
			/* the run ends here (after this item, or before it if not literal) */
			nruns++;
			in_run = 0;
			last_off = run_off, last_raw = run_raw, last_len = run_len;
			if (anchored && run_off == start) {
				sc->head_raw = (uint16_t)run_raw;
				sc->head_len = (uint16_t)run_len;
			}
		}
		i = j;
	}
	if (end_anchored && nruns && last_off + last_raw == i) {
		sc->tail_off = (uint16_t)last_off;
		sc->tail_raw = (uint16_t)last_raw;
		sc->tail_len = (uint16_t)last_len;
	}
	if (!opaque && nruns <= 1) {
		/* a pure literal: the text decides everything */
		if (nruns == 0 && !anchored && !end_anchored)
			return;                 /* "": left to the matcher */
		if (nruns == 0 && !(anchored && end_anchored)) {
			sc->kind = SC_ALWAYS;   /* "^" or "$" */
			return;
		}
		if (anchored && end_anchored)
			sc->kind = SC_EXACT;    /* "^$" too: head empty */
		else if (anchored)
			sc->kind = SC_PREFIX;
		else if (end_anchored)
			sc->kind = SC_SUFFIX;
		else {
			sc->kind = SC_CONTAINS;
			sc->mid_off = (uint16_t)last_off;
			sc->mid_raw = (uint16_t)last_raw;
			sc->mid_len = (uint16_t)last_len;
		}
		return;
	}
	/* The longest escape-free run, unless head or tail already holds it. */
	if (best_len && !(sc->head_raw && best_off + best_len <= start + sc->head_raw) &&
	    !(sc->tail_raw && best_off >= sc->tail_off)) {
		sc->mid_off = (uint16_t)best_off;
		sc->mid_raw = sc->mid_len = (uint16_t)best_len;
	}
	return;
give_up:
	/* Something head or tail may not survive (a later top-level '|'):
	 * forget every literal found so far. */
	memset(sc, 0, sizeof(*sc));
	sc->kind = SC_REGEX;
}
/* Does s start with the literal written raw[0..rawlen) (escapes included)? */
static int lit_prefix(const char *s, const char *raw, size_t rawlen)
{
	for (size_t i = 0; i < rawlen; i++, s++) {
		if (raw[i] == '\\')
			i++;
		if (*s != raw[i])
			return 0;
	}
	return 1;
}

/* Does s (length slen) contain the literal raw[0..rawlen), `len` bytes decoded? */
static int lit_contains(const char *s, size_t slen, const char *raw, size_t rawlen, size_t len)
{
	if (rawlen == len)
		return memmem(s, slen, raw, len) != NULL;
	for (size_t k = 0; k + len <= slen; k++)
		if (lit_prefix(s + k, raw, rawlen))
			return 1;
	return 0;
}

/* The answer the text gives for s: 1 match, 0 no match, -1 ask the matcher. */
static int decide(const struct xalt_shortcut *sc, const char *re, const char *s)
{
	size_t slen;

	switch (sc->kind) {
	case SC_ALWAYS:
		return 1;
	case SC_PREFIX:
		return lit_prefix(s, re + 1, sc->head_raw);
	case SC_EXACT:
		return lit_prefix(s, re + 1, sc->head_raw) && s[sc->head_len] == '\0';
	case SC_SUFFIX:
		slen = strlen(s);
		return slen >= sc->tail_len &&
		       lit_prefix(s + slen - sc->tail_len, re + sc->tail_off, sc->tail_raw);
	case SC_CONTAINS:
		return lit_contains(s, strlen(s), re + sc->mid_off, sc->mid_raw, sc->mid_len);
	}
	if (sc->head_raw && !lit_prefix(s, re + 1, sc->head_raw))
		return 0;
	if (sc->tail_raw || sc->mid_raw) {
		slen = strlen(s);
		if (sc->tail_raw && (slen < sc->tail_len ||
				     !lit_prefix(s + slen - sc->tail_len, re + sc->tail_off, sc->tail_raw)))
			return 0;
		if (sc->mid_raw && !memmem(s, slen, re + sc->mid_off, sc->mid_len))
			return 0;
	}
	return -1;
}

/* Analyse p on first use. */
static void ensure_analysed(struct xalt_pattern *p)
{
	if (!p->sc.kind)
		analyse(p->regex, &p->sc);
}

/*
 * Compile p into its config's progs, once: state 1, or -1 (with *err) for a
 * pattern ere_compile rejects or that finds no room; such a pattern never
 * matches (config check reports it). The program is built in a stack
 * buffer and copied, so progs holds exactly the programs' sizes whatever
 * the order patterns are first used in: what config check fits, the
 * preload fits. No malloc: callable at exit and in signal handlers (about
 * 7 KB of stack).
 */
static int compile(struct xalt_pattern *p, struct ere_error *err)
{
	_Alignas(8) unsigned char buf[ERE_PROG_MAX];
	struct ere_error dummy;
	long n;

	if (p->state)
		return p->state;
	if (!err)
		err = &dummy;
	p->state = -1;
	if (!p->progs) {   /* no storage (a pattern built by hand): never matches */
		err->msg = "no storage for compiled patterns";
		err->at = 0;
		return -1;
	}
	n = ere_compile(buf, sizeof(buf), p->regex, err);
	if (n < 0)
		return -1;
	if ((size_t)n > CONFIG_PROG_BYTES - p->progs->used) {
		err->msg = "no room left for compiled patterns (64 KiB per config)";
		err->at = 0;
		return -1;
	}
	memcpy(p->progs->buf + p->progs->used, buf, (size_t)n);
	p->prog = (uint32_t)p->progs->used;
	p->progs->used += (size_t)n;
	return p->state = 1;
}

int filter_pattern_check(struct xalt_pattern *p, struct ere_error *err)
{
	_Alignas(8) unsigned char buf[ERE_PROG_MAX];

	ensure_analysed(p);
	if (p->sc.kind == SC_REGEX)
		return compile(p, err) < 0 ? -1 : 0;
	/* decided by its text, never compiled: still held to the dialect */
	return ere_compile(buf, sizeof(buf), p->regex, err) < 0 ? -1 : 0;
}

int filter_pattern_prepare(struct xalt_pattern *p)
{
	if (!p->regex)
		return -1;
	ensure_analysed(p);
	if (p->sc.kind != SC_REGEX)
		return 0;     /* decided by its text: never compiled */
	return compile(p, NULL) < 0 ? -1 : 0;
}

int filter_pattern_match(struct xalt_pattern *p, const char *s)
{
	int r;

	if (p->state < 0 || !p->regex)
		return 0;
	ensure_analysed(p);
	r = decide(&p->sc, p->regex, s);
	if (r >= 0)
		return r;
	if (compile(p, NULL) < 0)
		return 0;     /* a bad regex never matches (config check reports it) */
	return ere_match((const struct ere *)(p->progs->buf + p->prog), s);
}

enum xalt_action filter_table(struct xalt_table *t, const char *s, enum xalt_action dflt)
{
	for (int i = 0; i < t->n; i++)
		if (filter_pattern_match(&t->pat[i], s))
			return t->pat[i].action;
	return dflt;
}

/* Does a pkg pattern's program apply to `program`? "*" applies to all. */
static int program_applies(const struct xalt_pattern *p, const char *program)
{
	return !strcmp(p->program, "*") || !strcmp(p->program, program);
}

int filter_pkg(struct xalt_config *cfg, const char *program,
	       const char *name, const char *path)
{
	struct xalt_table *t = &cfg->pkg;

	if (!program)
		program = "";
	for (int i = 0; i < t->n; i++) {
		struct xalt_pattern *p = &t->pat[i];
		const char *s = p->kind == PATTERN_PATH ? path : name;

		if (!program_applies(p, program))
			continue;
		/* No path (a built-in) is the empty string: "^$" matches it. */
		if (filter_pattern_match(p, s ? s : ""))
			return p->action != XALT_SKIP;
	}
	return 1;
}

static void release_table(struct xalt_table *t)
{
	for (int i = 0; i < t->n; i++)
		t->pat[i].state = 0;
}

void filter_release(struct xalt_config *cfg)
{
	release_table(&cfg->host);
	release_table(&cfg->path);
	release_table(&cfg->env);
	release_table(&cfg->pkg);
	cfg->progs.used = 0;
}
