/*
 * XALT_TRACING=yes: one "xalt: ..." line per decision on stderr.
 *
 * The flag is read once (trace_init) and XTRACE tests it before evaluating
 * its arguments, so tracing costs one load and a branch when off. Output goes
 * through a bounded stack buffer and one write(2) to fd 2: no stdio, no
 * malloc, usable in the preload library (not from a signal handler: vsnprintf
 * is not async-signal-safe, so the signal path traces nothing).
 */
#ifndef XALT_TRACE_H
#define XALT_TRACE_H

extern int xalt_tracing;   /* 1 when XALT_TRACING=yes */

/* Read XALT_TRACING from the environment into xalt_tracing. Can't fail. */
void trace_init(void);

/* Format one line ("xalt: " + message + "\n", truncated at 512 bytes) to fd 2. */
__attribute__((format(printf, 1, 2))) void trace_printf(const char *fmt, ...);

#define XTRACE(...) do { if (xalt_tracing) trace_printf(__VA_ARGS__); } while (0)

#endif
