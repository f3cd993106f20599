/*
 * Unit tests of the filters (src/common/filter.c): the literal prefix, lazy
 * compilation (a prefix mismatch compiles nothing), first match wins, bad
 * regexes, and the shared case table t/filter-cases.tsv against the patterns
 * of t/filter-cases.conf, through filter_pkg.
 *
 * The conf file is read by the real parser (config.c), once with regexes
 * compiled lazily (the preload's way) and once precompiled (the CLI's). Run from the source tree's top directory (make check does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filter.h"

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
	p->line = t->n;
}

static int reset(void **state)
{
	(void)state;
	filter_release(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	return 0;
}

/* --- the literal prefix ------------------------------------------------------ */

static void test_prefix_len(void **state)
{
	static const struct { const char *re; size_t n; } cases[] = {
		{ "^/usr/bin/", 9 },
		{ "/usr/bin/", 0 },          /* not anchored */
		{ "^", 0 },
		{ "^abc", 3 },
		{ "^abc$", 3 },
		{ "^ab.c", 2 },
		{ "^ab[cd]", 2 },
		{ "^ab(c)", 2 },
		{ "^abc*", 2 },              /* c may be absent */
		{ "^abc?", 2 },
		{ "^abc{0,2}", 2 },
		{ "^abc+", 3 },              /* c at least once */
		{ "^a*", 0 },
		{ "^ab\\.c", 2 },            /* stop at an escape */
		{ "^ab|^cd", 0 },            /* alternation: no prefix */
		{ "^(ab|cd)", 0 },
		{ "^ab^", 2 },
		{ "^ab)", 2 },
		{ "^a}b]", 4 },              /* } and ] alone are literal */
		{ NULL, 0 },
	};

	(void)state;
	for (int i = 0; cases[i].re; i++) {
		if (filter_prefix_len(cases[i].re) != cases[i].n)
			fail_msg("prefix of '%s': %zu, want %zu", cases[i].re,
				 filter_prefix_len(cases[i].re), cases[i].n);
	}
	assert_int_equal(filter_prefix_len(NULL), 0);
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
	assert_int_equal(p->prefix_len, 9);
	/* A prefix hit compiles, then the regex decides. */
	assert_int_equal(filter_pattern_match(p, "/usr/bin/ls"), 1);
	assert_int_equal(p->state, 1);
	assert_int_equal(filter_pattern_match(p, "/usr/bin/LS"), 0);
	assert_int_equal(filter_pattern_match(p, "/usr/lib/ls"), 0);
	assert_int_equal(filter_pattern_match(p, ""), 0);
}

static void test_prefix_len_from_parser_ignored(void **state)
{
	(void)state;
	/* A wrong prefix_len from elsewhere must not change the answer. */
	add(&cfg.path, XALT_SKIP, PATTERN_NAME, "", "^tests?$");
	cfg.path.pat[0].prefix_len = 5;
	assert_int_equal(filter_pattern_match(&cfg.path.pat[0], "test"), 1);
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

/* Every case of the table through filter_pkg; check_regex: compiled by the parser. */
static void run_shared_cases(int check_regex)
{
	const char *tsv = getenv("XALT_FILTER_CASES") ? getenv("XALT_FILTER_CASES")
						       : "t/filter-cases.tsv";
	char line[8192];
	int ncases = 0, bad = 0, lineno = 0;
	FILE *f;

	load_conf("t/filter-cases.conf", check_regex);
	assert_true(cfg.pkg.n > 10);
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
	assert_true(ncases >= 40);
	assert_int_equal(bad, 0);
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
		cmocka_unit_test_setup_teardown(test_prefix_len, reset, reset),
		cmocka_unit_test_setup_teardown(test_lazy_compile, reset, reset),
		cmocka_unit_test_setup_teardown(test_prefix_len_from_parser_ignored, reset, reset),
		cmocka_unit_test_setup_teardown(test_bad_regex, reset, reset),
		cmocka_unit_test_setup_teardown(test_table_first_match, reset, reset),
		cmocka_unit_test_setup_teardown(test_pkg_program, reset, reset),
		cmocka_unit_test_setup_teardown(test_shared_cases_lazy, reset, reset),
		cmocka_unit_test_setup_teardown(test_shared_cases_precompiled, reset, reset),
	};

	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
