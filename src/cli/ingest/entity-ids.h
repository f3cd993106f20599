/*
 * Entity ids: the database id of each user, host, executable, library set
 * and package a record names, for the loader (load.c) to put in its run row.
 *
 * Each entity is a row with a unique key. Its id comes from an in-memory
 * cache (idmap.h) when this ingest has seen it before, else from
 * `INSERT ... ON CONFLICT DO NOTHING RETURNING id` and, when the row was
 * already there, `SELECT id`. Ids never change once assigned, so a cache
 * hit needs no statement (one was a round trip each on PostgreSQL).
 */
#ifndef XALT_ENTITY_IDS_H
#define XALT_ENTITY_IDS_H

#include <stdint.h>

struct db;
struct entity_ids;
struct run_rec;

/*
 * Prepare the statements on db (current schema). NULL after error().
 * With own_txns, db is a connection of the loader's own for entities, in
 * autocommit: each new entity is committed at once (a new library set with
 * its members, in one transaction), so loaders running at once never hold
 * entity locks while they wait for each other (no deadlock), and a batch
 * rolled back leaves every cached id valid. Without, entity rows join the
 * caller's open transaction.
 */
struct entity_ids *entity_ids_open(struct db *db, int own_txns);
/* Free everything (NULL is fine); the statements are finalized. */
void entity_ids_close(struct entity_ids *e);

/* The ids of r's user, host and executable: the id, or -1 after error(). */
int64_t entity_user_id(struct entity_ids *e, const struct run_rec *r);
int64_t entity_host_id(struct entity_ids *e, const struct run_rec *r);
int64_t entity_exec_id(struct entity_ids *e, const struct run_rec *r);

/*
 * The id of r's library set, DB_BULK_NULL when r has no libraries, -1
 * after error(). A set new to the database gets its member rows (on a bulk
 * inserter: they are written at commit, of the set's own transaction with
 * own_txns).
 */
int64_t entity_libset_id(struct entity_ids *e, const struct run_rec *r);

/* Fill name_id, package_id and imported_by_id of each of r's packages. 0,
 * or -1 after error(). */
int entity_package_ids(struct entity_ids *e, struct run_rec *r);

/* The same without package_id, for a loader that resolves (name, version,
 * path) set-based at commit (load.c, PostgreSQL). */
int entity_package_name_ids(struct entity_ids *e, struct run_rec *r);

#endif
