/*
 * Finding a member of a JSON object in its text without parsing it: the
 * scanner behind ingest's known library arrays (known-libs.h).
 *
 * It only finds where values end (strings with their escapes, nesting);
 * it checks no grammar beyond the top-level object's `"key": value,`
 * structure, so it is exact for valid JSON and, on anything else, finds
 * nothing or a slice that the caller must not trust further than "these
 * bytes sit where the member's value would be". Every byte is still parsed
 * by jansson (fuzz/fuzz-json-scan.c checks both claims).
 */
#ifndef XALT_JSON_SCAN_H
#define XALT_JSON_SCAN_H

#include <stddef.h>

/*
 * Find the value of the first top-level member named key (compared as raw
 * bytes: an escaped spelling of the key is not found) in the object text
 * [text, text+len). Returns 1 with the value's text in [*b, *e), else 0
 * (not an object, no such member, or the text ends or breaks first). This
 * function can't fail and reads nothing outside the text.
 */
int jscan_member(const char *text, size_t len, const char *key, const char **b, const char **e);

#endif
