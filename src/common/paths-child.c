/*
 * The environment of a tracked child (see paths.h): the one place that
 * knows what the env module sets, for `xalt run` and doctor's self-tests.
 * Apart from paths.c because it allocates: the preload library never calls
 * it, and so never links it.
 */
#include "paths.h"
#include "xalt-env.h"

#include <stdlib.h>
#include <string.h>

/* Does the list `list` (entries separated by any of `seps`) hold `item`? */
static int in_list(const char *list, const char *item, const char *seps)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p;) {
		const char *c = strpbrk(p, seps);
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && !strncmp(p, item, n))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

/* "name=value" in a new string, or NULL. */
static char *entry(const char *name, const char *a, const char *b, const char *c)
{
	size_t ln = strlen(name), la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *e = malloc(ln + 1 + la + lb + lc + 1);

	if (!e)
		return NULL;
	memcpy(e, name, ln);
	e[ln] = '=';
	memcpy(e + ln + 1, a, la);
	memcpy(e + ln + 1 + la, b, lb);
	memcpy(e + ln + 1 + la + lb, c, lc + 1);
	return e;
}

int paths_env_set(char ***envp, const char *name, const char *value)
{
	size_t n = strlen(name), count = 0;
	char **v = *envp, *e = NULL;

	if (value && !(e = entry(name, value, "", "")))
		return -1;
	for (size_t i = 0; v[i]; i++) {
		if (!strncmp(v[i], name, n) && v[i][n] == '=') {
			free(v[i]);
			if (e) {
				v[i] = e;
				return 0;
			}
			for (size_t j = i; v[j]; j++)   /* removed: close the gap */
				v[j] = v[j + 1];
			return 0;
		}
		count++;
	}
	if (!e)
		return 0;
	v = realloc(v, (count + 2) * sizeof(*v));
	if (!v) {
		free(e);
		return -1;
	}
	v[count] = e;
	v[count + 1] = NULL;
	*envp = v;
	return 0;
}

void paths_env_free(char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
}

/* Prepend `item` to the list in `name` (separator sep[0]) unless it is an entry. */
static int prepend(char ***envp, const char *name, const char *seps, const char *item)
{
	const char *old = paths_getenv(*envp, name);
	const char sep[2] = { seps[0], '\0' };
	char *e;
	int rc;

	if (old && in_list(old, item, seps))
		return 0;
	if (!old || !*old)
		return paths_env_set(envp, name, item);
	e = entry("", item, sep, old);
	if (!e)
		return -1;
	rc = paths_env_set(envp, name, e + 1);    /* e is "=item:old" */
	free(e);
	return rc;
}

char **paths_child_env(char *const *envp, const char *prefix)
{
	size_t n = 0;
	char **v, *lib = NULL, *site = NULL, *rprof = NULL;
	const char *old_r;
	int rc = -1;

	for (char *const *e = envp; e && *e; e++)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(envp[i])))
			goto out;
	lib = entry("", prefix, "/", XALT_PRELOAD_RELPATH);
	site = entry("", prefix, "/", XALT_SITE_RELPATH);
	rprof = entry("", prefix, "/" XALT_SITE_RELPATH "/", "Rprofile.site");
	if (!lib || !site || !rprof)
		goto out;
	old_r = paths_getenv(v, "R_PROFILE");
	/* ld.so accepts ':' or ' ' between LD_PRELOAD entries; we add ':'. */
	if (prepend(&v, "LD_PRELOAD", ": ", lib + 1) < 0 ||
	    paths_env_set(&v, XALT_ENV_TRACKING, "yes") < 0 ||
	    paths_env_set(&v, XALT_ENV_DIR, prefix) < 0 ||
	    prepend(&v, "PYTHONPATH", ":", site + 1) < 0 ||
	    (old_r && *old_r && strcmp(old_r, rprof + 1) &&
	     paths_env_set(&v, XALT_ENV_R_PROFILE_CHAIN, old_r) < 0) ||
	    paths_env_set(&v, "R_PROFILE", rprof + 1) < 0)
		goto out;
	rc = 0;
out:
	free(lib);
	free(site);
	free(rprof);
	if (rc < 0) {
		paths_env_free(v);
		return NULL;
	}
	return v;
}
