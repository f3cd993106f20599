/*
 * The start note (docs/design.md, "Spool"): the file "start" in a run dir,
 * written once by the preload library when the run starts, so that a run
 * that never reaches its exit code (SIGKILL, the OOM killer, _exit) can
 * still become a record ("recovered", src/preload/recover.c).
 *
 * It holds who the process was (pid, start time, pid namespace, uid), the
 * start half of the record as JSON members, the end's context (job, env,
 * libraries) likewise, the config text the run decided with (package
 * filters, sample table, syslog settings), and where the record goes
 * (transmission and the resolved, checked directory). Format: text lines
 * "key value" in a fixed order, the config as a counted block, and a last
 * line "end <crc32>" over everything before it; a note that is cut short,
 * changed, or reordered is refused whole. libc only, no malloc.
 */
#ifndef XALT_START_NOTE_H
#define XALT_START_NOTE_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "fmt.h"

#define START_NOTE_FILE "start"
#define START_NOTE_MAX (CONFIG_MAX_BYTES + 128 * 1024)   /* config + the JSON halves */
#define START_NOTE_VERSION "xalt-start 1"

struct start_note {
	pid_t pid;                    /* the run's pid (also in its dir's name) */
	uid_t uid;                    /* its real uid */
	unsigned long long starttime; /* field 22 of /proc/<pid>/stat */
	unsigned long long pidns;     /* inode of /proc/self/ns/pid */
	const char *uuid;             /* the run uuid */
	long long start_sec;          /* CLOCK_REALTIME at start */
	long start_nsec;
	int forced;                   /* XALT_SAMPLING=no: kept whatever the run time */
	enum xalt_action track;       /* KEEP or PKGS */
	const char *program;          /* "python", "R", or "" */
	const char *self;             /* the library's file name (not a record library) */
	const char *transmission;     /* "file" or "syslog" */
	const char *dest;             /* file: the record directory; syslog: "" */
	const char *head;             /* members from "schema" to "start_time" */
	size_t head_len;
	const char *context;          /* members "job" .. "libraries" */
	size_t context_len;
	char *config;                 /* the config text, NUL-terminated after parsing */
	size_t config_len;
};

/*
 * Write note n into f (a buffer of START_NOTE_MAX is enough when the halves
 * and the config fit in it). Strings of n must not hold NUL; dest and self
 * are escaped (spool_escape), the halves must be one line (json_out output
 * is). On overflow fmt_end(f) says so. Can't fail otherwise.
 */
void start_note_format(struct fmt *f, const struct start_note *n);

/*
 * Parse the note in buf (len bytes; modified in place: fields are unescaped
 * and NUL-terminated, n points into buf). 0, or -1 with errno EINVAL when
 * anything is wrong: checksum, order, a missing or extra line, a number out
 * of range, a half that is not one printable-ASCII line.
 */
int start_note_parse(char *buf, size_t len, struct start_note *n);

/*
 * Only the first lines, pid, starttime and pidns, of the note's first bytes
 * in buf (modified in place), checksum unchecked: enough to see that a run
 * is alive or not ours to judge, for the price of a small read. A note
 * that passes may still fail start_note_parse. 0, or -1 with EINVAL.
 */
#define START_NOTE_PEEK 128     /* bytes that hold those lines */
int start_note_peek(char *buf, size_t len, struct start_note *n);

#endif
