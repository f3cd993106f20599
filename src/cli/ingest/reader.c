/*
 * The reading thread (see reader.h): a FIFO of blocks between one
 * producer, the reading thread, and one consumer, the loading thread,
 * behind a mutex and a condition variable.
 */
#include "reader.h"
#include "cli.h"
#include "ingest.h"
#include "validate.h"
#include "walk.h"
#include "xbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

struct reader {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct walk *walk;                          /* what to read */
	size_t nfiles;
	struct reader_block *head, *tail;           /* FIFO */
	size_t len;                                 /* blocks waiting */
	int finished;                               /* the reader is done */
	struct rusage reader_usage;                 /* CPU of the reader, for --verbose */
	double reader_wait, loader_wait;            /* seconds blocked on the queue, for --verbose */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Read, parse and check file first+i of the walk into b. */
static void read_one(struct reader *rd, struct walk_cursor *cur, struct reader_block *b,
		     size_t i, struct xbuf *text)
{
	size_t k = b->first + i;
	struct run_rec *r;
	struct stat st;

	if ((b->readerr[i] = walk_read_file(rd->walk, cur, k, text, &st)))
		return;
	b->parsed[i] = ingest_parse(text->buf, text->len);
	if ((r = ingest_parsed_record(b->parsed[i]))) {
		struct xbuf why = XBUF_INIT;
		uid_t dir_uid = rd->walk->dirs[rd->walk->files[k].dir].uid;

		if (validate_owner(r, st.st_uid, dir_uid, &why))
			b->readerr[i] = xbuf_detach(&why, NULL);
	}
}

/* Read and parse files[first ..] into a new block. */
static struct reader_block *read_block(struct reader *rd, struct walk_cursor *cur, size_t first,
				       struct xbuf *text)
{
	struct reader_block *b = xcalloc(1, sizeof(*b));

	b->first = first;
	b->n = rd->nfiles - first < READER_BLOCK_FILES ? rd->nfiles - first : READER_BLOCK_FILES;
	arena_use(&b->arena);
	for (size_t i = 0; i < b->n; i++)
		read_one(rd, cur, b, i, text);
	arena_use(NULL);
	return b;
}

/* Append b to the queue, waiting while it is full. */
static void enqueue(struct reader *rd, struct reader_block *b)
{
	pthread_mutex_lock(&rd->mu);
	if (rd->len >= READER_QUEUE_MAX) {
		double t0 = now_s();
		while (rd->len >= READER_QUEUE_MAX)
			pthread_cond_wait(&rd->cv, &rd->mu);
		rd->reader_wait += now_s() - t0;
	}
	if (rd->tail)
		rd->tail->next = b;
	else
		rd->head = b;
	rd->tail = b;
	rd->len++;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

static void *reading_thread(void *arg)
{
	struct reader *rd = arg;
	struct xbuf text = XBUF_INIT;
	struct walk_cursor cur = WALK_CURSOR_INIT;

	for (size_t first = 0; first < rd->nfiles; first += READER_BLOCK_FILES)
		enqueue(rd, read_block(rd, &cur, first, &text));
	walk_cursor_release(&cur);
	xbuf_release(&text);
	getrusage(RUSAGE_THREAD, &rd->reader_usage);
	pthread_mutex_lock(&rd->mu);
	rd->finished = 1;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	return NULL;
}

struct reader *reader_start(struct walk *w)
{
	struct reader *rd = xcalloc(1, sizeof(*rd));
	int err;

	rd->walk = w;
	rd->nfiles = w->n;
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->cv, NULL);
	if ((err = pthread_create(&rd->tid, NULL, reading_thread, rd))) {
		errno = err;
		die_errno("cannot start the reading thread");
	}
	return rd;
}

struct reader_block *reader_next(struct reader *rd)
{
	struct reader_block *b;

	pthread_mutex_lock(&rd->mu);
	if (!rd->head && !rd->finished) {
		double t0 = now_s();
		while (!rd->head && !rd->finished)
			pthread_cond_wait(&rd->cv, &rd->mu);
		rd->loader_wait += now_s() - t0;
	}
	if ((b = rd->head)) {
		rd->head = b->next;
		if (!rd->head)
			rd->tail = NULL;
		rd->len--;
		pthread_cond_broadcast(&rd->cv);
	}
	pthread_mutex_unlock(&rd->mu);
	return b;
}

void reader_block_free(struct reader_block *b)
{
	for (size_t i = 0; i < b->n; i++) {
		ingest_parsed_free(b->parsed[i]);
		free(b->readerr[i]);
	}
	arena_release(&b->arena);
	free(b);
}

static double seconds(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

void reader_finish(struct reader *rd)
{
	pthread_join(rd->tid, NULL);
	if (cli_verbose) {
		struct rusage self;
		getrusage(RUSAGE_THREAD, &self);
		cli_trace("cpu: loading thread %.2f s user %.2f s sys, reading thread %.2f s user %.2f s sys",
			  seconds(self.ru_utime), seconds(self.ru_stime),
			  seconds(rd->reader_usage.ru_utime), seconds(rd->reader_usage.ru_stime));
		cli_trace("waiting for the other thread: loading %.2f s, reading %.2f s",
			  rd->loader_wait, rd->reader_wait);
	}
	pthread_mutex_destroy(&rd->mu);
	pthread_cond_destroy(&rd->cv);
	free(rd);
}
