/*
 * Unit tests of SHA-1 (src/common/sha1.c) against the FIPS 180-2 appendix A
 * vectors, the empty message, one million 'a' fed in odd-sized pieces (block
 * boundaries), and messages of every length around the 55/56/64-byte padding
 * edges, whole and in two pieces, compared with sha1sum(1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt.h"
#include "sha1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The 40 hex digits of a digest, as the record writes them. */
static void digest_hex(char out[41], const unsigned char dg[20])
{
	struct fmt f;

	fmt_init(&f, out, 41);
	fmt_hex_bytes(&f, dg, 20);
	assert_int_equal(fmt_end(&f), 40);
}

static void hex_of(const void *d, size_t n, char out[41])
{
	struct sha1_ctx c;
	unsigned char dg[20];

	sha1_init(&c);
	sha1_update(&c, d, n);
	sha1_final(&c, dg);
	digest_hex(out, dg);
}

static void test_vectors(void **state)
{
	char h[41];

	(void)state;
	hex_of("", 0, h);
	assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	hex_of("abc", 3, h);
	assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	hex_of("The quick brown fox jumps over the lazy dog", 43, h);
	assert_string_equal(h, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

static void test_million_a(void **state)
{
	static char a[1000];
	struct sha1_ctx c;
	unsigned char dg[20];
	char h[41];
	size_t done = 0, step = 1;

	(void)state;
	memset(a, 'a', sizeof(a));
	sha1_init(&c);
	while (done < 1000000) {       /* pieces of 1, 2, 3 ... 999 bytes */
		size_t n = step < 1000000 - done ? step : 1000000 - done;
		sha1_update(&c, a, n);
		done += n;
		step = step % 999 + 1;
	}
	sha1_final(&c, dg);
	digest_hex(h, dg);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* The digest of d[0 .. n) by sha1sum(1), an implementation not ours. */
static void sha1sum_of(const void *d, size_t n, char out[41])
{
	char path[] = "/tmp/test-sha1.XXXXXX", cmd[64];
	int fd = mkstemp(path);
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, d, n), (ssize_t)n);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sha1sum <%s", path);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(out, 41, p));
	pclose(p);
	unlink(path);
	assert_int_equal(strspn(out, "0123456789abcdef"), 40);
}

/* Every length 0-130 (the 55/56/64-byte padding edges and two blocks), in
 * one piece and cut in two: as sha1sum says. */
static void test_lengths_as_sha1sum(void **state)
{
	unsigned char msg[130];
	char want[41], one[41], two[41];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 1);
	for (size_t n = 0; n <= sizeof(msg); n++) {
		sha1sum_of(msg, n, want);
		hex_of(msg, n, one);
		assert_string_equal(one, want);
		for (size_t cut = 0; cut <= n; cut += 13) {
			struct sha1_ctx c;
			unsigned char dg[20];

			sha1_init(&c);
			sha1_update(&c, msg, cut);
			sha1_update(&c, msg + cut, n - cut);
			sha1_final(&c, dg);
			digest_hex(two, dg);
			assert_string_equal(two, want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_lengths_as_sha1sum),
	};
	return cmocka_run_group_tests_name("sha1", tests, NULL, NULL);
}
