/*
 * Fuzz target: the syslog reassembler (src/cli/ingest/syslog-reassemble.c). The
 * input is a log, split into lines. Every record passed on must have the
 * length and CRC-32 its chunks announced; the counters must add up.
 */
#include "fuzz.h"
#include "syslog-reassemble.h"

#include <string.h>

static size_t passed;

static int on_record(void *ctx, const char *uuid, const char *text, size_t len, const char *origin)
{
	(void)ctx;
	FUZZ_CHECK(strlen(uuid) == 36 && len > 0 && !strncmp(origin, "syslog:fuzz:", 12));
	FUZZ_CHECK(!memchr(text, '\n', len));   /* lines were split at newlines */
	passed++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_reasm *r = syslog_reasm_new(on_record, NULL);
	const struct syslog_reasm_stats *st;
	const char *p = (const char *)data, *end = p + size;
	size_t lineno = 0;

	passed = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		FUZZ_CHECK(syslog_reasm_line(r, p, n, "fuzz", ++lineno) == 0);
		p += n;
	}
	syslog_reasm_finish(r, NULL, NULL);
	st = syslog_reasm_stats(r);
	FUZZ_CHECK(st->complete == passed);
	FUZZ_CHECK(st->lines == lineno && st->chunks <= st->lines);
	FUZZ_CHECK(st->chunks_malformed + st->chunks_corrupt + st->chunks_duplicate +
		   st->chunks_conflict <= st->chunks);
	syslog_reasm_free(r);
	return 0;
}
