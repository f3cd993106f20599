/*
 * The JSON member scanner (see json-scan.h): a few loops over bytes, no
 * allocation, no recursion.
 */
#include "json-scan.h"

#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == end)    /* skip the escaped byte */
			break;
	}
	return NULL;
}

/* The end of the value starting at p, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '[' && *p != '{') {
		const char *q = p;
		while (q < end && !strchr(",]} \t\n\r", *q))
			q++;
		return q > p ? q : NULL;
	}
	while (p < end) {
		if (*p == '"') {
			if (!(p = skip_string(p, end)))
				return NULL;
			continue;
		}
		if (*p == '[' || *p == '{')
			depth++;
		else if ((*p == ']' || *p == '}') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

int jscan_member(const char *text, size_t len, const char *key, const char **b, const char **e)
{
	const char *p = text, *end = text + len, *k, *ke;
	size_t klen = strlen(key);

	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return 0;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			return 0;
		k = p + 1;
		if (!(p = skip_string(p, end)))
			return 0;
		ke = p - 1;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return 0;
		p = skip_ws(p, end);
		*b = p;
		if (!(p = skip_value(p, end)))
			return 0;
		if ((size_t)(ke - k) == klen && !memcmp(k, key, klen)) {
			*e = p;
			return 1;
		}
		p = skip_ws(p, end);
		if (p >= end || *p++ != ',')
			return 0;
	}
}
