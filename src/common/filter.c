/*
 * Matching strings against the site config's tables (docs/design.md, "Site
 * config"): the one implementation of the filter semantics, used by the
 * preload library (path table at every exec, pkg table at exit) and by
 * xalt_record_pkg. Hooks do not filter.
 *
 * Regexes are POSIX ERE compiled lazily, on first use, because regcomp costs
 * about 3 µs per pattern (facts.md: 30 patterns at every exec = +100 µs). A
 * pattern that starts with '^' and a literal prefix is first checked with
 * strncmp: a string that does not start with that prefix cannot match, so the
 * common SKIP path ("^/usr/bin/" against a user's program) compiles nothing.
 *
 * This file depends only on the plain data of config.h; it does not parse.
 */
#include "filter.h"

#include <string.h>

/*
 * Length of the literal prefix of an ERE that starts with '^': the run of
 * characters after '^' that match only themselves. It stops at any ERE
 * metacharacter (. [ ( ) * + ? { | ^ $ \). If the character after the run is
 * a quantifier that allows zero repetitions or a bound (* ? {), the last
 * literal character is optional and is dropped. A pattern containing '|'
 * anywhere gets no prefix: "^ab|cd" also matches "cd". Returns 0 when there is
 * no usable prefix. This function can't fail.
 */
size_t filter_prefix_len(const char *regex)
{
	size_t n = 0;
	const char *p;

	if (!regex || regex[0] != '^' || strchr(regex, '|'))
		return 0;
	p = regex + 1;
	while (p[n] && !strchr(".[()*+?{|^$\\", p[n]))
		n++;
	if (n && (p[n] == '*' || p[n] == '?' || p[n] == '{'))
		n--;
	return n;
}

int filter_pattern_match(struct xalt_pattern *p, const char *s)
{
	if (p->state < 0 || !p->regex)
		return 0;
	if (p->state == 0) {
		/* Computed here, not trusted from the parser: one definition of
		 * what is literal. Until compiled it costs a scan of the prefix. */
		p->prefix_len = filter_prefix_len(p->regex);
		if (p->prefix_len && strncmp(s, p->regex + 1, p->prefix_len) != 0)
			return 0;
		if (regcomp(&p->re, p->regex, REG_EXTENDED | REG_NOSUB) != 0) {
			p->state = -1;   /* a bad regex never matches (config check reports it) */
			return 0;
		}
		p->state = 1;
	} else if (p->prefix_len && strncmp(s, p->regex + 1, p->prefix_len) != 0) {
		return 0;   /* cheaper than regexec */
	}
	return regexec(&p->re, s, 0, NULL, 0) == 0;
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
	for (int i = 0; i < t->n; i++) {
		if (t->pat[i].state == 1)
			regfree(&t->pat[i].re);
		t->pat[i].state = 0;
	}
}

void filter_release(struct xalt_config *cfg)
{
	release_table(&cfg->host);
	release_table(&cfg->path);
	release_table(&cfg->env);
	release_table(&cfg->pkg);
}
