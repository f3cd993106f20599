/*
 * Telling one process from another over time (issue 12 item 5): a pid is
 * reused on a busy node, and a pid seen through /dev/shm may belong to
 * another pid namespace (containers sharing it). A process is named by
 * (pid namespace, pid, start time): the start time is field 22 of
 * /proc/<pid>/stat (clock ticks since boot), the namespace the inode of
 * /proc/self/ns/pid. libc only, no malloc, async-signal-safe.
 */
#ifndef XALT_PROCID_H
#define XALT_PROCID_H

#include <sys/types.h>

/*
 * The start time of `pid` (field 22 of /proc/<pid>/stat) into *out.
 * 0, or -1 with errno: ENOENT/ESRCH when there is no such process in our
 * pid namespace's /proc, or when it is a zombie (it has died and will run
 * no more code: only its parent has yet to reap it), EINVAL when the file
 * cannot be parsed.
 */
int procid_start_time(pid_t pid, unsigned long long *out);

/* The inode of /proc/self/ns/pid into *out. 0, or -1 with errno. */
int procid_pidns(unsigned long long *out);

/*
 * The state (field 3: 'R', 'S', 'Z' ...) and start time (field 22) in a
 * /proc/<pid>/stat text [s, s+len), counted after the last ')' (the command
 * name in field 2 may hold spaces and parentheses). 0, or -1 with EINVAL.
 * Exposed for tests.
 */
int procid_parse_stat(const char *s, size_t len, char *state, unsigned long long *out);

#endif
