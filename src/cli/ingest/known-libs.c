/*
 * The store of known library arrays (see known-libs.h): array text -> its
 * validated paths, behind one mutex.
 */
#include "known-libs.h"
#include "cli.h"
#include "idmap.h"
#include "json-scan.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct {
	pthread_mutex_t mu;
	struct idmap index;         /* array text -> position in v */
	struct known_libs *v;       /* KNOWN_LIBS_MAX slots, allocated once: never moves */
	size_t n;                   /* slots used */
} known = { .mu = PTHREAD_MUTEX_INITIALIZER };

int known_libs_find(const char *text, size_t len, const char **b, const char **e)
{
	return jscan_member(text, len, "libraries", b, e) && **b == '[' &&
	       (size_t)(*e - *b) <= KNOWN_LIBS_TEXT_MAX;
}

const struct known_libs *known_libs_get(const char *b, size_t len)
{
	const struct known_libs *k = NULL;
	int64_t i;

	pthread_mutex_lock(&known.mu);
	if ((i = idmap_get(&known.index, b, len)) >= 0)
		k = &known.v[i];
	pthread_mutex_unlock(&known.mu);
	return k;
}

void known_libs_put(const char *b, size_t len, const char *const *libs, size_t n)
{
	size_t bytes = n * sizeof(char *);
	char *s;

	pthread_mutex_lock(&known.mu);
	if (known.n < KNOWN_LIBS_MAX && idmap_get(&known.index, b, len) < 0) {
		struct known_libs *k;
		if (!known.v)
			known.v = xcalloc(KNOWN_LIBS_MAX, sizeof(*known.v));
		k = &known.v[known.n];
		for (size_t i = 0; i < n; i++)
			bytes += strlen(libs[i]) + 1;
		k->libs = xmalloc(bytes);
		s = (char *)(k->libs + n);
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(libs[i]) + 1;
			memcpy(s, libs[i], l);
			k->libs[i] = s;
			s += l;
		}
		k->n = n;
		idmap_put(&known.index, b, len, (int64_t)known.n++);
	}
	pthread_mutex_unlock(&known.mu);
}

void known_libs_clear(void)
{
	pthread_mutex_lock(&known.mu);
	for (size_t i = 0; i < known.n; i++)
		free(known.v[i].libs);
	free(known.v);
	known.v = NULL;
	known.n = 0;
	idmap_clear(&known.index);
	pthread_mutex_unlock(&known.mu);
}
