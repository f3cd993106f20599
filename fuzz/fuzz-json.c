/*
 * Fuzz target: the preload library's JSON writer (src/common/json-out.c).
 * Any bytes, as a key, as a string value, split into array elements, and
 * as numbers, must give pure printable ASCII that jansson parses, and an
 * ASCII string must read back unchanged. json_escape must respect its
 * output bound.
 */
#include "fuzz.h"
#include "json-out.h"

#include <jansson.h>
#include <string.h>

static char outmem[8 << 20];
static struct fuzz_buf ob = { outmem, sizeof(outmem), 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char buf[100], key[64], small[64];
	struct json_out j;
	json_error_t err;
	json_t *v, *val;
	size_t klen = size < sizeof(key) - 1 ? size : sizeof(key) - 1;
	long long n = 0;
	double d = 0;
	int ascii = 1;
	long k;

	if (size > (1 << 20))
		return 0;
	memcpy(key, s, klen);
	key[klen] = '\0';           /* the key stops at the first NUL, as C strings do */
	if (size >= sizeof(n))
		memcpy(&n, s, sizeof(n));
	if (size >= sizeof(d))
		memcpy(&d, s + size - sizeof(d), sizeof(d));
	ob.len = 0;
	json_out_init(&j, buf, sizeof(buf), fuzz_sink, &ob);
	json_out_begin_object(&j, NULL);
	json_out_string_len(&j, "v", s, size);
	json_out_string(&j, "k", key);
	json_out_string(&j, key, "value under a hostile key");
	json_out_begin_array(&j, "parts");
	for (size_t a = 0, b = 0; b <= size; b++) {
		if (b == size || data[b] == 0xff) {
			json_out_string_len(&j, NULL, s + a, b - a);
			a = b + 1;
		}
	}
	json_out_end_array(&j);
	json_out_int(&j, "n", n);
	json_out_double(&j, "d", d, (int)(size % 12));
	json_out_end_object(&j);
	FUZZ_CHECK(json_out_finish(&j) == 0);
	for (size_t i = 0; i < ob.len; i++)
		FUZZ_CHECK(ob.data[i] >= 0x20 && ob.data[i] < 0x7f);
	v = json_loadb(ob.data, ob.len, JSON_ALLOW_NUL, &err);
	if (!v)
		fprintf(stderr, "jansson: %s at %d\n", err.text, err.position);
	FUZZ_CHECK(v != NULL);
	val = json_object_get(v, "v");
	FUZZ_CHECK(json_is_string(val));
	for (size_t i = 0; i < size; i++)
		ascii &= data[i] < 0x80;
	if (ascii)
		FUZZ_CHECK(json_string_length(val) == size && !memcmp(json_string_value(val), s, size));
	json_decref(v);

	k = json_escape(small, size % sizeof(small), s, size);
	FUZZ_CHECK(k == -1 || (size_t)k <= size % sizeof(small));
	return 0;
}
