/*
 * Writing JSON by hand, for the preload library (libc only, no malloc).
 *
 * Output is pure ASCII: valid UTF-8 becomes \uXXXX (surrogate pairs above
 * U+FFFF); each byte of an invalid sequence becomes \u00XX (its Latin-1
 * reading), so any byte string yields valid JSON that jansson accepts.
 *
 * A json_out writes into a caller-supplied buffer and hands full buffers to a
 * flush callback (a file descriptor, a syslog chunker). Errors are sticky:
 * after one failure every call is a no-op and json_out_finish returns -1.
 */
#ifndef XALT_JSON_OUT_H
#define XALT_JSON_OUT_H

#include <stddef.h>

struct json_out {
	char *buf;                 /* caller's buffer */
	size_t cap;                /* its size */
	size_t len;                /* bytes pending in buf */
	int (*flush)(void *ctx, const char *data, size_t len); /* 0 ok, -1 fail */
	void *ctx;                 /* passed to flush */
	int err;                   /* sticky: set after a failed flush */
	int need_comma;            /* a value was written at this nesting level */
};

void json_out_init(struct json_out *j, char *buf, size_t cap,
		   int (*flush)(void *ctx, const char *data, size_t len), void *ctx);

/* Structure. `key` is NULL inside arrays and at the top level. */
void json_out_begin_object(struct json_out *j, const char *key);
void json_out_end_object(struct json_out *j);
void json_out_begin_array(struct json_out *j, const char *key);
void json_out_end_array(struct json_out *j);

/* Values. A NULL string is written as null. */
void json_out_string(struct json_out *j, const char *key, const char *s);
void json_out_string_len(struct json_out *j, const char *key, const char *s, size_t len);
void json_out_int(struct json_out *j, const char *key, long long v);
void json_out_double(struct json_out *j, const char *key, double v, int decimals);
void json_out_bool(struct json_out *j, const char *key, int v);
void json_out_null(struct json_out *j, const char *key);

/*
 * Members written earlier by json_out (the text between an object's braces,
 * e.g. a start note's half of a record), copied as they are, with the comma
 * before them when needed. Nothing is written for len 0. The caller vouches
 * that the text is valid members: it is not checked.
 */
void json_out_members(struct json_out *j, const char *members, size_t len);

/* Flush what is pending. Returns 0, or -1 if any write failed. */
int json_out_finish(struct json_out *j);

/*
 * Escape [s, s+len) as the inside of a JSON string (no quotes) into out.
 * Returns the number of bytes written, or -1 if out (size cap) is too small.
 */
long json_escape(char *out, size_t cap, const char *s, size_t len);

#endif
