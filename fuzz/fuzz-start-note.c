/*
 * Fuzz target: the start note's reader (src/common/start-note.c), on a note
 * as found (its checksum mostly refuses garbage at once) and on the same
 * bytes given a valid checksum line, so the fuzzer reaches every field
 * check. A note accepted must have its strings inside the buffer, halves of
 * printable ASCII, a config of the length it says; written again with
 * start_note_format it must read back the same; the first-lines peek must
 * agree with the full reader.
 */
#include "fuzz.h"
#include "crc32.h"
#include "start-note.h"

static char in[START_NOTE_MAX + 32], again[START_NOTE_MAX + 32], copy[START_NOTE_MAX + 32];

static int inside(const char *p, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len;
}

static void check(char *buf, size_t len)
{
	struct start_note n, m, peek;
	struct fmt f;

	memcpy(copy, buf, len);
	if (start_note_parse(buf, len, &n) < 0)
		return;
	FUZZ_CHECK(inside(n.uuid, buf, len) && inside(n.program, buf, len) &&
		   inside(n.self, buf, len) && inside(n.dest, buf, len) &&
		   inside(n.head, buf, len) && inside(n.context, buf, len) &&
		   inside(n.config, buf, len) && inside(n.config + n.config_len, buf, len));
	FUZZ_CHECK(n.pid > 0 && n.head_len > 0 && strlen(n.config) == n.config_len);
	for (size_t i = 0; i < n.head_len; i++)
		FUZZ_CHECK(n.head[i] >= 0x20 && n.head[i] < 0x7f);
	FUZZ_CHECK(start_note_peek(copy, len < START_NOTE_PEEK ? len : START_NOTE_PEEK, &peek) == 0);
	FUZZ_CHECK(peek.pid == n.pid && peek.starttime == n.starttime && peek.pidns == n.pidns);

	fmt_init(&f, again, sizeof(again));
	start_note_format(&f, &n);
	FUZZ_CHECK(fmt_end(&f) >= 0);
	FUZZ_CHECK(start_note_parse(again, f.len, &m) == 0);
	FUZZ_CHECK(m.pid == n.pid && m.uid == n.uid && m.starttime == n.starttime &&
		   m.pidns == n.pidns && m.start_sec == n.start_sec &&
		   m.start_nsec == n.start_nsec && m.forced == n.forced && m.track == n.track &&
		   !strcmp(m.uuid, n.uuid) && !strcmp(m.program, n.program) &&
		   !strcmp(m.self, n.self) && !strcmp(m.transmission, n.transmission) &&
		   !strcmp(m.dest, n.dest) && m.head_len == n.head_len &&
		   !memcmp(m.head, n.head, n.head_len) && m.context_len == n.context_len &&
		   !memcmp(m.context, n.context, n.context_len) && !strcmp(m.config, n.config));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt f;

	if (size > START_NOTE_MAX)
		return 0;
	memcpy(in, data, size);
	check(in, size);

	/* The same bytes with a checksum that fits them. */
	memcpy(in, data, size);
	fmt_init(&f, in + size, sizeof(in) - size);
	fmt_str(&f, "end ");
	fmt_hex(&f, crc32_update(0, data, size), 8);
	fmt_char(&f, '\n');
	FUZZ_CHECK(fmt_end(&f) == 13);
	check(in, size + 13);
	return 0;
}
