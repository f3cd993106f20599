/*
 * Unit tests of the filters (src/common/filter.c): lazy compilation (a
 * prefix mismatch compiles nothing), the shortcuts (anchored literal heads
 * included) checked case by case and exhaustively against regexec, first
 * match wins, bad regexes, and the shared case table t/filter-cases.tsv
 * against the patterns of t/filter-cases.conf, through filter_pkg.
 *
 * The conf file is read by the real parser (config.c), once with regexes
 * compiled lazily (the preload's way) and once precompiled (the CLI's).
 * Run from the source tree's top directory (make check does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filter.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct xalt_config cfg;   /* big: static, not on the stack */

static void add(struct xalt_table *t, enum xalt_action a, enum pattern_kind k,
		const char *program, const char *regex)
{
	struct xalt_pattern *p = &t->pat[t->n++];

	memset(p, 0, sizeof(*p));
	p->action = a;
	p->kind = k;
	snprintf(p->program, sizeof(p->program), "%s", program);
	p->regex = regex;
	p->progs = &cfg.progs;
	p->line = t->n;
}

static int reset(void **state)
{
	(void)state;
	filter_release(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	config_defaults(&cfg);     /* the tables' slices of the pool */
	return 0;
}

/* --- matching ------------------------------------------------------------------ */

static void test_lazy_compile(void **state)
{
	struct xalt_pattern *p;

	(void)state;
	add(&cfg.path, XALT_SKIP, PATTERN_NAME, "", "^/usr/bin/[a-z]+$");
	p = &cfg.path.pat[0];
	/* The SKIP path of a user's program: rejected by strncmp, nothing compiled. */
	assert_int_equal(filter_pattern_match(p, "/home/alice/a.out"), 0);
	assert_int_equal(p->state, 0);
	/* A prefix hit compiles, then the regex decides. */
	assert_int_equal(filter_pattern_match(p, "/usr/bin/ls"), 1);
	assert_int_equal(p->state, 1);
	assert_int_equal(filter_pattern_match(p, "/usr/bin/LS"), 0);
	assert_int_equal(filter_pattern_match(p, "/usr/lib/ls"), 0);
	assert_int_equal(filter_pattern_match(p, ""), 0);
}

static void test_bad_regex(void **state)
{
	(void)state;
	add(&cfg.path, XALT_SKIP, PATTERN_NAME, "", "(unclosed");
	add(&cfg.path, XALT_KEEP, PATTERN_NAME, "", "^(");
	assert_int_equal(filter_pattern_match(&cfg.path.pat[0], "(unclosed"), 0);
	assert_int_equal(cfg.path.pat[0].state, -1);
	assert_int_equal(filter_pattern_match(&cfg.path.pat[0], "(unclosed"), 0);
	/* The prefix is empty ('(' is a metachar), so it is compiled and fails. */
	assert_int_equal(filter_pattern_match(&cfg.path.pat[1], "("), 0);
	assert_int_equal(cfg.path.pat[1].state, -1);
	/* A bad pattern is passed over, not fatal to the table. */
	assert_int_equal(filter_table(&cfg.path, "(unclosed", XALT_PKGS), XALT_PKGS);
}

static void test_table_first_match(void **state)
{
	(void)state;
	add(&cfg.path, XALT_PKGS, PATTERN_NAME, "", "^.*/python[0-9.]*$");
	add(&cfg.path, XALT_SKIP, PATTERN_NAME, "", "^/usr/bin/");
	add(&cfg.path, XALT_KEEP, PATTERN_NAME, "", ".*");
	assert_int_equal(filter_table(&cfg.path, "/usr/bin/python3.11", XALT_SKIP), XALT_PKGS);
	assert_int_equal(filter_table(&cfg.path, "/usr/bin/ls", XALT_SKIP), XALT_SKIP);
	assert_int_equal(filter_table(&cfg.path, "/home/a/prog", XALT_SKIP), XALT_KEEP);
	filter_release(&cfg);
	cfg.path.n = 0;
	assert_int_equal(filter_table(&cfg.path, "/x", XALT_KEEP), XALT_KEEP);
}

static void test_pkg_program(void **state)
{
	(void)state;
	add(&cfg.pkg, XALT_SKIP, PATTERN_NAME, "python", "\\.");
	add(&cfg.pkg, XALT_SKIP, PATTERN_PATH, "*", "^/home/");
	add(&cfg.pkg, XALT_KEEP, PATTERN_PATH, "R", "^$");
	add(&cfg.pkg, XALT_SKIP, PATTERN_PATH, "*", "^$");
	assert_int_equal(filter_pkg(&cfg, "python", "a.b", "/usr/a"), 0);
	assert_int_equal(filter_pkg(&cfg, "R", "a.b", "/usr/a"), 1);
	assert_int_equal(filter_pkg(&cfg, "R", "x", "/home/a/x"), 0);
	assert_int_equal(filter_pkg(&cfg, "julia", "x", "/home/a/x"), 0);
	/* A NULL path is the empty string. */
	assert_int_equal(filter_pkg(&cfg, "R", "x", NULL), 1);
	assert_int_equal(filter_pkg(&cfg, "python", "x", NULL), 0);
	/* No table: keep. */
	filter_release(&cfg);
	cfg.pkg.n = 0;
	assert_int_equal(filter_pkg(&cfg, "python", "a.b", NULL), 1);
}

/* --- shortcuts against regexec ---------------------------------------------------- */

/* What regcomp + regexec say: 1 match, 0 no match (a bad regex never matches). */
static int real_match(const char *re, const char *s)
{
	regex_t r;
	int m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return 0;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

/*
 * One case through the matcher on a fresh pattern (filter_pattern_match:
 * the text's shortcuts, then a lazy compilation) and through regexec: they must
 * agree. *decided: the text alone decided (nothing was compiled). Returns 0
 * when they agree.
 */
static int check_case(const char *re, const char *s, int *decided)
{
	static _Alignas(8) unsigned char buf[CONFIG_PROG_BYTES];
	struct xalt_progs progs = { 0, buf };
	struct xalt_pattern p;
	int real = real_match(re, s), full;

	memset(&p, 0, sizeof(p));
	p.regex = re;
	p.progs = &progs;
	full = filter_pattern_match(&p, s);
	*decided = p.state == 0;
	if (full != real) {
		print_error("'%s' vs '%s': regexec %d, filter %d (%s)\n", re, s, real, full,
			    *decided ? "decided by the text" : "compiled");
		return -1;
	}
	return 0;
}

/*
 * Patterns whose text starts with a literal head after '^', cut short by a
 * metacharacter, an optional last character, an alternation or a lone '}'
 * or ']': against strings around each head, the shortcut and the matcher
 * must agree with regexec.
 */
static void test_anchored_heads(void **state)
{
	static const char *const res[] = {
		"^/usr/bin/", "/usr/bin/", "^", "^abc", "^abc$", "^ab.c", "^ab[cd]", "^ab(c)",
		"^abc*", "^abc?", "^abc{0,2}", "^abc+", "^a*", "^ab\\.c", "^ab|^cd", "^(ab|cd)",
		"^ab^", "^ab)", "^a}b]",
	};
	static const char *const strs[] = {
		"", "a", "ab", "abc", "abcc", "abcd", "abd", "ab.c", "abXc", "cd", "xab",
		"/usr/bin/ls", "/usr/bin", "/usr/bin/", "a}b]", "ab)", "ab^",
	};
	int decided, bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			bad |= check_case(res[i], strs[k], &decided);
	assert_int_equal(bad, 0);
}

static void test_shortcut_table(void **state)
{
	/* want: regexec's answer; dec: 1 the text must decide it (no regcomp) */
	static const struct { const char *re, *s; int want, dec; } cases[] = {
		{ "^/usr/bin/", "/usr/bin/true", 1, 1 },
		{ "^/usr/bin/", "/usr/bin", 0, 1 },
		{ "^/usr/bin/", "/usr/binx/true", 0, 1 },
		{ "^/usr/bin/", "x/usr/bin/true", 0, 1 },
		{ "^/usr/bin/", "", 0, 1 },
		{ "^a.b", "axb", 1, 0 },
		{ "^a.b", "bab", 0, 1 },            /* the head "a" is missing */
		{ "^a\\.b", "a.b", 1, 1 },
		{ "^a\\.b", "axb", 0, 1 },
		{ "^a\\.b", "a.bc", 1, 1 },
		{ "^ab*", "a", 1, 0 },
		{ "^ab*", "b", 0, 1 },
		{ "^(ab)", "ab", 1, 0 },
		{ "^(ab)", "xab", 0, 0 },
		{ "^a|b", "b", 1, 0 },
		{ "^a|b", "xb", 1, 0 },
		{ "^a|b", "c", 0, 0 },
		{ "^ab|x", "x", 1, 0 },             /* no head survives a '|' */
		{ "^[/]", "/x", 1, 0 },
		{ "^[/]", "x", 0, 0 },
		{ "^$", "", 1, 1 },
		{ "^$", "a", 0, 1 },
		{ "^", "abc", 1, 1 },
		{ "$", "abc", 1, 1 },
		{ ".*", "", 1, 1 },
		{ ".*", "/any/thing", 1, 1 },
		{ "^.*", "x", 1, 1 },
		{ "^.*$", "x\ny", 1, 1 },
		{ "^.*/R$", "/x/R", 1, 0 },
		{ "^.*/R$", "/x/Rscript", 0, 1 },
		{ "^.*/R$", "R", 0, 1 },
		{ "^.*/R$", "/R", 1, 0 },
		{ "^.*/python[0-9.]*$", "/usr/bin/python3.11", 1, 0 },
		{ "^.*/python[0-9.]*$", "/home/a/a.out", 0, 1 },
		{ "^.*/python[0-9.]*$", "/opt/pythonx", 0, 0 },
		{ "^/usr/bin/python[0-9.]*$", "/usr/bin/true", 0, 1 },
		{ "^/usr/lib/R/bin/exec/R$", "/usr/lib/R/bin/exec/R", 1, 1 },
		{ "^/usr/lib/R/bin/exec/R$", "/usr/lib/R/bin/exec/Rx", 0, 1 },
		{ "^SLURM_JOB_PARTITION$", "SLURM_JOB_PARTITION", 1, 1 },
		{ "^SLURM_JOB_PARTITION$", "SLURM_JOB_PARTITIONS", 0, 1 },
		{ "^SLURM_JOB_PARTITION$", "SLURM_JOB", 0, 1 },
		{ "^LMOD_FAMILY_", "LMOD_FAMILY_COMPILER", 1, 1 },
		{ "^LMOD_FAMILY_", "XLMOD_FAMILY_", 0, 1 },
		{ "site-packages/", "/x/site-packages/y", 1, 1 },
		{ "site-packages/", "/x/site-packages", 0, 1 },
		{ "/\\.local/", "/home/a/.local/x", 1, 1 },
		{ "/\\.local/", "/home/a/xlocal/x", 0, 1 },
		{ "/\\.local/", "/.local", 0, 1 },
		{ "\\.", "a.b", 1, 1 },
		{ "\\.", "ab", 0, 1 },
		{ "lib$", "/x/lib", 1, 1 },
		{ "lib$", "/x/lib/", 0, 1 },
		{ "lib$", "li", 0, 1 },
		{ "a\\$$", "xa$", 1, 1 },
		{ "^tests?$", "test", 1, 0 },
		{ "^tests?$", "tests", 1, 0 },
		{ "^tests?$", "tes", 0, 1 },
		{ "^fooo*bar$", "foobar", 1, 0 },
		{ "^fooo*bar$", "fobar", 0, 1 },
		{ "^xy{0,1}z$", "xz", 1, 0 },
		{ "^abc+", "ax", 0, 1 },
		{ "^abc+", "ab", 0, 0 },
		{ "^alpha$|^beta$", "beta", 1, 0 },
		{ "^/opt/x\\.y/", "/opt/x.y/X", 1, 1 },
		{ "^/opt/x\\.y/", "/opt/xzy/X", 0, 1 },
		{ "^a$b", "ab", 0, 0 },
		{ "a^*b", "a*b", 0, 0 },
		{ "^[]a]x", "]x", 1, 0 },
		{ "^[[:alpha:]]x", "ax", 1, 0 },
		{ "^\\w+$", "abc", 1, 0 },
		{ "a{2}", "aa", 1, 0 },
		{ "a{2}", "a", 0, 0 },
		{ "(unclosed", "(unclosed", 0, 0 },   /* bad: never matches */
		{ "^(", "(", 0, 0 },
		{ "^ab\\", "ab\\", 0, 0 },
		{ "^a{", "a{", 0, 0 },
		{ "", "x", 1, 0 },
		{ NULL, NULL, 0, 0 },
	};
	int bad = 0, decided;

	(void)state;
	for (int i = 0; cases[i].re; i++) {
		if (real_match(cases[i].re, cases[i].s) != cases[i].want) {
			print_error("table: regexec says '%s' vs '%s' is %d\n", cases[i].re,
				    cases[i].s, !cases[i].want);
			bad++;
			continue;
		}
		bad += check_case(cases[i].re, cases[i].s, &decided) != 0;
		if (cases[i].dec && !decided) {
			print_error("'%s' vs '%s': not decided by the text\n", cases[i].re, cases[i].s);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/*
 * Every pattern of up to three tokens from a set chosen to hit the reader's
 * cases (literals, escapes, quantifiers, anchors anywhere, groups, brackets,
 * '|', GNU escapes, stray and malformed operators), against every string of
 * up to three characters over a small alphabet: the shortcut never disagrees
 * with regexec.
 */
static void test_shortcut_exhaustive(void **state)
{
	static const char *const tok[] = {
		"a", "b", ".", "\\.", "*", "+", "?", "^", "$", "|", "(a)", "[ab]",
		"{2}", "{", ")", "\\w", "]", "\\",
	};
	static const char alpha[] = "ab.*";
	const int ntok = (int)(sizeof(tok) / sizeof(tok[0]));
	char strs[100][4];
	int nstr = 0, bad = 0, checked = 0, decided, ndecided = 0;

	(void)state;
	strs[nstr++][0] = '\0';
	for (int len = 1; len <= 3; len++) {
		int total = 1;

		for (int k = 0; k < len; k++)
			total *= 4;
		for (int v = 0; v < total; v++, nstr++) {
			for (int k = 0, x = v; k < len; k++, x /= 4)
				strs[nstr][k] = alpha[x % 4];
			strs[nstr][len] = '\0';
		}
	}
	for (int len = 1; len <= 3; len++) {
		int total = 1;

		for (int k = 0; k < len; k++)
			total *= ntok;
		for (int v = 0; v < total && bad < 20; v++) {
			char re[32] = "";

			for (int k = 0, x = v; k < len; k++, x /= ntok)
				strcat(re, tok[x % ntok]);
			for (int i = 0; i < nstr; i++) {
				bad += check_case(re, strs[i], &decided) != 0;
				ndecided += decided;
				checked++;
			}
		}
	}
	print_message("# %d cases, %d decided without regexec\n", checked, ndecided);
	assert_int_equal(bad, 0);
	assert_true(ndecided > checked / 20);
}

/* Prepare compiles only what the text cannot decide. */
static void test_prepare(void **state)
{
	(void)state;
	add(&cfg.env, XALT_KEEP, PATTERN_NAME, "", "^OMP_NUM_THREADS$");
	add(&cfg.env, XALT_KEEP, PATTERN_NAME, "", "^LMOD_FAMILY_");
	add(&cfg.env, XALT_SKIP, PATTERN_NAME, "", ".*");
	add(&cfg.env, XALT_KEEP, PATTERN_NAME, "", "^SLURM_[A-Z]+$");
	add(&cfg.env, XALT_KEEP, PATTERN_NAME, "", "(bad");
	for (int i = 0; i < 4; i++)
		assert_int_equal(filter_pattern_prepare(&cfg.env.pat[i]), 0);
	assert_int_equal(filter_pattern_prepare(&cfg.env.pat[4]), -1);
	assert_int_equal(cfg.env.pat[0].state, 0);
	assert_int_equal(cfg.env.pat[1].state, 0);
	assert_int_equal(cfg.env.pat[2].state, 0);
	assert_int_equal(cfg.env.pat[3].state, 1);
	assert_int_equal(filter_table(&cfg.env, "OMP_NUM_THREADS", XALT_SKIP), XALT_KEEP);
	assert_int_equal(filter_table(&cfg.env, "OMP_NUM_THREADSX", XALT_KEEP), XALT_SKIP);
	assert_int_equal(filter_table(&cfg.env, "LMOD_FAMILY_MPI", XALT_SKIP), XALT_KEEP);
	/* still nothing compiled for the literal ones */
	assert_int_equal(cfg.env.pat[0].state, 0);
}

/* --- the shared case table ------------------------------------------------------- */

static char conf_text[CONFIG_MAX_BYTES];

/* Parse t/filter-cases.conf into cfg with the real parser (config.c). */
static void load_conf(const char *path, int check_regex)
{
	long n = config_read_file(path, conf_text, sizeof(conf_text));

	if (n < 0)
		fail_msg("cannot read '%s' (run from the source tree's top)", path);
	assert_int_equal(config_parse(&cfg, conf_text, path, check_regex, NULL, NULL), 0);
}

/* Every case of the table tsv with the patterns of conf through filter_pkg;
 * check_regex: compiled by the parser; at least min cases. */
static void run_cases(const char *conf, const char *tsv, int check_regex, int min)
{
	char line[8192];
	int ncases = 0, bad = 0, lineno = 0;
	FILE *f;

	load_conf(conf, check_regex);
	assert_true(cfg.pkg.n >= 9);
	f = fopen(tsv, "r");
	if (!f)
		fail_msg("cannot open '%s'", tsv);
	while (fgets(line, sizeof(line), f)) {
		char *col[4], *p = line;
		int k;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		for (k = 0; k < 4 && p; k++) {
			col[k] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (k != 4 || p || (strcmp(col[3], "KEEP") && strcmp(col[3], "SKIP")))
			fail_msg("%s:%d: not four TAB-separated columns ending KEEP|SKIP", tsv, lineno);
		int got = filter_pkg(&cfg, col[0], col[1], col[2]);
		int want = !strcmp(col[3], "KEEP");
		if (got != want) {
			print_error("%s:%d: %s %s '%s': got %s, want %s\n", tsv, lineno, col[0],
				    col[1], col[2], got ? "KEEP" : "SKIP", col[3]);
			bad++;
		}
		/* Same answer the second time (compiled now, prefix cached). */
		assert_int_equal(filter_pkg(&cfg, col[0], col[1], col[2]), got);
		ncases++;
	}
	fclose(f);
	assert_true(ncases >= min);
	assert_int_equal(bad, 0);
}

/* t/filter-cases.tsv (or $XALT_FILTER_CASES) with t/filter-cases.conf. */
static void run_shared_cases(int check_regex)
{
	const char *tsv = getenv("XALT_FILTER_CASES");

	run_cases("t/filter-cases.conf", tsv ? tsv : "t/filter-cases.tsv", check_regex, 40);
}

/* TACC's table (XALT 3.2.4) decides as under XALT (issue 12 item 9). */
static void test_tacc_cases(void **state)
{
	(void)state;
	run_cases("t/filter-cases-tacc.conf", "t/filter-cases-tacc.tsv", 0, 25);
}

static void test_shared_cases_lazy(void **state)
{
	(void)state;
	run_shared_cases(0);
}

static void test_shared_cases_precompiled(void **state)
{
	(void)state;
	run_shared_cases(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lazy_compile, reset, reset),
		cmocka_unit_test_setup_teardown(test_bad_regex, reset, reset),
		cmocka_unit_test_setup_teardown(test_table_first_match, reset, reset),
		cmocka_unit_test_setup_teardown(test_pkg_program, reset, reset),
		cmocka_unit_test_setup_teardown(test_anchored_heads, reset, reset),
		cmocka_unit_test_setup_teardown(test_shortcut_table, reset, reset),
		cmocka_unit_test_setup_teardown(test_shortcut_exhaustive, reset, reset),
		cmocka_unit_test_setup_teardown(test_prepare, reset, reset),
		cmocka_unit_test_setup_teardown(test_shared_cases_lazy, reset, reset),
		cmocka_unit_test_setup_teardown(test_shared_cases_precompiled, reset, reset),
		cmocka_unit_test_setup_teardown(test_tacc_cases, reset, reset),
	};

	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
