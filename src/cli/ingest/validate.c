/*
 * Validation of a run record (see validate.h): one short function per
 * sub-object, run in the order of docs/records.md; each stops at the first
 * broken rule. The name of a field in a reason ("packages[3].name") is
 * formatted only when a record is rejected: snprintf per library or
 * package entry was 4 % of ingest (callgrind).
 *
 * Sections: reasons | field access | sub-objects | the record | the file it
 * came from
 */
#include "validate.h"
#include "cli.h"
#include "db.h"
#include "ingest.h"
#include "known-libs.h"
#include "xbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* === reasons ================================================================ */

int validate_reject(struct xbuf *why, const char *fmt, ...)
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
 * Where a field sits, as reasons name it: "" at the top level, "exec." in
 * an object, "packages[3]." in an element of an array.
 */
struct where {
	const char *name;   /* the containing member, "" at the top level */
	size_t index;       /* the element of that array, or NOT_IN_ARRAY */
};
#define NOT_IN_ARRAY SIZE_MAX

static const struct where top = { "", NOT_IN_ARRAY };

/* The text before a field's name in a reason, formatted into buf. */
static const char *prefix(const struct where *w, char *buf, size_t size)
{
	if (!*w->name)
		return "";
	if (w->index == NOT_IN_ARRAY)
		snprintf(buf, size, "%s.", w->name);
	else
		snprintf(buf, size, "%s[%zu].", w->name, w->index);
	return buf;
}

#define PREFIX(w) prefix((w), (char[64]){ 0 }, 64)

/* === field access =========================================================== */

/*
 * Fetch obj[key] as a string of at most max bytes (0: no limit) into *out.
 * Absent or null: an error when required, else *out = dflt. 0 or -1.
 */
static int get_str(json_t *obj, const char *key, const struct where *w, int required,
		   size_t max, const char *dflt, const char **out, struct xbuf *why)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			return validate_reject(why, "missing field '%s%s'", PREFIX(w), key);
		*out = dflt;
		return 0;
	}
	if (!json_is_string(v))
		return validate_reject(why, "field '%s%s' is not a string", PREFIX(w), key);
	if (max && json_string_length(v) > max)
		return validate_reject(why, "field '%s%s' is longer than %zu bytes", PREFIX(w), key, max);
	*out = json_string_value(v);
	return 0;
}

/* obj[key] into *out when it is of the type ok accepts, NULL when it is
 * absent or null; any other value is an error. 0 or -1. */
static int get_opt(json_t *obj, const char *key, const struct where *w, int (*ok)(const json_t *),
		   const char *type, json_t **out, struct xbuf *why)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!ok(v))
		return validate_reject(why, "field '%s%s' is not %s", PREFIX(w), key, type);
	*out = v;
	return 0;
}

static int is_number(const json_t *v) { return json_is_number(v); }
static int is_integer(const json_t *v) { return json_is_integer(v); }
static int is_bool(const json_t *v) { return json_is_boolean(v); }

/* root[key] into *out: 1 when it is an object, 0 when absent or null
 * (nothing to check), -1 when anything else. */
static int get_object(json_t *root, const char *key, json_t **out, struct xbuf *why)
{
	*out = json_object_get(root, key);
	if (!*out || json_is_null(*out))
		return 0;
	if (!json_is_object(*out))
		return validate_reject(why, "field '%s' is not an object", key);
	return 1;
}

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

/* === sub-objects ============================================================ */

/* schema, run_uuid and who ran where. */
static int check_identity(json_t *root, struct run_rec *r, struct xbuf *why)
{
	const char *schema;

	if (get_str(root, "schema", &top, 1, 64, NULL, &schema, why))
		return -1;
	if (strcmp(schema, "xalt-run/1"))
		return validate_reject(why, "unknown schema '%s' (expected 'xalt-run/1')", schema);
	if (get_str(root, "run_uuid", &top, 1, 64, NULL, &r->uuid, why))
		return -1;
	if (!valid_uuid(r->uuid))
		return validate_reject(why, "field 'run_uuid' is not a lower-case UUID");
	if (get_str(root, "parent_run_uuid", &top, 0, 64, NULL, &r->parent_uuid, why))
		return -1;
	if (r->parent_uuid && !valid_uuid(r->parent_uuid))
		return validate_reject(why, "field 'parent_run_uuid' is not a lower-case UUID");
	return get_str(root, "syshost", &top, 1, INGEST_NAME_MAX, NULL, &r->syshost, why) ||
	       get_str(root, "host", &top, 1, INGEST_NAME_MAX, NULL, &r->host, why) ||
	       get_str(root, "user", &top, 1, INGEST_NAME_MAX, NULL, &r->user, why) ||
	       get_opt(root, "uid", &top, is_integer, "an integer", &r->uid, why) ||
	       get_str(root, "cwd", &top, 0, 0, NULL, &r->cwd, why) ? -1 : 0;
}

static int check_exec(json_t *root, struct run_rec *r, struct xbuf *why)
{
	static const struct where w = { "exec", NOT_IN_ARRAY };
	static const char *const keys[] = { "size", "mtime", "inode" };
	int64_t *vals[] = { &r->exec_size, &r->exec_mtime, &r->exec_inode };
	json_t *exec = json_object_get(root, "exec"), *v;

	if (!json_is_object(exec))
		return validate_reject(why, "missing object 'exec'");
	if (get_str(exec, "path", &w, 1, INGEST_PATH_MAX, NULL, &r->exec_path, why) ||
	    get_str(exec, "sha1", &w, 0, 64, "", &r->exec_sha1, why) ||
	    get_str(exec, "program", &w, 0, INGEST_NAME_MAX, "", &r->exec_program, why))
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (get_opt(exec, keys[i], &w, is_integer, "an integer", &v, why))
			return -1;
		*vals[i] = v ? json_integer_value(v) : 0;
	}
	return 0;
}

/* cmdline and env are stored as compact JSON text. */
static int check_cmdline_env(json_t *root, struct run_rec *r, struct xbuf *why)
{
	json_t *v = json_object_get(root, "cmdline"), *o;
	size_t i;

	if (v && !json_is_null(v)) {
		if (!json_is_array(v))
			return validate_reject(why, "field 'cmdline' is not an array");
		json_array_foreach(v, i, o)
			if (!json_is_string(o))
				return validate_reject(why, "field 'cmdline[%zu]' is not a string", i);
		r->cmdline = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	}
	v = json_object_get(root, "env");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return validate_reject(why, "field 'env' is not an object");
		r->env = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
	}
	return 0;
}

static int check_times(json_t *root, struct run_rec *r, struct xbuf *why)
{
	json_t *v = json_object_get(root, "start_time");

	if (!json_is_number(v))
		return validate_reject(why, "missing or non-numeric field 'start_time'");
	r->start_time = json_number_value(v);
	return get_opt(root, "end_time", &top, is_number, "a number", &r->end_time, why) ||
	       get_opt(root, "run_time", &top, is_number, "a number", &r->run_time, why) ? -1 : 0;
}

static int check_exit(json_t *root, struct run_rec *r, struct xbuf *why)
{
	static const struct where w = { "exit", NOT_IN_ARRAY };
	json_t *o;
	int rc;

	if ((rc = get_object(root, "exit", &o, why)) <= 0)
		return rc;
	return get_str(o, "how", &w, 0, 32, NULL, &r->exit_how, why) ||
	       get_opt(o, "status", &w, is_integer, "an integer", &r->exit_status, why) ||
	       get_opt(o, "signal", &w, is_integer, "an integer", &r->exit_signal, why) ? -1 : 0;
}

static int check_sampling(json_t *root, struct run_rec *r, struct xbuf *why)
{
	static const struct where w = { "sampling", NOT_IN_ARRAY };
	json_t *o;
	int rc;

	if ((rc = get_object(root, "sampling", &o, why)) <= 0)
		return rc;
	return get_opt(o, "probability", &w, is_number, "a number", &r->sampling_probability, why) ||
	       get_opt(o, "forced", &w, is_bool, "a boolean", &r->sampling_forced, why) ? -1 : 0;
}

/* job.id is text in the database: schedulers use 123_4 and 123.server. */
static int check_job(json_t *root, struct run_rec *r, struct xbuf *why)
{
	static const struct where w = { "job", NOT_IN_ARRAY };
	json_t *o, *id;
	const char *s;
	int rc;

	if ((rc = get_object(root, "job", &o, why)) <= 0)
		return rc;
	id = json_object_get(o, "id");
	if (json_is_integer(id)) {
		struct xbuf sb = XBUF_INIT;
		xbuf_addf(&sb, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		r->job_id = xbuf_detach(&sb, NULL);
	} else if (get_str(o, "id", &w, 0, INGEST_NAME_MAX, NULL, &s, why)) {
		return -1;
	} else {
		r->job_id = s ? xstrdup(s) : NULL;
	}
	return get_str(o, "scheduler", &w, 0, INGEST_NAME_MAX, NULL, &r->job_scheduler, why) ||
	       get_opt(o, "ntasks", &w, is_integer, "an integer", &r->job_ntasks, why) ||
	       get_opt(o, "nnodes", &w, is_integer, "an integer", &r->job_nnodes, why) ||
	       get_opt(o, "rank", &w, is_integer, "an integer", &r->job_rank, why) ? -1 : 0;
}

static int check_interpreter(json_t *root, struct run_rec *r, struct xbuf *why)
{
	static const struct where w = { "interpreter", NOT_IN_ARRAY };
	json_t *o;
	int rc;

	if ((rc = get_object(root, "interpreter", &o, why)) <= 0)
		return rc;
	return get_str(o, "program", &w, 0, INGEST_NAME_MAX, NULL, &r->interp_program, why) ||
	       get_str(o, "version", &w, 0, INGEST_NAME_MAX, NULL, &r->interp_version, why) ||
	       get_str(o, "kind", &w, 0, INGEST_NAME_MAX, NULL, &r->interp_kind, why) ||
	       get_str(o, "prefix", &w, 0, 0, NULL, &r->interp_prefix, why) ? -1 : 0;
}

static int check_libraries(json_t *root, struct run_rec *r, const struct known_libs *kl,
			   struct xbuf *why)
{
	struct where w = { "libraries", 0 };
	json_t *a = json_object_get(root, "libraries"), *o;

	if (kl) {
		if (!json_is_array(a) || json_array_size(a))
			return validate_reject(why, "internal: known libraries not in place");
		r->nlibs = kl->n;
		r->libs = kl->libs;
		r->known = kl;
		return 0;
	}
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return validate_reject(why, "field 'libraries' is not an array");
	r->nlibs = json_array_size(a);
	r->libs = xcalloc(r->nlibs, sizeof(*r->libs));
	json_array_foreach(a, w.index, o) {
		if (!json_is_object(o))
			return validate_reject(why, "field 'libraries[%zu]' is not an object", w.index);
		if (get_str(o, "path", &w, 1, INGEST_PATH_MAX, NULL, &r->libs[w.index], why))
			return -1;
	}
	return 0;
}

/* An optional boolean as 1, 0, or DB_BULK_NULL when absent or null. */
static int get_flag(json_t *o, const char *key, const struct where *w, int64_t *out,
		    struct xbuf *why)
{
	json_t *v;

	if (get_opt(o, key, w, is_bool, "a boolean", &v, why))
		return -1;
	*out = v ? json_is_true(v) : DB_BULK_NULL;
	return 0;
}

/* How the run used the package (issue 11): all optional, older records
 * have none of these keys. */
static int check_package_use(json_t *o, const struct where *w, struct run_pkg *p, struct xbuf *why)
{
	json_t *n;

	if (get_flag(o, "direct", w, &p->direct, why) || get_flag(o, "startup", w, &p->startup, why) ||
	    get_flag(o, "used", w, &p->used, why) ||
	    get_str(o, "imported_by", w, 0, INGEST_NAME_MAX, NULL, &p->imported_by, why) ||
	    get_opt(o, "functions_used", w, is_integer, "an integer", &n, why))
		return -1;
	if (p->imported_by && !*p->imported_by)
		p->imported_by = NULL;
	/* a count of functions; 32 bits on PostgreSQL (db-part.c) */
	if (n && (json_integer_value(n) < 0 || json_integer_value(n) > INT32_MAX))
		return validate_reject(why, "field '%sfunctions_used' is out of range", PREFIX(w));
	p->functions_used = n ? json_integer_value(n) : DB_BULK_NULL;
	return 0;
}

/* Import times are seconds in the record, microseconds in the database. */
static int check_package(json_t *o, const struct where *w, struct run_pkg *p, struct xbuf *why)
{
	json_t *t;

	if (!json_is_object(o))
		return validate_reject(why, "field 'packages[%zu]' is not an object", w->index);
	if (get_str(o, "program", w, 1, INGEST_NAME_MAX, NULL, &p->program, why) ||
	    get_str(o, "name", w, 1, INGEST_NAME_MAX, NULL, &p->name, why) ||
	    get_str(o, "version", w, 0, INGEST_NAME_MAX, "", &p->version, why) ||
	    get_str(o, "path", w, 0, INGEST_PATH_MAX, "", &p->path, why) ||
	    get_opt(o, "import_time", w, is_number, "a number", &t, why))
		return -1;
	if (t && (json_number_value(t) < 0 || json_number_value(t) > 1e9))
		return validate_reject(why, "field '%simport_time' is out of range", PREFIX(w));
	p->import_us = t ? (int64_t)(json_number_value(t) * 1e6 + 0.5) : DB_BULK_NULL;
	return check_package_use(o, w, p, why);
}

static int check_packages(json_t *root, struct run_rec *r, struct xbuf *why)
{
	struct where w = { "packages", 0 };
	json_t *a = json_object_get(root, "packages"), *o;

	if (get_opt(root, "packages_lost", &top, is_bool, "a boolean", &r->packages_lost, why))
		return -1;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return validate_reject(why, "field 'packages' is not an array");
	r->npkgs = json_array_size(a);
	r->pkgs = xcalloc(r->npkgs, sizeof(*r->pkgs));
	json_array_foreach(a, w.index, o)
		if (check_package(o, &w, &r->pkgs[w.index], why))
			return -1;
	return 0;
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct run_pkg *x = *(const struct run_pkg *const *)a;
	const struct run_pkg *y = *(const struct run_pkg *const *)b;
	int c = strcmp(x->program, y->program);

	return c ? c : strcmp(x->name, y->name);
}

/* The schema promises one entry per (program, name); a second one would break
 * run_package's primary key and fail the whole batch, so reject it here. */
static int check_unique_packages(const struct run_rec *r, struct xbuf *why)
{
	const struct run_pkg **v;
	int rc = 0;

	if (r->npkgs < 2)
		return 0;
	v = xcalloc(r->npkgs, sizeof(*v));
	for (size_t i = 0; i < r->npkgs; i++)
		v[i] = &r->pkgs[i];
	qsort(v, r->npkgs, sizeof(*v), cmp_pkg);
	for (size_t i = 1; i < r->npkgs && !rc; i++)
		if (!cmp_pkg(&v[i], &v[i - 1]))
			rc = validate_reject(why, "package '%s' of '%s' listed twice",
					     v[i]->name, v[i]->program);
	free(v);
	return rc;
}

/* === the record ============================================================= */

int validate_run(json_t *root, struct run_rec *r, const struct known_libs *kl, struct xbuf *why)
{
	if (!json_is_object(root))
		return validate_reject(why, "not a JSON object");
	if (check_identity(root, r, why) || check_exec(root, r, why) ||
	    check_cmdline_env(root, r, why) || check_times(root, r, why) ||
	    check_exit(root, r, why) || check_sampling(root, r, why) || check_job(root, r, why) ||
	    get_str(root, "omp_num_threads", &top, 0, INGEST_NAME_MAX, NULL, &r->omp, why) ||
	    check_interpreter(root, r, why) || check_libraries(root, r, kl, why) ||
	    check_packages(root, r, why))
		return -1;
	return check_unique_packages(r, why);
}

/* === the file it came from =================================================== */

int validate_owner(const struct run_rec *r, uid_t file_uid, uid_t dir_uid, struct xbuf *why)
{
	if (file_uid == 0)
		return 0;
	if (r->uid) {
		if (json_integer_value(r->uid) == (json_int_t)file_uid)
			return 0;
		return validate_reject(why, "record of uid %" JSON_INTEGER_FORMAT
				       " in a file owned by uid %lu (only root may file records of others)",
				       json_integer_value(r->uid), (unsigned long)file_uid);
	}
	if (file_uid == dir_uid)
		return 0;
	return validate_reject(why, "record without uid (hash_users) in a file owned by uid %lu in a"
			       " directory it does not own (from a shared directory only root-owned"
			       " files can carry such records)", (unsigned long)file_uid);
}

void run_rec_release(struct run_rec *r, int in_arena)
{
	if (!in_arena) {
		free(r->cmdline);
		free(r->env);
	}
	free(r->job_id);
	if (!r->known)
		free(r->libs);
	free(r->pkgs);
	memset(r, 0, sizeof(*r));
}
