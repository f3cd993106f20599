/*
 * Record loader (see ingest.h): parse with jansson, validate against the
 * xalt-run/1 schema of docs/records.md, resolve the entity ids (cached in
 * memory, see idmap.h), insert the run, and queue its package and library
 * rows on bulk inserters.
 *
 * Validation happens entirely before the first write, so a rejected record
 * leaves nothing behind. The run row is inserted with ON CONFLICT (uuid) DO
 * NOTHING RETURNING id: no row back means the run is already stored, and
 * nothing else of it is written (idempotent re-ingest).
 *
 * Sections: allocation arena | validation | entity ids | loading
 */
#include "ingest.h"
#include "cli.h"
#include "db.h"
#include "idmap.h"
#include "xbuf.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

/* A record after validation: pointers borrow from the json_t tree. */
struct pkg {
	const char *program, *name, *version, *path;  /* version/path "" if null */
	int64_t import_us;                            /* DB_BULK_NULL if unknown */
	int64_t name_id, package_id;
};

struct rec {
	const char *uuid, *syshost, *host, *user;
	json_t *uid;                                   /* integer or NULL */
	const char *exec_path, *exec_sha1, *exec_program;
	int64_t exec_size, exec_mtime, exec_inode;
	const char *cwd;
	char *cmdline, *env;                           /* compact JSON, malloc'd */
	double start_time;
	json_t *end_time, *run_time;                   /* numbers or NULL */
	const char *exit_how;
	json_t *exit_status, *exit_signal;
	json_t *sampling_probability, *sampling_forced;
	const char *job_scheduler, *omp;
	char *job_id;                                  /* malloc'd (may be a number) */
	json_t *job_ntasks, *job_nnodes, *job_rank;
	const char *interp_program, *interp_version, *interp_kind, *interp_prefix;
	size_t nlibs, npkgs;
	const char **libs;                             /* library paths */
	const struct known_libs *known;                /* libs borrowed from there, or NULL */
	struct pkg *pkgs;
};

struct ingest {
	struct db *db;
	struct db_stmt *user, *host, *exec, *lib, *libset_new, *libset_get;
	struct db_stmt *pname, *pkg, *run;
	struct db_stmt *user_get, *host_get, *exec_get, *lib_get, *pname_get, *pkg_get;
	struct db_bulk *run_package, *libset_library;
	struct idmap users, hosts, execs, libs, libsets, libset_paths, pnames, pkgs;
	struct idmap libset_known;                     /* known_libs address -> libset id */
	struct idmap pkg_seen;                         /* program, name, version, path -> pkg_ids */
	struct { int64_t name_id, package_id; } *pkg_ids;
	size_t npkg_ids, apkg_ids;
	struct xbuf key;                               /* scratch for cache keys */
};

/* === allocation arena ======================================================= */

/*
 * jansson allocates every value, key and hash table separately; with malloc
 * and free that was a quarter of ingest time (perf, 10 k records). While a
 * thread has an arena set, jansson's allocations come from it by bumping a
 * pointer and frees do nothing; the whole arena is dropped once its records
 * are loaded. Without an arena, plain malloc/free.
 */
struct arena_chunk {
	struct arena_chunk *next;  /* older chunk */
	size_t used, size;         /* bytes used / available in data */
	max_align_t data[];
};

static __thread struct ingest_arena *cur_arena;

static void *jalloc(size_t n)
{
	struct ingest_arena *a = cur_arena;
	struct arena_chunk *c;

	if (!a)
		return malloc(n);
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > (1u << 20) ? n : (1u << 20);
		if (!(c = malloc(sizeof(*c) + size)))
			return NULL;
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	c->used += n;
	return (char *)c->data + c->used - n;
}

static void jfree(void *p)
{
	if (!cur_arena)
		free(p);
}

void ingest_arena_use(struct ingest_arena *a)
{
	cur_arena = a;
}

void ingest_arena_release(struct ingest_arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
}

void ingest_global_init(void)
{
	static int done;

	if (done++)
		return;
	json_set_alloc_funcs(jalloc, jfree);
	json_object_seed(0);    /* before any thread creates an object (jansson docs) */
}

/* === validation ============================================================= */

static int reject(struct xbuf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Set the rejection reason. It quotes bytes of the file (a schema name,
 * jansson's "near '...'"), so anything but printable ASCII is shown as \xHH:
 * a hostile record must not put escape sequences on the admin's terminal.
 * Returns -1.
 */
static int reject(struct xbuf *why, const char *fmt, ...)
{
	struct xbuf raw = XBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	xbuf_vaddf(&raw, fmt, ap);
	va_end(ap);
	xbuf_reset(why);
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char c = (unsigned char)raw.buf[i];
		if (c < 0x20 || c >= 0x7f)
			xbuf_addf(why, "\\x%02x", c);
		else
			xbuf_addch(why, c);
	}
	xbuf_release(&raw);
	return -1;
}

/*
 * Fetch obj[key] as a string of at most max bytes into *out. Absent or null:
 * required is an error, else *out = dflt. Returns 0 or -1 with why set.
 */
static int get_str(json_t *obj, const char *key, const char *where, int required,
		   size_t max, const char *dflt, const char **out, struct xbuf *why)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			return reject(why, "missing field '%s%s'", where, key);
		*out = dflt;
		return 0;
	}
	if (!json_is_string(v))
		return reject(why, "field '%s%s' is not a string", where, key);
	if (max && json_string_length(v) > max)
		return reject(why, "field '%s%s' is longer than %zu bytes", where, key, max);
	*out = json_string_value(v);
	return 0;
}

/* obj[key] must be absent, null, or of the type test accepts. */
static int get_opt(json_t *obj, const char *key, const char *where, int (*ok)(const json_t *),
		   const char *type, json_t **out, struct xbuf *why)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!ok(v))
		return reject(why, "field '%s%s' is not %s", where, key, type);
	*out = v;
	return 0;
}

static int is_number(const json_t *v) { return json_is_number(v); }
static int is_integer(const json_t *v) { return json_is_integer(v); }
static int is_bool(const json_t *v) { return json_is_boolean(v); }

static int valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

/* Free what validate allocated; the JSON dumps only when they came from
 * malloc (in_arena: they live and die with the arena). */
static void rec_free(struct rec *r, int in_arena)
{
	if (!in_arena) {
		free(r->cmdline);
		free(r->env);
	}
	free(r->job_id);
	if (!r->known)
		free(r->libs);
	free(r->pkgs);
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct pkg *x = *(const struct pkg *const *)a, *y = *(const struct pkg *const *)b;
	int c = strcmp(x->program, y->program);
	return c ? c : strcmp(x->name, y->name);
}

/* The schema promises one entry per (program, name); a second one would break
 * run_package's primary key and fail the whole batch, so reject it here. */
static int check_unique_packages(const struct rec *r, struct xbuf *why)
{
	const struct pkg **v;
	size_t i;
	int rc = 0;

	if (r->npkgs < 2)
		return 0;
	v = xcalloc(r->npkgs, sizeof(*v));
	for (i = 0; i < r->npkgs; i++)
		v[i] = &r->pkgs[i];
	qsort(v, r->npkgs, sizeof(*v), cmp_pkg);
	for (i = 1; i < r->npkgs; i++) {
		if (!cmp_pkg(&v[i], &v[i - 1])) {
			rc = reject(why, "package '%s' of '%s' listed twice", v[i]->name, v[i]->program);
			break;
		}
	}
	free(v);
	return rc;
}

/* === known library lists ==================================================== */

/*
 * The libraries array is most of a record's bytes and objects (15-40
 * {"path": ...} objects), and runs of one program on one software stack
 * repeat it byte for byte. Once a record holding a given array text has been
 * parsed and validated in full, a later record with the same bytes at the
 * same place needs no second parse of them: ingest_parse hands jansson the
 * record with that array replaced by [] and takes the paths from here.
 *
 * This is not a second JSON parser: skip_value only finds where a value ends
 * (strings, escapes, nesting), and every byte outside the known array still
 * goes through jansson. It is exact for valid JSON; on anything else it
 * returns NULL or a slice that matches no known text, and the record takes
 * the ordinary path. If jansson accepts the record with [] in place of a
 * known array, the record as written is valid too (a valid value swapped for
 * another), duplicate "libraries" keys are still seen by jansson, and any
 * rejection is recomputed on the original text, so reasons and positions are
 * unchanged. Shared by all parsing threads (one lock per record); bounded.
 */
struct known_libs {
	size_t n;                  /* number of paths */
	const char **libs;         /* the paths, in order (one allocation with them) */
};

#define KNOWN_MAX 4096            /* distinct arrays kept */
#define KNOWN_TEXT_MAX (64u << 10) /* longest array text kept */

static struct {
	pthread_mutex_t mu;
	struct idmap index;         /* array text -> position in v */
	struct known_libs *v;
	size_t n;
} known = { .mu = PTHREAD_MUTEX_INITIALIZER };

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
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
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

/* The text of the top-level "libraries" array: 1 with [*b, *e), else 0. */
static int find_libraries(const char *text, size_t len, const char **b, const char **e)
{
	const char *p = text, *end = text + len, *k, *ke;

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
		if (ke - k == 9 && !memcmp(k, "libraries", 9)) {
			*e = p;
			return **b == '[' && (size_t)(p - *b) <= KNOWN_TEXT_MAX;
		}
		p = skip_ws(p, end);
		if (p >= end || *p++ != ',')
			return 0;
	}
}

/* The paths of a known array text, or NULL. They stay valid until
 * ingest_known_clear. */
static const struct known_libs *known_get(const char *b, size_t len)
{
	const struct known_libs *k = NULL;
	int64_t i;

	pthread_mutex_lock(&known.mu);
	if ((i = idmap_get(&known.index, b, len)) >= 0)
		k = &known.v[i];
	pthread_mutex_unlock(&known.mu);
	return k;
}

/* Remember that the array text [b, b+len) holds these n validated paths. */
static void known_put(const char *b, size_t len, const char *const *libs, size_t n)
{
	size_t bytes = n * sizeof(char *);
	char *s;

	pthread_mutex_lock(&known.mu);
	if (known.n < KNOWN_MAX && idmap_get(&known.index, b, len) < 0) {
		struct known_libs *k;
		if (!known.v)
			known.v = xcalloc(KNOWN_MAX, sizeof(*known.v));  /* never moves */
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

/* Forget every known array (no record parsed with them may be in use). */
static void known_clear(void)
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

/*
 * Validate root against xalt-run/1 and fill r. 0, or -1 with why set.
 * With kl, root's libraries must be the [] put in place of that known array.
 */
static int validate(json_t *root, struct rec *r, const struct known_libs *kl, struct xbuf *why)
{
	json_t *v, *exec, *o, *a;
	struct xbuf nowhy = XBUF_INIT;
	const char *schema;
	size_t i;

	if (!json_is_object(root))
		return reject(why, "not a JSON object");
	if (get_str(root, "schema", "", 1, 64, NULL, &schema, why))
		return -1;
	if (strcmp(schema, "xalt-run/1"))
		return reject(why, "unknown schema '%s' (expected 'xalt-run/1')", schema);
	if (get_str(root, "run_uuid", "", 1, 64, NULL, &r->uuid, why))
		return -1;
	if (!valid_uuid(r->uuid))
		return reject(why, "field 'run_uuid' is not a lower-case UUID");
	if (get_str(root, "syshost", "", 1, INGEST_NAME_MAX, NULL, &r->syshost, why) ||
	    get_str(root, "host", "", 1, INGEST_NAME_MAX, NULL, &r->host, why) ||
	    get_str(root, "user", "", 1, INGEST_NAME_MAX, NULL, &r->user, why) ||
	    get_opt(root, "uid", "", is_integer, "an integer", &r->uid, why) ||
	    get_str(root, "cwd", "", 0, 0, NULL, &r->cwd, why))
		return -1;

	exec = json_object_get(root, "exec");
	if (!json_is_object(exec))
		return reject(why, "missing object 'exec'");
	if (get_str(exec, "path", "exec.", 1, INGEST_PATH_MAX, NULL, &r->exec_path, why) ||
	    get_str(exec, "sha1", "exec.", 0, 64, "", &r->exec_sha1, why) ||
	    get_str(exec, "program", "exec.", 0, INGEST_NAME_MAX, "", &r->exec_program, why))
		return -1;
	static const char *const ids[] = { "size", "mtime", "inode" };
	int64_t *idv[] = { &r->exec_size, &r->exec_mtime, &r->exec_inode };
	for (i = 0; i < 3; i++) {
		if (get_opt(exec, ids[i], "exec.", is_integer, "an integer", &v, why))
			return -1;
		*idv[i] = v ? json_integer_value(v) : 0;
	}

	v = json_object_get(root, "cmdline");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v))
			return reject(why, "field 'cmdline' is not an array");
		json_array_foreach(v, i, o)
			if (!json_is_string(o))
				return reject(why, "field 'cmdline[%zu]' is not a string", i);
		r->cmdline = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	}
	v = json_object_get(root, "env");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return reject(why, "field 'env' is not an object");
		r->env = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
	}

	v = json_object_get(root, "start_time");
	if (!json_is_number(v))
		return reject(why, "missing or non-numeric field 'start_time'");
	r->start_time = json_number_value(v);
	if (get_opt(root, "end_time", "", is_number, "a number", &r->end_time, why) ||
	    get_opt(root, "run_time", "", is_number, "a number", &r->run_time, why))
		return -1;

	r->exit_how = NULL;
	if ((o = json_object_get(root, "exit")) && !json_is_null(o)) {
		if (!json_is_object(o))
			return reject(why, "field 'exit' is not an object");
		if (get_str(o, "how", "exit.", 0, 32, NULL, &r->exit_how, why) ||
		    get_opt(o, "status", "exit.", is_integer, "an integer", &r->exit_status, why) ||
		    get_opt(o, "signal", "exit.", is_integer, "an integer", &r->exit_signal, why))
			return -1;
	}
	if ((o = json_object_get(root, "sampling")) && !json_is_null(o)) {
		if (!json_is_object(o))
			return reject(why, "field 'sampling' is not an object");
		if (get_opt(o, "probability", "sampling.", is_number, "a number",
			    &r->sampling_probability, why) ||
		    get_opt(o, "forced", "sampling.", is_bool, "a boolean", &r->sampling_forced, why))
			return -1;
	}
	if ((o = json_object_get(root, "job")) && !json_is_null(o)) {
		if (!json_is_object(o))
			return reject(why, "field 'job' is not an object");
		v = json_object_get(o, "id");
		if (json_is_integer(v)) {
			struct xbuf sb = XBUF_INIT;
			xbuf_addf(&sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			r->job_id = xbuf_detach(&sb, NULL);
		} else {
			const char *id;
			if (get_str(o, "id", "job.", 0, INGEST_NAME_MAX, NULL, &id, why))
				return -1;
			r->job_id = id ? xstrdup(id) : NULL;
		}
		if (get_str(o, "scheduler", "job.", 0, INGEST_NAME_MAX, NULL, &r->job_scheduler, why) ||
		    get_opt(o, "ntasks", "job.", is_integer, "an integer", &r->job_ntasks, why) ||
		    get_opt(o, "nnodes", "job.", is_integer, "an integer", &r->job_nnodes, why) ||
		    get_opt(o, "rank", "job.", is_integer, "an integer", &r->job_rank, why))
			return -1;
	}
	if (get_str(root, "omp_num_threads", "", 0, INGEST_NAME_MAX, NULL, &r->omp, why))
		return -1;
	if ((o = json_object_get(root, "interpreter")) && !json_is_null(o)) {
		if (!json_is_object(o))
			return reject(why, "field 'interpreter' is not an object");
		if (get_str(o, "program", "interpreter.", 0, INGEST_NAME_MAX, NULL, &r->interp_program, why) ||
		    get_str(o, "version", "interpreter.", 0, INGEST_NAME_MAX, NULL, &r->interp_version, why) ||
		    get_str(o, "kind", "interpreter.", 0, INGEST_NAME_MAX, NULL, &r->interp_kind, why) ||
		    get_str(o, "prefix", "interpreter.", 0, 0, NULL, &r->interp_prefix, why))
			return -1;
	}

	a = json_object_get(root, "libraries");
	if (kl) {
		if (!json_is_array(a) || json_array_size(a))
			return reject(why, "internal: known libraries not in place");
		r->nlibs = kl->n;
		r->libs = kl->libs;
		r->known = kl;
	} else if (a && !json_is_null(a)) {
		if (!json_is_array(a))
			return reject(why, "field 'libraries' is not an array");
		r->nlibs = json_array_size(a);
		r->libs = xcalloc(r->nlibs, sizeof(*r->libs));
		json_array_foreach(a, i, o) {
			json_t *path = json_object_get(o, "path");
			char where[48];
			if (!json_is_object(o))
				return reject(why, "field 'libraries[%zu]' is not an object", i);
			/* the common case without formatting the field's name (snprintf
			 * per entry was 4 % of ingest, callgrind) */
			if (json_is_string(path) && json_string_length(path) <= INGEST_PATH_MAX) {
				r->libs[i] = json_string_value(path);
				continue;
			}
			snprintf(where, sizeof(where), "libraries[%zu].", i);
			if (get_str(o, "path", where, 1, INGEST_PATH_MAX, NULL, &r->libs[i], why))
				return -1;
		}
	}
	a = json_object_get(root, "packages");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a))
			return reject(why, "field 'packages' is not an array");
		r->npkgs = json_array_size(a);
		r->pkgs = xcalloc(r->npkgs, sizeof(*r->pkgs));
		json_array_foreach(a, i, o) {
			struct pkg *p = &r->pkgs[i];
			char where[48];
			if (!json_is_object(o))
				return reject(why, "field 'packages[%zu]' is not an object", i);
			/* formatted only when it is needed (see libraries) */
			if (get_str(o, "program", "", 1, INGEST_NAME_MAX, NULL, &p->program, &nowhy) ||
			    get_str(o, "name", "", 1, INGEST_NAME_MAX, NULL, &p->name, &nowhy) ||
			    get_str(o, "version", "", 0, INGEST_NAME_MAX, "", &p->version, &nowhy) ||
			    get_str(o, "path", "", 0, INGEST_PATH_MAX, "", &p->path, &nowhy) ||
			    get_opt(o, "import_time", "", is_number, "a number", &v, &nowhy))
				xbuf_release(&nowhy);
			else if (!v || (json_number_value(v) >= 0 && json_number_value(v) <= 1e9))
				goto pkg_ok;
			snprintf(where, sizeof(where), "packages[%zu].", i);
			if (get_str(o, "program", where, 1, INGEST_NAME_MAX, NULL, &p->program, why) ||
			    get_str(o, "name", where, 1, INGEST_NAME_MAX, NULL, &p->name, why) ||
			    get_str(o, "version", where, 0, INGEST_NAME_MAX, "", &p->version, why) ||
			    get_str(o, "path", where, 0, INGEST_PATH_MAX, "", &p->path, why) ||
			    get_opt(o, "import_time", where, is_number, "a number", &v, why))
				return -1;
			if (v && (json_number_value(v) < 0 || json_number_value(v) > 1e9))
				return reject(why, "field '%simport_time' is out of range", where);
		pkg_ok:
			p->import_us = v ? (int64_t)(json_number_value(v) * 1e6 + 0.5) : DB_BULK_NULL;
		}
	}
	return check_unique_packages(r, why);
}

/* === entity ids ============================================================= */

/*
 * The id for key from the cache, else by running ins (an INSERT ... ON
 * CONFLICT DO NOTHING RETURNING id) and, when the row already existed, get
 * (its SELECT id); both with their parameters bound. Returns the id or -1.
 * DO NOTHING rather than a no-op DO UPDATE: SQLite then takes the new id
 * from last_insert_rowid instead of building a RETURNING table per row
 * (db-sqlite.c: the loading thread of a 100 k-run ingest 5.56 -> 4.48 s CPU).
 */
static int64_t resolve(struct idmap *m, struct db_stmt *ins, struct db_stmt *get,
		       const char *key, size_t len)
{
	struct db_stmt *st = ins;
	int64_t id = -1;
	int rc = db_step(st);

	if (rc == DB_DONE) {
		db_reset(ins);
		st = get;
		rc = db_step(st);
	}
	if (rc == DB_ROW)
		id = db_column_int64(st, 0);
	else if (rc == DB_DONE)
		error("internal error: no id returned");
	db_reset(st);
	if (id >= 0)
		idmap_put(m, key, len, id);
	return id;
}

/* Cache key: the fields joined by NUL bytes (no field can hold a NUL). */
static void make_key(struct xbuf *k, int n, ...)
{
	va_list ap;

	xbuf_reset(k);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);
		xbuf_add(k, s, strlen(s) + 1);
	}
	va_end(ap);
}

static int64_t user_id(struct ingest *in, const char *name)
{
	int64_t id = idmap_get(&in->users, name, strlen(name));

	if (id >= 0)
		return id;
	db_bind_str(in->user, 1, name);
	db_bind_str(in->user_get, 1, name);
	return resolve(&in->users, in->user, in->user_get, name, strlen(name));
}

static int64_t host_id(struct ingest *in, const struct rec *r)
{
	int64_t id;

	make_key(&in->key, 2, r->syshost, r->host);
	if ((id = idmap_get(&in->hosts, in->key.buf, in->key.len)) >= 0)
		return id;
	db_bind_str(in->host, 1, r->syshost);
	db_bind_str(in->host, 2, r->host);
	db_bind_str(in->host_get, 1, r->syshost);
	db_bind_str(in->host_get, 2, r->host);
	return resolve(&in->hosts, in->host, in->host_get, in->key.buf, in->key.len);
}

static int64_t exec_id(struct ingest *in, const struct rec *r)
{
	char nums[80];
	int64_t id;

	snprintf(nums, sizeof(nums), "%" PRId64 ":%" PRId64 ":%" PRId64,
		 r->exec_size, r->exec_mtime, r->exec_inode);
	make_key(&in->key, 3, r->exec_path, nums, r->exec_sha1);
	if ((id = idmap_get(&in->execs, in->key.buf, in->key.len)) >= 0)
		return id;
	db_bind_str(in->exec, 1, r->exec_path);
	db_bind_int64(in->exec, 2, r->exec_size);
	db_bind_int64(in->exec, 3, r->exec_mtime);
	db_bind_int64(in->exec, 4, r->exec_inode);
	db_bind_str(in->exec, 5, r->exec_sha1);
	db_bind_str(in->exec, 6, r->exec_program);
	db_bind_str(in->exec_get, 1, r->exec_path);
	db_bind_int64(in->exec_get, 2, r->exec_size);
	db_bind_int64(in->exec_get, 3, r->exec_mtime);
	db_bind_int64(in->exec_get, 4, r->exec_inode);
	db_bind_str(in->exec_get, 5, r->exec_sha1);
	return resolve(&in->execs, in->exec, in->exec_get, in->key.buf, in->key.len);
}

/*
 * The id of the run's library set (NULL-able: DB_BULK_NULL when the run has
 * no libraries). A new set gets its member rows; a known set costs one
 * cache lookup. The set is keyed by its library ids in load order; the
 * database key is a 128-bit hash of that list (two FNV-1a variants), so it
 * stays short enough to index whatever the number of libraries.
 */
static int64_t libset_id(struct ingest *in, const struct rec *r)
{
	struct xbuf ids = XBUF_INIT;
	int64_t *lib = xcalloc(r->nlibs, sizeof(*lib));
	int64_t id = -1;
	uint64_t h1 = 1469598103934665603ULL, h2 = 0x84222325cbf29ce4ULL;
	char hex[40];

	if (!r->nlibs) {
		free(lib);
		return DB_BULK_NULL;
	}
	/* A known array (see ingest_parse) is one address for all its runs:
	 * an 8-byte key instead of joining 15-40 paths (perf: strlen, memcmp
	 * and the map were a fifth of the loading thread). */
	if (r->known && (id = idmap_get(&in->libset_known, (const char *)&r->known,
					sizeof(r->known))) >= 0) {
		free(lib);
		return id;
	}
	/* Runs of one program repeat one set: a single lookup by the joined
	 * paths answers most records (30 lookups per record were 8 % of ingest). */
	xbuf_reset(&in->key);
	for (size_t i = 0; i < r->nlibs; i++)
		xbuf_add(&in->key, r->libs[i], strlen(r->libs[i]) + 1);
	if ((id = idmap_get(&in->libset_paths, in->key.buf, in->key.len)) >= 0)
		goto out;
	for (size_t i = 0; i < r->nlibs; i++) {
		size_t n = strlen(r->libs[i]);
		if ((lib[i] = idmap_get(&in->libs, r->libs[i], n)) < 0) {
			db_bind_str(in->lib, 1, r->libs[i]);
			db_bind_str(in->lib_get, 1, r->libs[i]);
			if ((lib[i] = resolve(&in->libs, in->lib, in->lib_get, r->libs[i], n)) < 0)
				goto out;
		}
		xbuf_addf(&ids, "%s%" PRId64, i ? "," : "", lib[i]);
	}
	if ((id = idmap_get(&in->libsets, ids.buf, ids.len)) >= 0)
		goto out;
	for (size_t i = 0; i < ids.len; i++) {
		h1 = (h1 ^ (unsigned char)ids.buf[i]) * 1099511628211ULL;
		h2 = (h2 ^ (unsigned char)ids.buf[i]) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
	}
	snprintf(hex, sizeof(hex), "%016" PRIx64 "%016" PRIx64, h1, h2);
	db_bind_str(in->libset_new, 1, hex);
	db_bind_int64(in->libset_new, 2, (int64_t)r->nlibs);
	int rc = db_step(in->libset_new);
	if (rc == DB_ROW) {
		id = db_column_int64(in->libset_new, 0);
		db_reset(in->libset_new);
		for (size_t i = 0; i < r->nlibs; i++) {
			int64_t row[3] = { id, lib[i], (int64_t)i };
			if (db_bulk_row(in->libset_library, row)) {
				id = -1;
				goto out;
			}
		}
	} else {
		db_reset(in->libset_new);
		if (rc < 0)
			goto out;
		db_bind_str(in->libset_get, 1, hex);
		rc = db_step(in->libset_get);
		id = rc == DB_ROW ? db_column_int64(in->libset_get, 0) : -1;
		db_reset(in->libset_get);
		if (id < 0)
			goto out;
	}
	idmap_put(&in->libsets, ids.buf, ids.len, id);
	xbuf_reset(&in->key);
	for (size_t i = 0; i < r->nlibs; i++)
		xbuf_add(&in->key, r->libs[i], strlen(r->libs[i]) + 1);
	idmap_put(&in->libset_paths, in->key.buf, in->key.len, id);
out:
	if (id >= 0 && r->known)
		idmap_put(&in->libset_known, (const char *)&r->known, sizeof(r->known), id);
	free(lib);
	xbuf_release(&ids);
	return id;
}

static int package_ids(struct ingest *in, struct rec *r)
{
	for (size_t i = 0; i < r->npkgs; i++) {
		struct pkg *p = &r->pkgs[i];
		int64_t k;

		/* one lookup for both ids of a package seen before (two were a
		 * tenth of the loading thread, perf) */
		make_key(&in->key, 4, p->program, p->name, p->version, p->path);
		if ((k = idmap_get(&in->pkg_seen, in->key.buf, in->key.len)) >= 0) {
			p->name_id = in->pkg_ids[k].name_id;
			p->package_id = in->pkg_ids[k].package_id;
			continue;
		}
		make_key(&in->key, 2, p->program, p->name);
		if ((p->name_id = idmap_get(&in->pnames, in->key.buf, in->key.len)) < 0) {
			db_bind_str(in->pname, 1, p->program);
			db_bind_str(in->pname, 2, p->name);
			db_bind_str(in->pname_get, 1, p->program);
			db_bind_str(in->pname_get, 2, p->name);
			p->name_id = resolve(&in->pnames, in->pname, in->pname_get, in->key.buf, in->key.len);
			if (p->name_id < 0)
				return INGEST_ERROR;
		}
		/* the name id's raw bytes: no snprintf per package row */
		xbuf_reset(&in->key);
		xbuf_add(&in->key, &p->name_id, sizeof(p->name_id));
		xbuf_add(&in->key, p->version, strlen(p->version) + 1);
		xbuf_add(&in->key, p->path, strlen(p->path) + 1);
		if ((p->package_id = idmap_get(&in->pkgs, in->key.buf, in->key.len)) < 0) {
			db_bind_int64(in->pkg, 1, p->name_id);
			db_bind_str(in->pkg, 2, p->version);
			db_bind_str(in->pkg, 3, p->path);
			db_bind_int64(in->pkg_get, 1, p->name_id);
			db_bind_str(in->pkg_get, 2, p->version);
			db_bind_str(in->pkg_get, 3, p->path);
			p->package_id = resolve(&in->pkgs, in->pkg, in->pkg_get, in->key.buf, in->key.len);
			if (p->package_id < 0)
				return INGEST_ERROR;
		}
		if (in->npkg_ids == in->apkg_ids) {
			in->apkg_ids = in->apkg_ids ? 2 * in->apkg_ids : 1024;
			in->pkg_ids = xrealloc(in->pkg_ids, in->apkg_ids * sizeof(*in->pkg_ids));
		}
		in->pkg_ids[in->npkg_ids].name_id = p->name_id;
		in->pkg_ids[in->npkg_ids].package_id = p->package_id;
		make_key(&in->key, 4, p->program, p->name, p->version, p->path);
		idmap_put(&in->pkg_seen, in->key.buf, in->key.len, (int64_t)in->npkg_ids++);
	}
	return 0;
}

/* === loading ================================================================ */

#define INSERT_ID(table, cols, vals, key) \
	"INSERT INTO " table " (" cols ") VALUES (" vals ") ON CONFLICT (" key \
	") DO NOTHING RETURNING id"

struct ingest *ingest_open(struct db *db)
{
	struct ingest *in = xcalloc(1, sizeof(*in));
	/* primary-key columns first: the SQLite backend sorts on them */
	static const char *const rp_cols[] = { "name_id", "user_id", "run_id", "package_id", "import_us" };
	static const char *const ll_cols[] = { "libset_id", "library_id", "position" };

	ingest_global_init();
	in->db = db;
	xbuf_init(&in->key, 0);
	if (!(in->user = db_prepare(db, INSERT_ID("users", "name", "?", "name"))) ||
	    !(in->user_get = db_prepare(db, "SELECT id FROM users WHERE name = ?")) ||
	    !(in->host = db_prepare(db, INSERT_ID("hosts", "syshost, host", "?, ?", "syshost, host"))) ||
	    !(in->host_get = db_prepare(db, "SELECT id FROM hosts WHERE syshost = ? AND host = ?")) ||
	    !(in->exec = db_prepare(db, INSERT_ID("executables", "path, size, mtime, inode, sha1, program",
						  "?, ?, ?, ?, ?, ?", "path, size, mtime, inode, sha1"))) ||
	    !(in->exec_get = db_prepare(db, "SELECT id FROM executables WHERE path = ? AND size = ?"
					" AND mtime = ? AND inode = ? AND sha1 = ?")) ||
	    !(in->lib = db_prepare(db, INSERT_ID("libraries", "path", "?", "path"))) ||
	    !(in->lib_get = db_prepare(db, "SELECT id FROM libraries WHERE path = ?")) ||
	    !(in->libset_new = db_prepare(db, "INSERT INTO libsets (hash, nlibs) VALUES (?, ?)"
					  " ON CONFLICT (hash) DO NOTHING RETURNING id")) ||
	    !(in->libset_get = db_prepare(db, "SELECT id FROM libsets WHERE hash = ?")) ||
	    !(in->pname = db_prepare(db, INSERT_ID("package_names", "program, name", "?, ?",
						   "program, name"))) ||
	    !(in->pname_get = db_prepare(db, "SELECT id FROM package_names WHERE program = ? AND name = ?")) ||
	    !(in->pkg = db_prepare(db, INSERT_ID("packages", "name_id, version, path", "?, ?, ?",
						 "name_id, version, path"))) ||
	    !(in->pkg_get = db_prepare(db, "SELECT id FROM packages WHERE name_id = ? AND version = ?"
				       " AND path = ?")) ||
	    !(in->run = db_prepare(db,
		"INSERT INTO runs (uuid, user_id, uid, host_id, exec_id, libset_id, cwd, cmdline,"
		" start_time, end_time, run_time, exit_how, exit_status, exit_signal,"
		" sampling_probability, sampling_forced, job_scheduler, job_id, job_ntasks,"
		" job_nnodes, job_rank, omp_num_threads, env, interp_program, interp_version,"
		" interp_kind, interp_prefix, origin, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (uuid) DO NOTHING RETURNING id")) ||
	    !(in->run_package = db_bulk_open(db, "run_package", rp_cols, 5)) ||
	    !(in->libset_library = db_bulk_open(db, "libset_library", ll_cols, 3))) {
		ingest_close(in);
		return NULL;
	}
	return in;
}

static void bind_opt_int(struct db_stmt *st, int i, json_t *v)
{
	if (v && json_is_integer(v))
		db_bind_int64(st, i, json_integer_value(v));
	else if (v && json_is_boolean(v))
		db_bind_int64(st, i, json_is_true(v));
	else
		db_bind_null(st, i);
}

static void bind_opt_real(struct db_stmt *st, int i, json_t *v)
{
	if (v)
		db_bind_double(st, i, json_number_value(v));
	else
		db_bind_null(st, i);
}

/* Insert the run row; returns its id, 0 for a duplicate, -1 on error. */
static int64_t insert_run(struct ingest *in, const struct rec *r, int64_t uid_, int64_t hid,
			  int64_t eid, int64_t lsid, const char *origin)
{
	struct db_stmt *st = in->run;
	struct timeval now;
	int64_t id;
	int rc, i = 1;

	gettimeofday(&now, NULL);
	db_bind_str(st, i++, r->uuid);
	db_bind_int64(st, i++, uid_);
	bind_opt_int(st, i++, r->uid);
	db_bind_int64(st, i++, hid);
	db_bind_int64(st, i++, eid);
	if (lsid == DB_BULK_NULL)
		db_bind_null(st, i++);
	else
		db_bind_int64(st, i++, lsid);
	db_bind_str(st, i++, r->cwd);
	db_bind_str(st, i++, r->cmdline);
	db_bind_double(st, i++, r->start_time);
	bind_opt_real(st, i++, r->end_time);
	bind_opt_real(st, i++, r->run_time);
	db_bind_str(st, i++, r->exit_how);
	bind_opt_int(st, i++, r->exit_status);
	bind_opt_int(st, i++, r->exit_signal);
	bind_opt_real(st, i++, r->sampling_probability);
	bind_opt_int(st, i++, r->sampling_forced);
	db_bind_str(st, i++, r->job_scheduler);
	db_bind_str(st, i++, r->job_id);
	bind_opt_int(st, i++, r->job_ntasks);
	bind_opt_int(st, i++, r->job_nnodes);
	bind_opt_int(st, i++, r->job_rank);
	db_bind_str(st, i++, r->omp);
	db_bind_str(st, i++, r->env);
	db_bind_str(st, i++, r->interp_program);
	db_bind_str(st, i++, r->interp_version);
	db_bind_str(st, i++, r->interp_kind);
	db_bind_str(st, i++, r->interp_prefix);
	db_bind_str(st, i++, origin);
	db_bind_double(st, i++, now.tv_sec + now.tv_usec / 1e6);
	rc = db_step(st);
	id = rc == DB_ROW ? db_column_int64(st, 0) : rc == DB_DONE ? 0 : -1;
	db_reset(st);
	return id;
}

struct ingest_parsed {
	json_t *root;           /* the document (NULL when it did not parse) */
	struct rec r;           /* validated fields, borrowed from root */
	int rejected;           /* 1: why says what is wrong */
	int in_arena;           /* root was carved from an arena: never decref it */
	struct xbuf why;        /* reason for rejection */
};

/* Parse text with the known array at [lb, le) replaced by []. 0 when the
 * record is valid, else -1 (p is reset: the caller parses the original). */
static int parse_known(struct ingest_parsed *p, const char *text, size_t len,
		       const char *lb, const char *le, const struct known_libs *kl)
{
	size_t head = (size_t)(lb - text), tail = len - (size_t)(le - text);
	char *copy = xmalloc(head + 2 + tail);
	json_error_t jerr;

	memcpy(copy, text, head);
	memcpy(copy + head, "[]", 2);
	memcpy(copy + head + 2, le, tail);
	p->root = json_loadb(copy, head + 2 + tail, JSON_REJECT_DUPLICATES, &jerr);
	free(copy);
	if (p->root && !validate(p->root, &p->r, kl, &p->why))
		return 0;
	rec_free(&p->r, p->in_arena);
	if (!p->in_arena)
		json_decref(p->root);
	memset(&p->r, 0, sizeof(p->r));
	p->root = NULL;
	xbuf_reset(&p->why);
	return -1;
}

struct ingest_parsed *ingest_parse(const char *text, size_t len)
{
	struct ingest_parsed *p = xcalloc(1, sizeof(*p));
	const struct known_libs *kl = NULL;
	const char *lb = NULL, *le = NULL;
	json_error_t jerr;
	int found;

	xbuf_init(&p->why, 0);
	p->in_arena = cur_arena != NULL;
	found = find_libraries(text, len, &lb, &le);
	if (found && (kl = known_get(lb, (size_t)(le - lb))) &&
	    !parse_known(p, text, len, lb, le, kl))
		return p;
	/* jansson rejects invalid UTF-8, \u0000 and lone surrogates by default:
	 * what we store is valid UTF-8 without NULs on both engines. */
	p->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!p->root) {
		reject(&p->why, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		p->rejected = 1;
	} else if (validate(p->root, &p->r, NULL, &p->why)) {
		p->rejected = 1;
	} else if (found && !kl && p->r.nlibs) {
		known_put(lb, (size_t)(le - lb), p->r.libs, p->r.nlibs);
	}
	return p;
}

const char *ingest_parsed_error(const struct ingest_parsed *p)
{
	return p->rejected ? p->why.buf : NULL;
}

void ingest_parsed_free(struct ingest_parsed *p)
{
	if (!p)
		return;
	rec_free(&p->r, p->in_arena);
	if (!p->in_arena)
		json_decref(p->root);
	xbuf_release(&p->why);
	free(p);
}

enum ingest_result ingest_load(struct ingest *in, struct ingest_parsed *p, const char *origin)
{
	struct rec *r = &p->r;
	int64_t uid_, hid, eid, lsid, run;

	if (p->rejected)
		return INGEST_REJECTED;
	if (!in->db->in_txn && db_begin(in->db))
		return INGEST_ERROR;
	if ((uid_ = user_id(in, r->user)) < 0 || (hid = host_id(in, r)) < 0 ||
	    (eid = exec_id(in, r)) < 0 || (lsid = libset_id(in, r)) == -1 ||
	    package_ids(in, r))
		return INGEST_ERROR;
	if ((run = insert_run(in, r, uid_, hid, eid, lsid, origin)) < 0)
		return INGEST_ERROR;
	if (run == 0)
		return INGEST_DUPLICATE;
	for (size_t i = 0; i < r->npkgs; i++) {
		int64_t row[5] = { r->pkgs[i].name_id, uid_, run, r->pkgs[i].package_id, r->pkgs[i].import_us };
		if (db_bulk_row(in->run_package, row))
			return INGEST_ERROR;
	}
	return INGEST_LOADED;
}

enum ingest_result ingest_record(struct ingest *in, const char *text, size_t len,
				 const char *origin, struct xbuf *why)
{
	struct ingest_parsed *p = ingest_parse(text, len);
	enum ingest_result res = ingest_load(in, p, origin);

	if (res == INGEST_REJECTED) {
		xbuf_reset(why);
		xbuf_addstr(why, p->why.buf);
	}
	ingest_parsed_free(p);
	return res;
}

int ingest_commit(struct ingest *in)
{
	if (!in->db->in_txn)
		return 0;
	return db_commit(in->db);
}

void ingest_close(struct ingest *in)
{
	if (!in)
		return;
	if (in->db->in_txn)
		db_rollback(in->db);
	db_finalize(in->user);
	db_finalize(in->host);
	db_finalize(in->exec);
	db_finalize(in->lib);
	db_finalize(in->libset_new);
	db_finalize(in->libset_get);
	db_finalize(in->pname);
	db_finalize(in->pkg);
	db_finalize(in->run);
	db_finalize(in->user_get);
	db_finalize(in->host_get);
	db_finalize(in->exec_get);
	db_finalize(in->lib_get);
	db_finalize(in->pname_get);
	db_finalize(in->pkg_get);
	idmap_clear(&in->users);
	idmap_clear(&in->hosts);
	idmap_clear(&in->execs);
	idmap_clear(&in->libs);
	idmap_clear(&in->libsets);
	idmap_clear(&in->libset_paths);
	idmap_clear(&in->libset_known);
	idmap_clear(&in->pkg_seen);
	free(in->pkg_ids);
	idmap_clear(&in->pnames);
	idmap_clear(&in->pkgs);
	xbuf_release(&in->key);
	free(in);
	known_clear();
}
