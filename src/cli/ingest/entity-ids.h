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

/* Prepare the statements on db (current schema). NULL after error(). */
struct entity_ids *entity_ids_open(struct db *db);
/* Free everything (NULL is fine); the statements are finalized. */
void entity_ids_close(struct entity_ids *e);

/* The ids of r's user, host and executable: the id, or -1 after error(). */
int64_t entity_user_id(struct entity_ids *e, const struct run_rec *r);
int64_t entity_host_id(struct entity_ids *e, const struct run_rec *r);
int64_t entity_exec_id(struct entity_ids *e, const struct run_rec *r);

/*
 * The id of r's library set, DB_BULK_NULL when r has no libraries, -1
 * after error(). A set new to the database gets its member rows (on a bulk
 * inserter: they are written at commit).
 */
int64_t entity_libset_id(struct entity_ids *e, const struct run_rec *r);

/* Fill name_id and package_id of each of r's packages. 0, or -1 after error(). */
int entity_package_ids(struct entity_ids *e, struct run_rec *r);

#endif
