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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

#endif
