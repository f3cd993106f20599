/*
 * The ingest progress bar (see progress.h).
 */
#include "progress.h"

#include <stdio.h>

#define WIDTH 40

void progress_draw(struct progress *p, size_t done, int last)
{
	struct timespec now;
	int fill;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && (now.tv_sec - p->prev.tv_sec) * 1000000000L +
		     (now.tv_nsec - p->prev.tv_nsec) < 100000000L)
		return;            /* at most 10 redraws a second */
	p->prev = now;
	fill = p->total ? (int)(WIDTH * done / p->total) : WIDTH;
	fprintf(stderr, "\ringest [%.*s%*s] %zu/%zu", fill,
		"########################################", WIDTH - fill, "", done, p->total);
	if (last)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

void progress_clear(const struct progress *p)
{
	if (p->on)
		fputs("\r\033[K", stderr);
}
