/*
 * `xalt ingest`: load run records from files and directories into the
 * database.
 *
 * The command only finds and reads files; ingest.c validates and loads each
 * record text (a syslog reassembler hands the same function its texts).
 * Records are committed in batches (--batch, default 5000 per transaction):
 * facts.md reports 4.5 days for 5 M runs with one transaction per record.
 * Files are deleted or archived only after the batch holding them is
 * committed. A bad file never stops the batch: it is reported with its path
 * and reason, counted, and moved to --reject-dir when given.
 */
#include "cli.h"
#include "arena.h"
#include "db.h"
#include "ingest.h"
#include "syslog-reassemble.h"
#include "xbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char ingest_usage[] =
	"usage: xalt ingest [--db DB] [--delete | --archive DIR] [--reject-dir DIR]\n"
	"                   [--batch N] [--quiet] PATH...\n"
	"   or: xalt ingest --syslog [--db DB] [--batch N] [--quiet] LOGFILE...\n";

static const char ingest_help[] =
	"\n"
	"Load run records (files run.*.json, directories searched recursively)\n"
	"into the database. A record already stored (same run_uuid) is counted as\n"
	"a duplicate and stored once. Invalid files are reported and skipped.\n"
	"\n"
	"options:\n"
	"  --db DB           SQLite file or postgresql://... URI\n"
	"                    (default $XDG_DATA_HOME/xalt/xalt.db or ~/.local/share/xalt/xalt.db)\n"
	"  --delete          delete each file once its record is committed\n"
	"  --archive DIR     move each file into DIR once its record is committed\n"
	"  --reject-dir DIR  move rejected files into DIR\n"
	"  --batch N         records per transaction (default 5000)\n"
	"  --syslog          read rsyslog output files holding syslog-transmitted\n"
	"                    chunks (docs/syslog.md); runs missing a chunk or failing\n"
	"                    a checksum are reported and counted, never loaded\n"
	"  -q, --quiet       no progress bar and no summary line\n"
	"  -v, --verbose     explain each decision on stderr\n"
	"  -h, --help        show this help\n"
	"\n"
	"A file named on the command line is read whatever its name; in directories\n"
	"only run.*.json files are (symbolic links are not followed there).\n"
	"The summary line reads: read N, loaded N, duplicate N, rejected N.\n"
	"With --syslog a second line counts chunks and incomplete/corrupt runs.\n"
	"\n"
	"exit status: 0 all records loaded or duplicate, 1 a file was rejected, a\n"
	"syslog run was incomplete or corrupt, or the database failed, 2 usage error\n"
	"\n"
	"example: xalt ingest --archive /var/xalt/done ~/.xalt.d\n";

/* Hostile or broken input: a record is a few KiB; refuse to slurp a huge file. */
#define RECORD_FILE_MAX (64u << 20)

struct ingest_run {
	struct ingest *in;           /* the loader */
	const char *archive;         /* --archive DIR or NULL */
	const char *reject_dir;      /* --reject-dir DIR or NULL */
	int delete_files;            /* --delete */
	int quiet;                   /* --quiet */
	int progress;                /* draw the progress bar (stderr is a terminal) */
	size_t batch;                /* records per transaction */
	char **files;                /* every file to read, in order */
	size_t nfiles, afiles;
	char **pending;              /* loaded files awaiting commit (delete/archive) */
	size_t npending, apending;
	size_t in_batch;             /* records written since the last commit */
	size_t read, loaded, duplicate, rejected;
	size_t syslog_lost;          /* --syslog: runs incomplete or corrupt, unreadable logs */
};

static void push(char ***v, size_t *n, size_t *alloc, char *s)
{
	if (*n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 64;
		*v = xrealloc(*v, *alloc * sizeof(**v));
	}
	(*v)[(*n)++] = s;
}

static int is_record_name(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && !strncmp(name, "run.", 4) && !strcmp(name + n - 5, ".json");
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Collect record files under dir, sorted by name at each level. Errors are
 * reported and counted as rejected (a directory we cannot read loses data). */
static void walk(struct ingest_run *ir, const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, name_cmp);

	if (n < 0) {
		error_errno("cannot read directory '%s'", dir);
		ir->read++;
		ir->rejected++;
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct xbuf path = XBUF_INIT;
		struct stat st;

		if (name[0] == '.') {     /* ., .., and the writers' .run.*.tmp files */
			free(ents[i]);
			continue;
		}
		xbuf_addf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
		/* the directory entry's type when the file system gives it: an
		 * lstat per file was serial time before the threads start */
		if (ents[i]->d_type != DT_UNKNOWN)
			st.st_mode = ents[i]->d_type == DT_DIR ? S_IFDIR :
				     ents[i]->d_type == DT_REG ? S_IFREG : 0;
		if (ents[i]->d_type == DT_UNKNOWN && lstat(path.buf, &st)) {
			error_errno("cannot stat '%s'", path.buf);
			ir->read++;
			ir->rejected++;
		} else if (S_ISDIR(st.st_mode)) {
			walk(ir, path.buf);
		} else if (S_ISREG(st.st_mode) && is_record_name(name)) {
			push(&ir->files, &ir->nfiles, &ir->afiles, xbuf_detach(&path, NULL));
		} else {
			cli_trace("skipping '%s': not a regular run.*.json file", path.buf);
		}
		xbuf_release(&path);
		free(ents[i]);
	}
	free(ents);
}

/* Move path into dir under its base name (adding .1, .2, ... if taken).
 * rename(2) first; across file systems, copy then unlink. 0 or -1. */
static int move_into(const char *path, const char *dir)
{
	const char *base = strrchr(path, '/');
	struct xbuf dst = XBUF_INIT, data = XBUF_INIT;
	int rc = -1, fd;

	base = base ? base + 1 : path;
	xbuf_addf(&dst, "%s/%s", dir, base);
	for (int k = 1; !access(dst.buf, F_OK) && k < 1000; k++) {
		xbuf_reset(&dst);
		xbuf_addf(&dst, "%s/%s.%d", dir, base, k);
	}
	if (!rename(path, dst.buf)) {
		rc = 0;
	} else if (errno != EXDEV) {
		error_errno("cannot move '%s' to '%s'", path, dst.buf);
	} else if (xbuf_read_file(&data, path)) {
		error_errno("cannot read '%s'", path);
	} else if ((fd = open(dst.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) < 0) {
		error_errno("cannot create '%s'", dst.buf);
	} else {
		ssize_t w = write(fd, data.buf, data.len);
		if (close(fd) || w != (ssize_t)data.len) {
			error_errno("cannot write '%s'", dst.buf);
			unlink(dst.buf);
		} else if (unlink(path)) {
			error_errno("cannot remove '%s'", path);
		} else {
			rc = 0;
		}
	}
	xbuf_release(&dst);
	xbuf_release(&data);
	return rc;
}

/* Commit the open batch, then delete/archive its files. Dies on a database
 * failure: the batch's records stay in their files for the next ingest. */
static void commit_batch(struct ingest_run *ir)
{
	if (ingest_commit(ir->in))
		die("cannot commit to the database; the last batch's files were left in place");
	for (size_t i = 0; i < ir->npending; i++) {
		char *f = ir->pending[i];
		if (ir->delete_files && unlink(f) && errno != ENOENT)
			error_errno("cannot delete '%s'", f);
		else if (ir->archive)
			move_into(f, ir->archive);
	}
	ir->npending = 0;
	ir->in_batch = 0;
}

static void draw_progress(struct ingest_run *ir, size_t done, int last)
{
	static struct timespec prev;
	struct timespec now;
	int width = 40, fill;

	if (!ir->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && (now.tv_sec - prev.tv_sec) * 1000000000L + (now.tv_nsec - prev.tv_nsec) < 100000000L)
		return;            /* at most 10 redraws a second */
	prev = now;
	fill = ir->nfiles ? (int)(width * done / ir->nfiles) : width;
	fprintf(stderr, "\ringest [%.*s%*s] %zu/%zu", fill,
		"########################################", width - fill, "", done, ir->nfiles);
	if (last)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* === the reading thread ===================================================== */

/*
 * Parsing (jansson) and writing (SQLite) each take about half of the time
 * of an ingest; on 2 cores they overlap: one thread reads and parses blocks
 * of files, the main thread loads them in order. A block owns the arena its
 * JSON trees live in, dropped when the block is loaded. At most QUEUE_MAX
 * blocks wait, which bounds memory (16: the reader keeps parsing through a
 * commit; with 4 the loading thread waited 0.26 s of a 100 k-run ingest, with
 * 16 0.05 s, for 270 MB instead of 200 MB resident).
 */
#define BLOCK_FILES 256
#define QUEUE_MAX 16

struct block {
	struct block *next;                         /* queue link */
	struct arena arena;                       /* the JSON trees of this block */
	size_t first, n;                            /* files[first .. first+n) */
	struct ingest_parsed *parsed[BLOCK_FILES];  /* NULL when the file was not read */
	char *readerr[BLOCK_FILES];                 /* why it was not read (malloc'd) */
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block *head, *tail;                  /* FIFO */
	size_t len;                                 /* blocks waiting */
	int finished;                               /* the reader is done */
	struct rusage reader_usage;                 /* CPU of the reader, for --verbose */
	double reader_wait, loader_wait;            /* seconds blocked on the queue, for --verbose */
	struct ingest_run *ir;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Read path into text; NULL, or the reason it cannot be a record (malloc'd). */
static char *read_record(const char *path, struct xbuf *text)
{
	struct xbuf why = XBUF_INIT;
	struct stat st;

	xbuf_reset(text);
	if (stat(path, &st))
		xbuf_addf(&why, "cannot stat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		xbuf_addstr(&why, "not a regular file");
	else if (st.st_size > RECORD_FILE_MAX)
		xbuf_addf(&why, "file larger than %u MiB", RECORD_FILE_MAX >> 20);
	else if (xbuf_read_file(text, path))
		xbuf_addf(&why, "cannot read: %s", strerror(errno));
	else
		return NULL;
	return xbuf_detach(&why, NULL);
}

static void *reader(void *arg)
{
	struct queue *q = arg;
	struct ingest_run *ir = q->ir;
	struct xbuf text = XBUF_INIT;

	for (size_t first = 0; first < ir->nfiles; first += BLOCK_FILES) {
		struct block *b = xcalloc(1, sizeof(*b));
		b->first = first;
		b->n = ir->nfiles - first < BLOCK_FILES ? ir->nfiles - first : BLOCK_FILES;
		arena_use(&b->arena);
		for (size_t i = 0; i < b->n; i++)
			if (!(b->readerr[i] = read_record(ir->files[first + i], &text)))
				b->parsed[i] = ingest_parse(text.buf, text.len);
		arena_use(NULL);
		pthread_mutex_lock(&q->mu);
		if (q->len >= QUEUE_MAX) {
			double t0 = now_s();
			while (q->len >= QUEUE_MAX)
				pthread_cond_wait(&q->cv, &q->mu);
			q->reader_wait += now_s() - t0;
		}
		if (q->tail)
			q->tail->next = b;
		else
			q->head = b;
		q->tail = b;
		q->len++;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
	xbuf_release(&text);
	getrusage(RUSAGE_THREAD, &q->reader_usage);
	pthread_mutex_lock(&q->mu);
	q->finished = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static struct block *next_block(struct queue *q)
{
	struct block *b;

	pthread_mutex_lock(&q->mu);
	if (!q->head && !q->finished) {
		double t0 = now_s();
		while (!q->head && !q->finished)
			pthread_cond_wait(&q->cv, &q->mu);
		q->loader_wait += now_s() - t0;
	}
	if ((b = q->head)) {
		q->head = b->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return b;
}

/* === loading ================================================================ */

/* Account for one file: load its parsed record, or report why not. */
static void one_file(struct ingest_run *ir, const char *path, struct ingest_parsed *p,
		     const char *readerr)
{
	int res = readerr ? INGEST_REJECTED : ingest_load(ir->in, p, path);

	ir->read++;
	switch (res) {
	case INGEST_LOADED:
	case INGEST_DUPLICATE:
		cli_trace("%s '%s'", res == INGEST_LOADED ? "loaded" : "duplicate", path);
		*(res == INGEST_LOADED ? &ir->loaded : &ir->duplicate) += 1;
		if (ir->delete_files || ir->archive)
			push(&ir->pending, &ir->npending, &ir->apending, (char *)path);
		if (++ir->in_batch >= ir->batch)
			commit_batch(ir);
		break;
	case INGEST_REJECTED:
		ir->rejected++;
		if (ir->progress)
			fputs("\r\033[K", stderr);
		error("rejected '%s': %s", path, readerr ? readerr : ingest_parsed_error(p));
		if (ir->reject_dir)
			move_into(path, ir->reject_dir);
		break;
	default:
		die("database failure while loading '%s'; nothing of the open batch was committed", path);
	}
}

static void load_all(struct ingest_run *ir)
{
	struct queue q = { .ir = ir };
	struct block *b;
	pthread_t tid;
	int err;

	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cv, NULL);
	if ((err = pthread_create(&tid, NULL, reader, &q))) {
		errno = err;
		die_errno("cannot start the reading thread");
	}
	while ((b = next_block(&q))) {
		for (size_t i = 0; i < b->n; i++) {
			one_file(ir, ir->files[b->first + i], b->parsed[i], b->readerr[i]);
			draw_progress(ir, b->first + i + 1, 0);
			ingest_parsed_free(b->parsed[i]);
			free(b->readerr[i]);
		}
		arena_release(&b->arena);
		free(b);
	}
	pthread_join(tid, NULL);
	if (cli_verbose) {
		struct rusage self;
		getrusage(RUSAGE_THREAD, &self);
		cli_trace("cpu: loading thread %.2f s user %.2f s sys, reading thread %.2f s user %.2f s sys",
			  self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6,
			  self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6,
			  q.reader_usage.ru_utime.tv_sec + q.reader_usage.ru_utime.tv_usec / 1e6,
			  q.reader_usage.ru_stime.tv_sec + q.reader_usage.ru_stime.tv_usec / 1e6);
		cli_trace("waiting for the other thread: loading %.2f s, reading %.2f s",
			  q.loader_wait, q.reader_wait);
	}
	pthread_mutex_destroy(&q.mu);
	pthread_cond_destroy(&q.cv);
}

/* --syslog: each complete, verified record from the reassembler. */
static int syslog_record(void *ctx, const char *uuid, const char *text, size_t len,
			 const char *origin)
{
	struct ingest_run *ir = ctx;
	struct xbuf why = XBUF_INIT;
	int res = ingest_record(ir->in, text, len, origin, &why);

	ir->read++;
	if (res == INGEST_LOADED || res == INGEST_DUPLICATE) {
		cli_trace("%s run %s from '%s'", res == INGEST_LOADED ? "loaded" : "duplicate",
			  uuid, origin);
		*(res == INGEST_LOADED ? &ir->loaded : &ir->duplicate) += 1;
		if (++ir->in_batch >= ir->batch)
			commit_batch(ir);
	} else if (res == INGEST_REJECTED) {
		ir->rejected++;
		error("rejected run %s from '%s': %s", uuid, origin, why.buf);
	} else {
		die("database failure while loading run %s from '%s'; nothing of the open batch was committed",
		    uuid, origin);
	}
	xbuf_release(&why);
	return 0;
}

static void syslog_lost(void *ctx, const char *uuid, size_t have, size_t count, int corrupt,
			const char *origin)
{
	struct ingest_run *ir = ctx;

	ir->syslog_lost++;
	if (count)
		error("%s run %s (first chunk at '%s'): %zu of %zu chunks", corrupt ? "corrupt" : "incomplete",
		      uuid, origin, have, count);
	else
		error("corrupt run %s (first chunk at '%s'): no valid chunk", uuid, origin);
}

/* --syslog: all files through one reassembler (a run's chunks may be spread
 * over several hosts' files); summary of the chunks on stdout. */
static void ingest_syslog(struct ingest_run *ir, char **files, int n)
{
	struct syslog_reasm *r = syslog_reasm_new(syslog_record, ir);
	const struct syslog_reasm_stats *st;

	for (int i = 0; i < n; i++)
		if (syslog_reasm_file(r, files[i]) < 0)
			ir->syslog_lost++;
	syslog_reasm_finish(r, syslog_lost, ir);
	st = syslog_reasm_stats(r);
	if (!ir->quiet)
		printf("syslog: lines %zu, chunks %zu, runs complete %zu, incomplete %zu, corrupt %zu; "
		       "chunks duplicate %zu, corrupt %zu, malformed %zu, conflicting %zu\n",
		       st->lines, st->chunks, st->complete, st->incomplete, st->corrupt,
		       st->chunks_duplicate, st->chunks_corrupt, st->chunks_malformed,
		       st->chunks_conflict);
	syslog_reasm_free(r);
}

/* An existing directory we can write into, for --archive / --reject-dir. */
static void check_dir(const char *opt, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK))
		usage_error(ingest_usage, "%s '%s' is not a writable directory", opt, dir);
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "delete", no_argument, NULL, 'D' },
		{ "archive", required_argument, NULL, 'a' },
		{ "reject-dir", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ingest_run ir = { .batch = 5000 };
	const char *dbarg = NULL;
	char *spec, *end;
	struct db *db;
	int c, syslog_mode = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbarg = optarg; break;
		case 'D': ir.delete_files = 1; break;
		case 'a': ir.archive = optarg; break;
		case 'r': ir.reject_dir = optarg; break;
		case 'q': ir.quiet = 1; break;
		case 'S': syslog_mode = 1; break;
		case 'v': cli_verbose = 1; break;
		case 'b':
			errno = 0;
			ir.batch = strtoul(optarg, &end, 10);
			if (errno || *end || !ir.batch || optarg[0] == '-')
				usage_error(ingest_usage, "--batch wants a positive number, not '%s'", optarg);
			break;
		case 'h':
			fputs(ingest_usage, stdout);
			fputs(ingest_help, stdout);
			return XALT_EXIT_OK;
		case ':':
			usage_error(ingest_usage, "option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error(ingest_usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (ir.delete_files && ir.archive)
		usage_error(ingest_usage, "--delete and --archive cannot be used together");
	if (syslog_mode && (ir.delete_files || ir.archive || ir.reject_dir))
		usage_error(ingest_usage, "--syslog cannot be used with %s",
			    ir.delete_files ? "--delete" : ir.archive ? "--archive" : "--reject-dir");
	if (optind >= argc)
		usage_error(ingest_usage, "no PATH to ingest");
	if (ir.archive)
		check_dir("--archive", ir.archive);
	if (ir.reject_dir)
		check_dir("--reject-dir", ir.reject_dir);

	for (int i = optind; i < argc && !syslog_mode; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			error_errno("cannot access '%s'", argv[i]);
			ir.read++;
			ir.rejected++;
		} else if (S_ISDIR(st.st_mode)) {
			walk(&ir, argv[i]);
		} else {
			push(&ir.files, &ir.nfiles, &ir.afiles, xstrdup(argv[i]));
		}
	}

	spec = db_default_spec(dbarg);
	if (!(db = db_open(spec, 1)) || db_migrate(db) || !(ir.in = ingest_open(db))) {
		db_close(db);
		free(spec);
		for (size_t i = 0; i < ir.nfiles; i++)
			free(ir.files[i]);
		free(ir.files);
		return XALT_EXIT_FAILURE;
	}
	/* The files go away after each commit: the commit must then survive a
	 * power cut too (WAL + NORMAL only guarantees consistency). Costs one
	 * fsync per batch; PostgreSQL commits are durable already. */
	if ((ir.delete_files || ir.archive) && !db_spec_is_pg(spec) &&
	    db_exec(db, "PRAGMA synchronous=FULL"))
		warning("cannot make commits durable: files are removed after each commit anyway");
	ir.progress = !ir.quiet && isatty(2);
	if (syslog_mode)
		ingest_syslog(&ir, argv + optind, argc - optind);
	else
		load_all(&ir);
	commit_batch(&ir);
	draw_progress(&ir, ir.nfiles, 1);
	ingest_close(ir.in);
	db_close(db);
	free(spec);
	for (size_t i = 0; i < ir.nfiles; i++)
		free(ir.files[i]);
	free(ir.files);
	free(ir.pending);
	if (!ir.quiet)
		printf("read %zu, loaded %zu, duplicate %zu, rejected %zu\n",
		       ir.read, ir.loaded, ir.duplicate, ir.rejected);
	return ir.rejected || ir.syslog_lost ? XALT_EXIT_FAILURE : XALT_EXIT_OK;
}
