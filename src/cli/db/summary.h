/*
 * Summary tables (schema versions 5 to 9): per period the counters and presence
 * rows the reports answer from (docs/database.md, "Summary tables"). A
 * period is a level and a number: level 0 a day (db_day), level 1 a block
 * of SUMMARY_BLOCK_DAYS days (floor(day / 32)), level 2 all time (0).
 *
 * They are kept from "a batch": the session temp tables new_runs (ids and
 * days of the runs the batch stored) and new_rp (their package rows, the columns of
 * run_package). The loader fills them (SQLite as it inserts, PostgreSQL
 * in its move), then summary_add folds them in inside the batch's
 * transaction; migrate and rebuild fill them from every raw row and run the
 * same SQL.
 */
#ifndef XALT_SUMMARY_H
#define XALT_SUMMARY_H

#include <stdint.h>

struct db;

#define SUMMARY_BLOCK_DAYS 32

/*
 * User words (version 7): a presence table (and sum_lib, with the runs)
 * keeps, per period and key, one row per word w of 64 user ids, its bits
 * the users of the key (bit user_id % 64 of word user_id / 64). Ingest ORs
 * a batch's bits in (@BIT_OR@, db.h); a report ORs each (key, word)'s bits
 * over the window's periods and counts them (@POPCOUNT@(x@BITS@)): exact
 * distinct users from as many rows as words, not users. User ids are dense (users.id; ingest
 * spends none on a known user), so a centre's few thousand users fill a
 * hundred words at most.
 */
#define USER_WORD(u) "(" u " / 64)"
#define USER_BIT(u) "(CAST(1 AS @INT@) << CAST(" u " % 64 AS INTEGER))"

/* The summary tables of DB_SCHEMA_VERSION, @WORD@ DDL (created by db.c's version-5 step). */
extern const char summary_schema[];

/* The batch tables' columns: new_runs (id, day) and new_rp (these). */
extern const char *const summary_rp_cols[];
#define SUMMARY_NRP_COLS 11

/*
 * Create the session's batch tables if missing (PostgreSQL: emptied at
 * every commit). 0, or -1 after error().
 */
int summary_batch_tables(struct db *db);

/*
 * Add the batch (new_runs, new_rp) to every summary table, in the open
 * transaction, and empty the batch tables. Each upsert writes its rows in
 * key order, and the tables in one order, so concurrent loaders wait for
 * each other but never deadlock. 0, or -1 after error().
 */
int summary_add(struct db *db);

/*
 * Empty the summary tables and build them from every raw row, with the
 * SQL of summary_add, in the open transaction. 0, or -1 after error().
 */
int summary_rebuild(struct db *db);

/*
 * Migration step to version 6: a version-5 database's library-set rows
 * (sum_libset, pres_libset) into the per-library tables, in the open
 * transaction; nothing when it has none. 0, or -1 after error().
 */
int summary_libs_from_sets(struct db *db);

/*
 * Migration step to version 7: a version-6 database's presence rows (one
 * per user) into user words, and its libraries' runs and users into one
 * table (sum_lib), in the open transaction; nothing for the tables in
 * version 7's form already. 0, or -1 after error().
 */
int summary_users_as_words(struct db *db);

/*
 * Migration step to version 8 (SQL): lib_rank, every library's all-time
 * runs, created when missing and filled from sum_lib's level 2, which it
 * always equals.
 */
extern const char summary_lib_rank[];

/*
 * Migration step to version 9, PostgreSQL only: sum_lib partitioned by
 * level, its day rows (sum_lib_day) and pres_pkg's indexed with every
 * column the ranked reports read of them (summary.c), in the open
 * transaction. 0, or -1 after error().
 */
int summary_day_rows(struct db *db);

/* floor(day / SUMMARY_BLOCK_DAYS), the block of a day; can't fail. */
static inline int64_t summary_block(int64_t day)
{
	int64_t m = ((day % SUMMARY_BLOCK_DAYS) + SUMMARY_BLOCK_DAYS) % SUMMARY_BLOCK_DAYS;
	return (day - m) / SUMMARY_BLOCK_DAYS;
}

#endif
