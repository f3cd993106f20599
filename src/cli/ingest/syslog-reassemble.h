/*
 * Putting run records back together from syslog chunks (the line format is
 * in src/common/syslog-format.h, the site's view in docs/syslog.md).
 *
 * Lines are fed one at a time, from any number of rsyslog output files, in
 * any order: whatever rsyslog wrote before the marker (time, host, tag) is
 * ignored, chunks are grouped by run uuid and record CRC-32 (a forged chunk
 * claiming a run's uuid makes a run of its own) across files and hosts, duplicates
 * are dropped, and each chunk's CRC-32 is checked on arrival. When a run has
 * all its chunks, the record is joined, its length and CRC-32 are checked,
 * and a complete record is handed to the caller's callback at once (memory
 * is freed then, so a log holding millions of runs streams). Nothing is ever
 * guessed: a run missing a chunk, or whose joined text fails its checks, is
 * reported by syslog_reasm_finish and counted, never passed on.
 */
#ifndef XALT_SYSLOG_REASSEMBLE_H
#define XALT_SYSLOG_REASSEMBLE_H

#include <stddef.h>

struct syslog_reasm;

struct syslog_reasm_stats {
	size_t lines;             /* lines read */
	size_t chunks;            /* lines with the marker */
	size_t chunks_malformed;  /* marker present but fields unreadable */
	size_t chunks_corrupt;    /* chunk CRC-32 or length wrong: dropped */
	size_t chunks_duplicate;  /* same chunk seen again (or after completion) */
	size_t chunks_conflict;   /* disagrees with the run's other chunks: dropped */
	size_t complete;          /* records joined and verified (passed on) */
	size_t incomplete;        /* runs missing chunks at finish */
	size_t corrupt;           /* runs whose joined record failed its checks */
};

/*
 * Called with each complete, verified record. `text` (not NUL-terminated)
 * is valid during the call only; `origin` is "syslog:<file>:<line>" of the
 * chunk that completed it. Return 0 to go on, -1 to stop feeding (a
 * database failure): syslog_reasm_line then returns -1.
 */
typedef int (*syslog_reasm_record_fn)(void *ctx, const char *uuid, const char *text,
				      size_t len, const char *origin);

/*
 * Called by syslog_reasm_finish for each run that could not be passed on:
 * `have` of `count` chunks arrived; `corrupt` says the checks failed (a bad
 * chunk, or the joined record's length or CRC); `origin` is where its first
 * chunk was seen.
 */
typedef void (*syslog_reasm_lost_fn)(void *ctx, const char *uuid, size_t have,
				     size_t count, int corrupt, const char *origin);

/* A new, empty reassembler. Can't fail (dies on allocation failure). */
struct syslog_reasm *syslog_reasm_new(syslog_reasm_record_fn done, void *ctx);

/*
 * Feed one line (without or with its final newline; may hold NUL bytes).
 * `file` and `lineno` name it for origins. Returns 0, or -1 if the record
 * callback asked to stop.
 */
int syslog_reasm_line(struct syslog_reasm *r, const char *line, size_t len,
		      const char *file, size_t lineno);

/*
 * Feed every line of a file. Returns 0, or -1 with errno set (cannot open or
 * read: error() already printed) or after the callback asked to stop.
 */
int syslog_reasm_file(struct syslog_reasm *r, const char *path);

/* Report every run still open through `lost` (may be NULL) and count it. */
void syslog_reasm_finish(struct syslog_reasm *r, syslog_reasm_lost_fn lost, void *ctx);

/* The counters so far. */
const struct syslog_reasm_stats *syslog_reasm_stats(const struct syslog_reasm *r);

/* Free everything (NULL is fine). */
void syslog_reasm_free(struct syslog_reasm *r);

#endif
