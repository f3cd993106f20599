/*
 * Tracing for the preload library and helpers (see trace.h): one write(2) of
 * one line per decision, only when XALT_TRACING=yes. The caller's errno is
 * preserved so a trace never changes what the user's program sees.
 */
#include "hot.h"
#include "trace.h"
#include "xalt-env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xalt_tracing XALT_HOT;

void trace_init(void)
{
	const char *t = getenv(XALT_ENV_TRACING);

	xalt_tracing = t && !strcmp(t, "yes");
}

void trace_printf(const char *fmt, ...)
{
	char line[512];
	int saved = errno;
	va_list ap;
	int n;

	memcpy(line, "xalt: ", 6);
	va_start(ap, fmt);
	n = vsnprintf(line + 6, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 7)
		n = (int)(sizeof(line) - 7);
	line[6 + n] = '\n';
	/* One write: a trace line is never interleaved with the program's. */
	ssize_t w = write(2, line, (size_t)n + 7);
	(void)w;    /* nothing to do on failure: tracing is best effort */
	errno = saved;
}
