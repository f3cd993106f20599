/*
 * Unit tests of the regular-expression matcher (src/common/ere.c): a table
 * of hand-written cases for every feature and edge (each answer is also
 * checked against glibc's regcomp(REG_EXTENDED|REG_NOSUB) + regexec, so the
 * table cannot drift from the dialect it claims), the patterns we reject
 * (glibc's errors and what we do not support), buffer bounds, subjects that
 * make backtracking matchers hang, and every pattern of up to three tokens
 * against every short subject, compared with glibc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ere.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Alignas(8) unsigned char prog[ERE_PROG_MAX];

/* glibc's answer: 1 match, 0 no match, -1 regcomp rejects the pattern. */
static int glibc(const char *re, const char *s)
{
	regex_t r;
	int m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return -1;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

/* Ours, the same way. */
static int ours(const char *re, const char *s)
{
	struct ere_error err;

	if (ere_compile(prog, sizeof(prog), re, &err) < 0)
		return -1;
	return ere_match((const struct ere *)prog, s);
}

/* --- features, one case each ------------------------------------------------------- */

static void test_cases(void **state)
{
	static const struct { const char *re, *s; int want; } cases[] = {
		/* literals, the empty pattern */
		{ "abc", "xabcx", 1 }, { "abd", "xabcx", 0 }, { "", "", 1 }, { "", "x", 1 },
		{ "a", "", 0 }, { "\xe9t\xe9", "caf\xe9t\xe9", 1 },
		/* . matches any byte, newline and high bytes included */
		{ "a.c", "abc", 1 }, { ".", "", 0 }, { ".", "\n", 1 }, { ".", "\xff", 1 },
		{ "a.b", "a\nb", 1 },
		/* bracket expressions */
		{ "[abc]", "b", 1 }, { "[a-c]", "d", 0 }, { "[^a-c]", "b", 0 }, { "[^a-c]", "d", 1 },
		{ "[^a]", "\n", 1 }, { "[]a]", "]", 1 }, { "[^]a]", "]", 0 }, { "[^]a]", "b", 1 },
		{ "[]-a]", "^", 1 }, { "[-a]", "-", 1 }, { "[a-]", "-", 1 }, { "[^-]", "-", 0 },
		{ "[!--]", ",", 1 }, { "[--z]", "a", 1 }, { "[---]", "-", 1 }, { "[a-z-]", "-", 1 },
		{ "[\\]", "\\", 1 }, { "[\\n]", "n", 1 }, { "[[]", "[", 1 }, { "[a[]", "[", 1 },
		{ "[[a]", "a", 1 }, { "[.]", "x", 0 }, { "[*+?{]", "{", 1 }, { "[$^]", "^", 1 },
		{ "[[:alpha:]]", "Q", 1 }, { "[[:alpha:]]", "1", 0 }, { "[[:alpha:]]", "\xe9", 0 },
		{ "[[:digit:]]", "7", 1 }, { "[[:alnum:]]", "_", 0 }, { "[[:upper:]]", "a", 0 },
		{ "[[:lower:]]", "a", 1 }, { "[[:space:]]", "\v", 1 }, { "[[:space:]]", "\xa0", 0 },
		{ "[[:blank:]]", "\t", 1 }, { "[[:blank:]]", "\n", 0 }, { "[[:punct:]]", "~", 1 },
		{ "[[:punct:]]", "a", 0 }, { "[[:print:]]", " ", 1 }, { "[[:print:]]", "\x7f", 0 },
		{ "[[:graph:]]", " ", 0 }, { "[[:cntrl:]]", "\x01", 1 }, { "[[:cntrl:]]", "\x7f", 1 },
		{ "[[:xdigit:]]", "F", 1 }, { "[[:xdigit:]]", "g", 0 },
		{ "[[:alpha:][:digit:]_]", "_", 1 }, { "[^[:alnum:]]", "%", 1 },
		{ "[[:alpha:]-]", "-", 1 }, { "[[.a.]]", "a", 1 }, { "[[.-.]]", "-", 1 },
		{ "[[...]]", ".", 1 }, { "[[.].]]", "]", 1 }, { "[[=e=]]", "e", 1 },
		{ "[[=e=]]", "\xe9", 0 }, { "[[.a.]-c]", "b", 1 }, { "[a-[.c.]]", "c", 1 },
		{ "[\x80-\xff]", "\xe9", 1 }, { "[^\x80-\xff]", "\xe9", 0 }, { "[a-\xff]", "\xe9", 1 },
		{ "[\xe9]", "\xe9", 1 }, { "[/]", "/", 1 }, { "^[^/]", "/x", 0 },
		/* anchors, anywhere */
		{ "^a", "ba", 0 }, { "a$", "ab", 0 }, { "^$", "", 1 }, { "^$", "a", 0 },
		{ "a^b", "a^b", 0 }, { "a$b", "a$b", 0 }, { "(^a|b$)", "cb", 1 }, { "(^a|b$)", "ac", 1 },
		{ "(^a|b$)", "cab", 1 }, { "(^a|b$)", "ca", 0 }, { "x(^|y)z", "xz", 0 },
		{ "(^|/)bin", "/usr/bin", 1 }, { "(^|/)bin", "sbin", 0 }, { "^^a", "a", 1 },
		{ "a$$", "a", 1 }, { "$^", "", 1 }, { "(^)*a", "ba", 1 }, { "(a$)*b", "b", 1 },
		{ "^([^/]|$)", "", 1 }, { "^([^/]|$)", "/x", 0 }, { "^([^/]|$)", "built-in", 1 },
		/* newlines are ordinary (no REG_NEWLINE), but glibc's ^ and $ quirk */
		{ "^a$", "a\n", 0 }, { "^b", "a\nb", 0 }, { "a$", "a\nb", 0 }, { "a.^b", "a\nb", 1 },
		{ "a$.b", "a\nb", 1 }, { "a$.", "ab", 0 }, { "(a$)*.", "a\n", 1 }, { "a$(b|)", "a\n", 0 },
		{ "a\\'.", "a\n", 0 }, { ".\\`b", "\nb", 0 }, { ".*^b", "\nb", 1 }, { "$", "\n", 1 },
		/* GNU operators */
		{ "\\w+", "_", 1 }, { "\\w", "\xe9", 0 }, { "\\W", "a", 0 }, { "\\W", "\n", 1 },
		{ "\\s", "\t", 1 }, { "\\s", "\f", 1 }, { "\\S", " ", 0 }, { "\\<b", "ab", 0 },
		{ "\\<b", "a b", 1 }, { "a\\>", "ab", 0 }, { "a\\>", "a-", 1 }, { "\\bb", "ab", 0 },
		{ "\\Bb", "ab", 1 }, { "\\B", "", 1 }, { "\\b", "", 0 }, { "\\B", "a", 0 },
		{ "\\B", " ", 1 }, { "\\`a", "a", 1 }, { "\\`a", "ba", 0 }, { "a\\'", "ba", 1 },
		{ "a\\'", "ab", 0 }, { "\\<\\>", "a", 0 }, { "x\\b", "x\xe9", 1 },
		/* groups and alternation, empty ones included */
		{ "()", "x", 1 }, { "(|)", "", 1 }, { "a|", "b", 1 }, { "|a", "", 1 }, { "a||b", "c", 1 },
		{ "(a|b)c", "bc", 1 }, { "(ab|cd)e", "ace", 0 }, { "((a))", "a", 1 },
		{ "^(grDevices|graphics)$", "graphics", 1 }, { "^(grDevices|graphics)$", "graph", 0 },
		{ "/(site|dist)-packages/", "/x/dist-packages/y", 1 },
		/* quantifiers */
		{ "ab*c", "ac", 1 }, { "ab+c", "ac", 0 }, { "ab?c", "abbc", 0 }, { "a{2}", "a", 0 },
		{ "a{2}", "aa", 1 }, { "^a{2}$", "aaa", 0 }, { "^a{2,}$", "aaaa", 1 },
		{ "^a{,2}$", "aaa", 0 }, { "^a{,2}$", "", 1 }, { "^a{,}$", "aaa", 1 },
		{ "^a{1,3}$", "aaa", 1 }, { "^a{1,3}$", "aaaa", 0 }, { "^a{0}b$", "b", 1 },
		{ "^a{0,0}b$", "ab", 0 }, { "^a{0}*b$", "b", 1 }, { "^(ab){2}$", "abab", 1 },
		{ "^(ab){2}$", "ab", 0 }, { "^(a*)*$", "aaa", 1 }, { "(a*)*b", "aaac", 0 },
		{ "(a*)+b", "b", 1 }, { "(a|)+b", "b", 1 }, { "^a**$", "aa", 1 }, { "^a+?$", "", 1 },
		{ "^(a{2}){2}$", "aaaa", 1 }, { "^(a{2}){2}$", "aaa", 0 }, { "^a{1}{2}$", "aa", 1 },
		{ "^a{01}$", "a", 1 }, { "^()*$", "", 1 }, { "^(()|a)+$", "aa", 1 },
		{ "^tests?$", "test", 1 }, { "^fooo*bar$", "fobar", 0 }, { "^xy{0,1}z$", "xz", 1 },
		{ "^(a|b)*abb$", "ababb", 1 }, { "^(a|b){3,}$", "ab", 0 },
		{ "^[0-9]{2,3}-[0-9]{0,2}$", "123-", 1 }, { "^[0-9]{2,3}-[0-9]{0,2}$", "1-1", 0 },
		/* escapes and characters that are literal where they stand */
		{ "\\.", "a", 0 }, { "\\.", ".", 1 }, { "\\n", "n", 1 }, { "\\{", "{", 1 },
		{ "a\\|b", "a|b", 1 }, { "\\(", "(", 1 }, { "\\+\\?\\*", "+?*", 1 }, { "\\\\", "\\", 1 },
		{ "\\0", "0", 1 }, { "a)", "a)", 1 }, { "a)*", "", 0 }, { "a)*", "a", 1 }, { "}", "}", 1 }, { "]", "]", 1 },
		{ "a{1}}", "a}", 1 }, { "\\\xe9", "\xe9", 1 }, { "a\nb", "a\nb", 1 },
		/* the site filters' own patterns */
		{ "^.*/python[0-9.]*$", "/usr/bin/python3.11", 1 },
		{ "^.*/python[0-9.]*$", "/opt/pythonx", 0 }, { "^/home/[^/]+/\\.local/", "/home/a/.local/x", 1 },
		{ "/R/[^/]+-library/", "/home/a/R/x86_64-pc-linux-gnu-library/4.2/x", 1 },
		{ "/lib/python[0-9.]+/", "/usr/lib/python3/dist-packages/x", 1 },
		{ "/lib/python[0-9.]+/", "/usr/lib/python/x", 0 },
		{ NULL, NULL, 0 },
	};
	int bad = 0;

	(void)state;
	for (int i = 0; cases[i].re; i++) {
		int g = glibc(cases[i].re, cases[i].s), o = ours(cases[i].re, cases[i].s);

		if (g != cases[i].want || o != cases[i].want) {
			print_error("'%s' vs '%s': want %d, glibc %d, ours %d\n", cases[i].re,
				    cases[i].s, cases[i].want, g, o);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* --- what we reject ---------------------------------------------------------------- */

static void test_rejected(void **state)
{
	/* glibc: 1 if glibc accepts it (a documented limit of ours), 0 if it rejects too */
	static const struct { const char *re; int glibc; const char *msg; size_t at; } cases[] = {
		{ "(", 0, "unmatched '('", 0 }, { "x(a|b", 0, "unmatched '('", 1 },
		{ "(()", 0, "unmatched '('", 0 }, { "[", 0, "unmatched '['", 0 },
		{ "[]", 0, "unmatched '['", 0 }, { "[^]", 0, "unmatched '['", 0 },
		{ "x[a", 0, "unmatched '['", 1 }, { "[[:alpha:]", 0, "unmatched '['", 0 },
		{ "[[.a.", 0, "unmatched '['", 1 }, { "[[:]", 0, "unmatched '['", 1 },
		{ "[z-a]", 0, "range out of order", 3 }, { "[a--]", 0, "range out of order", 3 },
		{ "[a-b-c]", 0, "invalid range end", 4 }, { "[a-z-0]", 0, "invalid range end", 4 },
		{ "[a-[:alpha:]]", 0, "invalid range end", 3 }, { "[[:alpha:]-z]", 0, "invalid range end", 10 },
		{ "[[=a=]-z]", 0, "invalid range end", 6 }, { "[[:foo:]]", 0, "invalid character class", 1 },
		{ "[[:ALPHA:]]", 0, "invalid character class", 1 },
		{ "[[.space.]]", 0, "invalid collating element", 1 },
		{ "[[..]]", 0, "invalid collating element", 1 }, { "[[=ab=]]", 0, "invalid collating element", 1 },
		{ "\\", 0, "trailing backslash", 0 }, { "ab\\", 0, "trailing backslash", 2 },
		{ "*a", 0, "nothing to repeat", 0 }, { "a|*b", 0, "nothing to repeat", 2 },
		{ "(+a)", 0, "nothing to repeat", 1 }, { "^*", 0, "nothing to repeat", 1 },
		{ "a$?", 0, "nothing to repeat", 2 }, { "\\<*", 0, "nothing to repeat", 2 },
		{ "{1}a", 0, "nothing to repeat", 0 }, { "a{", 0, "unmatched '{'", 1 },
		{ "a{1", 0, "unmatched '{'", 1 }, { "a{1,", 0, "unmatched '{'", 1 },
		{ "a{x}", 0, "invalid content of {}", 1 }, { "a{}", 0, "invalid content of {}", 1 },
		{ "a{ 1}", 0, "invalid content of {}", 1 }, { "a{1,2,3}", 0, "invalid content of {}", 1 },
		{ "a{2,1}", 0, "minimum above maximum", 1 }, { "\\1", 0, "back-references", 0 },
		/* accepted by glibc, not by us (docs/config.md) */
		{ "(a)\\1", 1, "back-references are not supported", 3 },
		{ "a{256}", 1, "repetition count above 255", 1 }, { "a{1,999}", 1, "above 255", 1 },
		{ "a{1\\,2}", 1, "invalid content of {}", 1 },
		{ "[0-9]{255}[a-z]{255}[A-Z]{255}[0-9a-f]{255}x{10}", 1, "pattern too complex", 44 },
		{ "((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))", 1,
		  "nested too deep", 32 },
		{ NULL, 0, NULL, 0 },
	};
	struct ere_error err;
	int bad = 0;

	(void)state;
	for (int i = 0; cases[i].re; i++) {
		long n = ere_compile(prog, sizeof(prog), cases[i].re, &err);
		int g = glibc(cases[i].re, "") >= 0;

		if (n >= 0 || g != cases[i].glibc || !strstr(err.msg, cases[i].msg) ||
		    err.at != cases[i].at || err.no_room) {
			print_error("'%s': compile %ld, '%s' at %zu (want '%s' at %zu), glibc %s\n",
				    cases[i].re, n, n < 0 ? err.msg : "", n < 0 ? err.at : 0,
				    cases[i].msg, cases[i].at, g ? "accepts" : "rejects");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* 32 distinct bracket expressions fit, the 33rd does not. */
static void test_set_limit(void **state)
{
	char re[512] = "";
	struct ere_error err;

	(void)state;
	for (int k = 0; k < 33; k++)
		snprintf(re + strlen(re), sizeof(re) - strlen(re), "[%c%c]", 'A' + k % 26, 'a' + k);
	assert_true(ere_compile(prog, sizeof(prog), re, &err) < 0);
	assert_non_null(strstr(err.msg, "bracket expressions"));
	re[strlen(re) - 4] = '\0';
	assert_true(ere_compile(prog, sizeof(prog), re, &err) > 0);
	/* the same set again is shared, not counted twice */
	strcat(re, "[Aa][Aa][Aa]");
	assert_true(ere_compile(prog, sizeof(prog), re, &err) > 0);
}

/* --- buffers --------------------------------------------------------------------------- */

/*
 * Every buffer size up to the program's size fails with no_room and writes
 * nothing past its end; the size returned works. The program matches the
 * same from a copy (nothing points into the buffer).
 */
static void test_buffer_bounds(void **state)
{
	static const char *const res[] = {
		"", "a", "^/usr/bin/python[0-9.]*$", "(a|b)*[[:alpha:]]{2,5}\\>x", "[^/]+(x|y){3}",
	};
	static _Alignas(8) unsigned char buf[ERE_PROG_MAX + 64], copy[ERE_PROG_MAX];
	struct ere_error err;

	(void)state;
	for (size_t r = 0; r < sizeof(res) / sizeof(res[0]); r++) {
		long need = ere_compile(prog, sizeof(prog), res[r], &err);

		assert_true(need > 0 && need % 8 == 0 && need <= ERE_PROG_MAX);
		for (long cap = 0; cap < need; cap++) {
			memset(buf, 0xa5, sizeof(buf));
			if (ere_compile(buf, (size_t)cap, res[r], &err) != -1 || !err.no_room)
				fail_msg("'%s' into %ld bytes: not a no_room error", res[r], cap);
			for (size_t k = (size_t)cap; k < sizeof(buf); k++)
				if (buf[k] != 0xa5)
					fail_msg("'%s' into %ld bytes: wrote byte %zu", res[r], cap, k);
		}
		assert_int_equal(ere_compile(buf, (size_t)need, res[r], &err), need);
		memcpy(copy, buf, (size_t)need);
		memset(buf, 0, sizeof(buf));
		assert_int_equal(ere_match((const struct ere *)copy, "/usr/bin/python3"), glibc(res[r], "/usr/bin/python3"));
		assert_int_equal(ere_match((const struct ere *)copy, "aby x"), glibc(res[r], "aby x"));
	}
}

/* --- time ---------------------------------------------------------------------------------- */

/*
 * Patterns that make backtracking matchers take exponential time, on a
 * 200 KB subject: each answer comes at once (a backtracking matcher would
 * not finish this test).
 */
static void test_pathological(void **state)
{
	static const struct { const char *re; int want; } cases[] = {
		{ "(a*)*b", 0 }, { "(a|aa)*c", 0 }, { "(a+a+)+b", 0 }, { "^(a|a?)+$", 1 },
		{ "(x+x+)+y", 0 }, { "(.*a){20}", 1 }, { "(.*b){20}", 0 }, { "a{255}b", 0 },
		{ "(\\w|\\W)*$", 1 }, { "((a*)*|b)*\\>c", 0 },
	};
	static char s[200001];

	(void)state;
	memset(s, 'a', sizeof(s) - 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ours(cases[i].re, s) != cases[i].want)
			fail_msg("'%s' on 200000 'a': want %d", cases[i].re, cases[i].want);
}

/* --- everything small, against glibc --------------------------------------------------- */

/*
 * Every pattern of one to three tokens against every subject of up to three
 * bytes over {a, b, newline, -}: where we accept, glibc accepts and agrees
 * on every subject; where we reject, glibc rejects too, but for the
 * patterns we reject on purpose (back-references).
 */
static void test_exhaustive(void **state)
{
	static const char *const tok[] = {
		"a", "b", ".", "*", "+", "?", "{2}", "{0,1}", "{,1}", "{1,}", "{0}", "^", "$", "|",
		"(", ")", "()", "[ab]", "[^a]", "\\<", "\\>", "\\b", "\\B", "\\w", "\\W", "\\`",
		"\\'", "\\.", "\\1", "{", "}", "]", "[",
	};
	static const char alpha[] = "ab\n-";
	const int ntok = (int)(sizeof(tok) / sizeof(tok[0]));
	char strs[85][4];
	int nstr = 0, bad = 0, accepted = 0;

	(void)state;
	strs[nstr++][0] = '\0';
	for (int len = 1; len <= 3; len++) {
		for (int v = 0, total = len == 1 ? 4 : len == 2 ? 16 : 64; v < total; v++, nstr++) {
			for (int k = 0, x = v; k < len; k++, x /= 4)
				strs[nstr][k] = alpha[x % 4];
			strs[nstr][len] = '\0';
		}
	}
	for (int len = 1; len <= 3; len++) {
		int total = len == 1 ? ntok : len == 2 ? ntok * ntok : ntok * ntok * ntok;

		for (int v = 0; v < total && bad < 20; v++) {
			char re[32] = "";
			struct ere_error err;
			regex_t r;
			int g;

			for (int k = 0, x = v; k < len; k++, x /= ntok)
				strcat(re, tok[x % ntok]);
			g = regcomp(&r, re, REG_EXTENDED | REG_NOSUB) == 0;
			if (ere_compile(prog, sizeof(prog), re, &err) < 0) {
				if (g && !strstr(err.msg, "back-references")) {
					print_error("'%s': glibc accepts, we reject: %s\n", re, err.msg);
					bad++;
				}
			} else if (!g) {
				print_error("'%s': we accept, glibc rejects\n", re);
				bad++;
			} else {
				accepted++;
				for (int i = 0; i < nstr; i++) {
					int want = regexec(&r, strs[i], 0, NULL, 0) == 0;

					if (ere_match((const struct ere *)prog, strs[i]) != want) {
						print_error("'%s' vs '%s': glibc %d, ours %d\n", re, strs[i], want, !want);
						bad++;
					}
				}
			}
			if (g)
				regfree(&r);
		}
	}
	print_message("# %d patterns accepted and compared on %d subjects each\n", accepted, nstr);
	assert_int_equal(bad, 0);
	assert_true(accepted > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_set_limit),
		cmocka_unit_test(test_buffer_bounds),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_exhaustive),
	};

	return cmocka_run_group_tests_name("ere", tests, NULL, NULL);
}
