/*
 * Fuzz target: the JSON member scanner (src/cli/ingest/json-scan.c) and
 * the known-library-array fast path built on it (known-libs.c, parse.c).
 *
 * For any bytes:
 * - a slice found lies inside the text;
 * - on a valid JSON object, the slice is exactly the member's value, and
 *   jansson's own rendering of the object always has the member found;
 * - when the slice is a JSON array, and the text with [] in its place
 *   parses, the text as written parses too (what makes the fast path safe);
 * - parsing a record a second time, now through the fast path, gives the
 *   same verdict, the same reason and the same library paths.
 */
#include "arena.h"
#include "fuzz.h"
#include "ingest.h"
#include "json-scan.h"
#include "known-libs.h"
#include "validate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The flags ingest parses with: a known array never holds a duplicate key. */
#define FLAGS JSON_REJECT_DUPLICATES

/* The slice [b, e) of text found by the scanner; root: text parsed, or NULL. */
static void check_slice(const char *text, size_t len, const char *b, const char *e, json_t *root)
{
	size_t head = (size_t)(b - text), tail = len - (size_t)(e - text);
	json_t *slice, *sub;
	char *copy;

	FUZZ_CHECK(text <= b && b < e && e <= text + len);
	slice = json_loadb(b, (size_t)(e - b), JSON_DECODE_ANY | FLAGS, NULL);
	if (json_is_object(root))
		FUZZ_CHECK(slice && json_equal(slice, json_object_get(root, "libraries")));
	if (json_is_array(slice)) {
		copy = malloc(head + 2 + tail);
		FUZZ_CHECK(copy != NULL);
		memcpy(copy, text, head);
		memcpy(copy + head, "[]", 2);
		memcpy(copy + head + 2, e, tail);
		sub = json_loadb(copy, head + 2 + tail, FLAGS, NULL);
		FUZZ_CHECK(!sub || root);
		json_decref(sub);
		free(copy);
	}
	json_decref(slice);
}

/* A valid object holding the member, as jansson writes it (escapes in the
 * strings before it included): the scanner must find the member. */
static void check_rendered(json_t *root)
{
	char *text = json_dumps(root, JSON_COMPACT);
	const char *b, *e;
	json_t *slice;

	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(jscan_member(text, strlen(text), "libraries", &b, &e));
	slice = json_loadb(b, (size_t)(e - b), JSON_DECODE_ANY | FLAGS, NULL);
	FUZZ_CHECK(slice && json_equal(slice, json_object_get(root, "libraries")));
	json_decref(slice);
	free(text);
}

/* Parse twice: the first parse may teach the store the array, the second
 * may then take the fast path. Both must say the same. */
static void check_parse_twice(const char *text, size_t len)
{
	struct ingest_parsed *p1 = ingest_parse(text, len), *p2 = ingest_parse(text, len);
	const char *e1 = ingest_parsed_error(p1), *e2 = ingest_parsed_error(p2);
	const struct run_rec *r1 = ingest_parsed_record(p1), *r2 = ingest_parsed_record(p2);

	FUZZ_CHECK(!e1 == !e2);
	FUZZ_CHECK(!e1 || !strcmp(e1, e2));
	if (r1) {
		FUZZ_CHECK(r1->nlibs == r2->nlibs && r1->npkgs == r2->npkgs);
		for (size_t i = 0; i < r1->nlibs; i++)
			FUZZ_CHECK(!strcmp(r1->libs[i], r2->libs[i]));
	}
	ingest_parsed_free(p1);
	ingest_parsed_free(p2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *b, *e;
	json_t *root;

	arena_jansson_init();
	known_libs_clear();
	root = json_loadb(text, size, FLAGS, NULL);
	if (jscan_member(text, size, "libraries", &b, &e))
		check_slice(text, size, b, e, root);
	if (json_is_object(root) && json_object_get(root, "libraries"))
		check_rendered(root);
	json_decref(root);
	check_parse_twice(text, size);
	return 0;
}
