/*
 * Entity ids (see entity-ids.h): for each kind of entity, a cache in front
 * of an INSERT and a SELECT.
 *
 * The INSERTs say DO NOTHING rather than a no-op DO UPDATE: SQLite then
 * takes the new id from last_insert_rowid instead of building a RETURNING
 * table per row (db-sqlite.c; the loading thread of a 100 k-run ingest went
 * from 5.56 to 4.48 s of CPU).
 *
 * Sections: statements | lookups | users, hosts, executables | library sets
 * | packages
 */
#include "entity-ids.h"
#include "cli.h"
#include "db.h"
#include "idmap.h"
#include "validate.h"
#include "xbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One entity: its INSERT, its SELECT, and the cache of ids already known. */
struct entity {
	struct db_stmt *ins;    /* INSERT ... ON CONFLICT DO NOTHING RETURNING id */
	struct db_stmt *get;    /* SELECT id of an existing row, same parameters */
	struct idmap ids;       /* cache key -> id */
};

struct entity_ids {
	struct db *db;                                /* where entities go */
	int own_txns;                                 /* see entity_ids_open */
	struct entity user, host, exec, lib, pname, pkg;
	struct db_stmt *libset_new, *libset_get;      /* by the set's hash */
	struct db_bulk *libset_library;               /* a new set's member rows */
	struct idmap libsets;                         /* library id list -> libset id */
	struct idmap libset_paths;                    /* joined library paths -> libset id */
	struct idmap libset_known;                    /* known_libs address -> libset id */
	struct idmap pkg_seen;                        /* program, name, version, path -> pkg_ids */
	struct { int64_t name_id, package_id; } *pkg_ids;
	size_t npkg_ids, apkg_ids;
	struct xbuf key;                              /* scratch for cache keys */
};

/* === statements ============================================================= */

#define INSERT_ID(table, cols, vals, key) \
	"INSERT INTO " table " (" cols ") VALUES (" vals ") ON CONFLICT (" key \
	") DO NOTHING RETURNING id"

static int prepare(struct db *db, struct entity *en, const char *ins, const char *get)
{
	return (en->ins = db_prepare(db, ins)) && (en->get = db_prepare(db, get)) ? 0 : -1;
}

struct entity_ids *entity_ids_open(struct db *db, int own_txns)
{
	struct entity_ids *e = xcalloc(1, sizeof(*e));
	static const char *const ll_cols[] = { "libset_id", "library_id", "position" };

	e->db = db;
	e->own_txns = own_txns;
	xbuf_init(&e->key, 0);
	if (prepare(db, &e->user, INSERT_ID("users", "name", "?", "name"),
		    "SELECT id FROM users WHERE name = ?") ||
	    prepare(db, &e->host, INSERT_ID("hosts", "syshost, host", "?, ?", "syshost, host"),
		    "SELECT id FROM hosts WHERE syshost = ? AND host = ?") ||
	    prepare(db, &e->exec, INSERT_ID("executables", "path, size, mtime, inode, sha1, program",
					    "?, ?, ?, ?, ?, ?", "path, size, mtime, inode, sha1"),
		    "SELECT id FROM executables WHERE path = ? AND size = ?"
		    " AND mtime = ? AND inode = ? AND sha1 = ?") ||
	    prepare(db, &e->lib, INSERT_ID("libraries", "path", "?", "path"),
		    "SELECT id FROM libraries WHERE path = ?") ||
	    prepare(db, &e->pname, INSERT_ID("package_names", "program, name", "?, ?", "program, name"),
		    "SELECT id FROM package_names WHERE program = ? AND name = ?") ||
	    prepare(db, &e->pkg, INSERT_ID("packages", "name_id, version, path", "?, ?, ?",
					   "name_id, version, path"),
		    "SELECT id FROM packages WHERE name_id = ? AND version = ? AND path = ?") ||
	    !(e->libset_new = db_prepare(db, "INSERT INTO libsets (hash, nlibs) VALUES (?, ?)"
					 " ON CONFLICT (hash) DO NOTHING RETURNING id")) ||
	    !(e->libset_get = db_prepare(db, "SELECT id FROM libsets WHERE hash = ?")) ||
	    !(e->libset_library = db_bulk_open(db, "libset_library", ll_cols, 3))) {
		entity_ids_close(e);
		return NULL;
	}
	return e;
}

static void entity_free(struct entity *en)
{
	db_finalize(en->ins);
	db_finalize(en->get);
	idmap_clear(&en->ids);
}

void entity_ids_close(struct entity_ids *e)
{
	if (!e)
		return;
	entity_free(&e->user);
	entity_free(&e->host);
	entity_free(&e->exec);
	entity_free(&e->lib);
	entity_free(&e->pname);
	entity_free(&e->pkg);
	db_finalize(e->libset_new);
	db_finalize(e->libset_get);
	idmap_clear(&e->libsets);
	idmap_clear(&e->libset_paths);
	idmap_clear(&e->libset_known);
	idmap_clear(&e->pkg_seen);
	free(e->pkg_ids);
	xbuf_release(&e->key);
	free(e);
}

/* === lookups ================================================================ */

/*
 * The id of a row missing from en's cache: run en->ins and, when the row
 * already existed, en->get, both with their parameters bound; cache it
 * under key. Returns the id, or -1 after error().
 */
static int64_t resolve(struct entity *en, const char *key, size_t len)
{
	struct db_stmt *st = en->ins;
	int64_t id = -1;
	int rc = db_step(st);

	if (rc == DB_DONE) {
		db_reset(en->ins);
		st = en->get;
		rc = db_step(st);
	}
	if (rc == DB_ROW)
		id = db_column_int64(st, 0);
	else if (rc == DB_DONE)
		error("internal error: no id returned");
	db_reset(st);
	if (id >= 0)
		idmap_put(&en->ids, key, len, id);
	return id;
}

/*
 * resolve, for rows whose ids must stay small and dense: the row is looked
 * up before it is inserted, since PostgreSQL spends an identity value on
 * every INSERT that meets a conflict (every run of a known user, every known
 * package name in each new loader). Users: the summaries' user words
 * (summary.h); users and package names: 32-bit columns of run_package on
 * PostgreSQL (db-part.c). One SELECT per new key and loader; a row two
 * loaders add at once may still cost one id.
 */
static int64_t lookup_then_resolve(struct entity *en, const char *key, size_t len)
{
	int64_t id = -1;
	int rc = db_step(en->get);

	if (rc == DB_ROW)
		id = db_column_int64(en->get, 0);
	db_reset(en->get);
	if (rc < 0)
		return -1;
	if (id < 0)
		return resolve(en, key, len);
	idmap_put(&en->ids, key, len, id);
	return id;
}

/* Bind s as parameter i of both of en's statements. */
static void bind_str(struct entity *en, int i, const char *s)
{
	db_bind_str(en->ins, i, s);
	db_bind_str(en->get, i, s);
}

static void bind_int64(struct entity *en, int i, int64_t v)
{
	db_bind_int64(en->ins, i, v);
	db_bind_int64(en->get, i, v);
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

/* === users, hosts, executables ============================================== */

int64_t entity_user_id(struct entity_ids *e, const struct run_rec *r)
{
	size_t len = strlen(r->user);
	int64_t id = idmap_get(&e->user.ids, r->user, len);

	if (id >= 0)
		return id;
	bind_str(&e->user, 1, r->user);
	return lookup_then_resolve(&e->user, r->user, len);
}

int64_t entity_host_id(struct entity_ids *e, const struct run_rec *r)
{
	int64_t id;

	make_key(&e->key, 2, r->syshost, r->host);
	if ((id = idmap_get(&e->host.ids, e->key.buf, e->key.len)) >= 0)
		return id;
	bind_str(&e->host, 1, r->syshost);
	bind_str(&e->host, 2, r->host);
	return resolve(&e->host, e->key.buf, e->key.len);
}

/* program is not part of the key: the first one seen for an executable stays. */
int64_t entity_exec_id(struct entity_ids *e, const struct run_rec *r)
{
	char nums[80];
	int64_t id;

	snprintf(nums, sizeof(nums), "%" PRId64 ":%" PRId64 ":%" PRId64,
		 r->exec_size, r->exec_mtime, r->exec_inode);
	make_key(&e->key, 3, r->exec_path, nums, r->exec_sha1);
	if ((id = idmap_get(&e->exec.ids, e->key.buf, e->key.len)) >= 0)
		return id;
	bind_str(&e->exec, 1, r->exec_path);
	bind_int64(&e->exec, 2, r->exec_size);
	bind_int64(&e->exec, 3, r->exec_mtime);
	bind_int64(&e->exec, 4, r->exec_inode);
	bind_str(&e->exec, 5, r->exec_sha1);
	db_bind_str(e->exec.ins, 6, r->exec_program);
	return resolve(&e->exec, e->key.buf, e->key.len);
}

/* === library sets =========================================================== */

/*
 * A set is keyed by its library ids in load order. The database key is a
 * 128-bit hash of that list in hex (two FNV-1a variants), short enough to
 * index whatever the number of libraries. The offset basis of the first,
 * 1469598103934665603, is one digit short of FNV's published one: stored
 * hashes depend on it, so it stays.
 */
static void libset_hash(const struct xbuf *ids, char hex[40])
{
	uint64_t h1 = 1469598103934665603ULL, h2 = 0x84222325cbf29ce4ULL;

	for (size_t i = 0; i < ids->len; i++) {
		h1 = (h1 ^ (unsigned char)ids->buf[i]) * 1099511628211ULL;
		h2 = (h2 ^ (unsigned char)ids->buf[i]) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
	}
	snprintf(hex, 40, "%016" PRIx64 "%016" PRIx64, h1, h2);
}

/* The id of each of r's libraries into lib, and their list "id,id,..." into
 * ids. 0, or -1 after error(). */
static int library_ids(struct entity_ids *e, const struct run_rec *r, int64_t *lib,
		       struct xbuf *ids)
{
	for (size_t i = 0; i < r->nlibs; i++) {
		size_t n = strlen(r->libs[i]);
		if ((lib[i] = idmap_get(&e->lib.ids, r->libs[i], n)) < 0) {
			bind_str(&e->lib, 1, r->libs[i]);
			if ((lib[i] = resolve(&e->lib, r->libs[i], n)) < 0)
				return -1;
		}
		xbuf_addf(ids, "%s%" PRId64, i ? "," : "", lib[i]);
	}
	return 0;
}

/* The id of the set with these member ids, stored with its member rows
 * when new to the database. The id, or -1 after error(). */
static int64_t store_libset(struct entity_ids *e, const int64_t *lib, size_t nlibs,
			    const struct xbuf *ids)
{
	char hex[40];
	int64_t id = -1;
	int rc;

	libset_hash(ids, hex);
	if (e->own_txns && db_begin(e->db))
		return -1;
	db_bind_str(e->libset_new, 1, hex);
	db_bind_int64(e->libset_new, 2, (int64_t)nlibs);
	rc = db_step(e->libset_new);
	if (rc == DB_ROW)
		id = db_column_int64(e->libset_new, 0);
	db_reset(e->libset_new);
	if (rc == DB_ROW) {
		for (size_t i = 0; i < nlibs; i++) {
			int64_t row[3] = { id, lib[i], (int64_t)i };
			if (db_bulk_row(e->libset_library, row))
				return -1;
		}
	}
	if (e->own_txns && (rc < 0 ? db_rollback(e->db) : db_commit(e->db)))
		return -1;
	if (rc == DB_ROW)
		return id;
	if (rc < 0)
		return -1;
	db_bind_str(e->libset_get, 1, hex);
	if (db_step(e->libset_get) == DB_ROW)
		id = db_column_int64(e->libset_get, 0);
	db_reset(e->libset_get);
	return id;
}

/* The set's id from its library ids (e->key holds the joined paths: kept). */
static int64_t libset_by_ids(struct entity_ids *e, const struct run_rec *r)
{
	struct xbuf ids = XBUF_INIT;
	int64_t *lib = xcalloc(r->nlibs, sizeof(*lib));
	int64_t id = -1;

	if (!library_ids(e, r, lib, &ids) &&
	    (id = idmap_get(&e->libsets, ids.buf, ids.len)) < 0 &&
	    (id = store_libset(e, lib, r->nlibs, &ids)) >= 0)
		idmap_put(&e->libsets, ids.buf, ids.len, id);
	free(lib);
	xbuf_release(&ids);
	return id;
}

/*
 * Most records cost one lookup here: a known array (known-libs.h) is one
 * address for all its runs, an 8-byte key instead of joining 15-40 paths
 * (strlen, memcmp and the map were a fifth of the loading thread, perf);
 * else runs of one program repeat one set, found by the joined paths (30
 * lookups per record, one per library, were 8 % of ingest).
 */
int64_t entity_libset_id(struct entity_ids *e, const struct run_rec *r)
{
	const char *known = (const char *)&r->known;
	int64_t id;

	if (!r->nlibs)
		return DB_BULK_NULL;
	if (r->known && (id = idmap_get(&e->libset_known, known, sizeof(r->known))) >= 0)
		return id;
	xbuf_reset(&e->key);
	for (size_t i = 0; i < r->nlibs; i++)
		xbuf_add(&e->key, r->libs[i], strlen(r->libs[i]) + 1);
	if ((id = idmap_get(&e->libset_paths, e->key.buf, e->key.len)) < 0) {
		if ((id = libset_by_ids(e, r)) < 0)
			return -1;
		idmap_put(&e->libset_paths, e->key.buf, e->key.len, id);
	}
	if (r->known)
		idmap_put(&e->libset_known, known, sizeof(r->known), id);
	return id;
}

/* === packages =============================================================== */

/* The package_names id of (program, name), or -1 after error(). */
static int64_t name_id(struct entity_ids *e, const char *program, const char *name)
{
	int64_t id;

	make_key(&e->key, 2, program, name);
	if ((id = idmap_get(&e->pname.ids, e->key.buf, e->key.len)) < 0) {
		bind_str(&e->pname, 1, program);
		bind_str(&e->pname, 2, name);
		id = lookup_then_resolve(&e->pname, e->key.buf, e->key.len);
	}
	return id;
}

/* The ids of a package not seen in this ingest yet: its name's, then its own. */
static int resolve_package(struct entity_ids *e, struct run_pkg *p)
{
	if ((p->name_id = name_id(e, p->program, p->name)) < 0)
		return -1;
	/* the name id's raw bytes: no snprintf per package row */
	xbuf_reset(&e->key);
	xbuf_add(&e->key, &p->name_id, sizeof(p->name_id));
	xbuf_add(&e->key, p->version, strlen(p->version) + 1);
	xbuf_add(&e->key, p->path, strlen(p->path) + 1);
	if ((p->package_id = idmap_get(&e->pkg.ids, e->key.buf, e->key.len)) < 0) {
		bind_int64(&e->pkg, 1, p->name_id);
		bind_str(&e->pkg, 2, p->version);
		bind_str(&e->pkg, 3, p->path);
		if ((p->package_id = resolve(&e->pkg, e->key.buf, e->key.len)) < 0)
			return -1;
	}
	return 0;
}

/* The importer is a name of the same program (a Python package is pulled
 * in by a Python package). */
static int importer_id(struct entity_ids *e, struct run_pkg *p)
{
	p->imported_by_id = DB_BULK_NULL;
	return p->imported_by && (p->imported_by_id = name_id(e, p->program, p->imported_by)) < 0
		? -1 : 0;
}

int entity_package_name_ids(struct entity_ids *e, struct run_rec *r)
{
	for (size_t i = 0; i < r->npkgs; i++) {
		struct run_pkg *p = &r->pkgs[i];
		if ((p->name_id = name_id(e, p->program, p->name)) < 0 || importer_id(e, p))
			return -1;
	}
	return 0;
}

/* One lookup for both ids of a package seen before (two were a tenth of
 * the loading thread, perf). */
int entity_package_ids(struct entity_ids *e, struct run_rec *r)
{
	for (size_t i = 0; i < r->npkgs; i++) {
		struct run_pkg *p = &r->pkgs[i];
		int64_t k;

		if (importer_id(e, p))
			return -1;

		make_key(&e->key, 4, p->program, p->name, p->version, p->path);
		if ((k = idmap_get(&e->pkg_seen, e->key.buf, e->key.len)) >= 0) {
			p->name_id = e->pkg_ids[k].name_id;
			p->package_id = e->pkg_ids[k].package_id;
			continue;
		}
		if (resolve_package(e, p))
			return -1;
		if (e->npkg_ids == e->apkg_ids) {
			e->apkg_ids = e->apkg_ids ? 2 * e->apkg_ids : 1024;
			e->pkg_ids = xrealloc(e->pkg_ids, e->apkg_ids * sizeof(*e->pkg_ids));
		}
		e->pkg_ids[e->npkg_ids].name_id = p->name_id;
		e->pkg_ids[e->npkg_ids].package_id = p->package_id;
		make_key(&e->key, 4, p->program, p->name, p->version, p->path);
		idmap_put(&e->pkg_seen, e->key.buf, e->key.len, (int64_t)e->npkg_ids++);
	}
	return 0;
}
