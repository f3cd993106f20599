/*
 * What every fuzz harness in fuzz/ shares: the libFuzzer entry point, and a
 * check that aborts (so libFuzzer and the corpus replay both report it) when
 * a property the harness asserts does not hold.
 *
 * Each harness is built twice: with clang -fsanitize=fuzzer,address,undefined
 * for `make fuzz`, and plain, linked with replay.c, so `make check` feeds it
 * the committed corpus fuzz/corpus/<target>/ in every build (t4300).
 */
#ifndef XALT_FUZZ_H
#define XALT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

/* A json_out flush target that collects the output in a caller's buffer. */
struct fuzz_buf {
	char *data;       /* the caller's storage */
	size_t cap, len;  /* its size, bytes used */
};

static inline int fuzz_sink(void *ctx, const char *d, size_t n)
{
	struct fuzz_buf *b = ctx;

	if (b->len + n > b->cap)
		return -1;
	memcpy(b->data + b->len, d, n);
	b->len += n;
	return 0;
}

#endif
