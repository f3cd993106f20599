/*
 * `xalt ingest`: load run records from files and directories into the
 * database.
 *
 * The command parses its options, hands the work out and prints the
 * summary: walk.c finds and reads the files, reader.c parses them on a
 * second thread, ingest.h validates and loads each record text (for
 * --syslog, syslog-reassemble.h hands it the texts), file-move.c archives,
 * rejects or deletes files, progress.c draws the bar.
 *
 * Records are committed in batches (--batch; by default 5000 per transaction
 * on SQLite, 20000 on PostgreSQL): one transaction per record made the
 * reference tool take 4.5 days for 5 M runs (docs/database.md, "Why"). Files are deleted or archived only after
 * the batch holding them is committed. A bad file never stops the batch: it
 * is reported with its path and reason, counted, and moved to --reject-dir
 * when given.
 *
 * Sections: batches | files | syslog | the command
 */
#include "cli.h"
#include "db.h"
#include "file-move.h"
#include "ingest.h"
#include "progress.h"
#include "reader.h"
#include "syslog-reassemble.h"
#include "walk.h"
#include "xbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char ingest_usage[] =
	"usage: xalt ingest [--db DB] [--delete | --archive DIR] [--reject-dir DIR]\n"
	"                   [--batch N] [--jobs N] [--quiet] PATH...\n"
	"   or: xalt ingest --syslog [--db DB] [--batch N] [--quiet] LOGFILE...\n";

static const char ingest_help[] =
	"\n"
	"Load run records (files run.*.json, directories searched recursively)\n"
	"into the database. A record already stored (same run_uuid, same run) is\n"
	"counted as a duplicate and stored once. Invalid files are reported and\n"
	"skipped, and so is a record whose run_uuid is stored for another run,\n"
	"or whose run started before the first day kept by `xalt db prune`.\n"
	"A file not owned by root must be owned by the record's uid.\n"
	"\n"
	"options:\n"
	"  --db DB           SQLite file or postgresql://... URI\n"
	"                    (default $XDG_DATA_HOME/xalt/xalt.db or ~/.local/share/xalt/xalt.db)\n"
	"  --delete          delete each file once its record is committed\n"
	"  --archive DIR     move each file into DIR once its record is committed\n"
	"  --reject-dir DIR  move rejected files into DIR\n"
	"  --batch N         records per transaction (default 5000 on SQLite,\n"
	"                    20000 on PostgreSQL)\n"
	"  -j, --jobs N      PostgreSQL: N loaders at once, each with its own\n"
	"                    connections and reading thread, files dealt in turn\n"
	"                    (default 1; SQLite has one writer: always 1)\n"
	"  --syslog          read rsyslog output files holding syslog-transmitted\n"
	"                    chunks (docs/syslog.md); runs missing a chunk or failing\n"
	"                    a checksum are reported and counted, never loaded\n"
	"  -q, --quiet       no progress bar and no summary line\n"
	"  -v, --verbose     explain each decision on stderr\n"
	"  -h, --help        show this help\n"
	"\n"
	"A file named on the command line is read whatever its name; in directories\n"
	"only run.*.json files are. No symbolic link is followed below a named\n"
	"path (nor a named file that is one). With --delete or --archive, writers'\n"
	".run.*.tmp files older than a day are removed.\n"
	"The summary line reads: read N, loaded N, duplicate N, rejected N.\n"
	"With --syslog a second line counts chunks and incomplete/corrupt runs.\n"
	"\n"
	"exit status: 0 all records loaded or duplicate, 1 a file was rejected, a\n"
	"syslog run was incomplete or corrupt, or the database failed, 2 usage error\n"
	"\n"
	"example: xalt ingest --archive /var/xalt/done ~/.xalt.d\n";

struct ingest_run {
	struct ingest *in;           /* the loader */
	const char *archive;         /* --archive DIR or NULL */
	const char *reject_dir;      /* --reject-dir DIR or NULL */
	int archive_fd, reject_fd;   /* those directories, opened once (-1 when not given) */
	int delete_files;            /* --delete */
	int quiet;                   /* --quiet */
	struct progress progress;    /* the bar, on when stderr is a terminal */
	size_t batch;                /* records per transaction (0 until the engine is known) */
	struct walk walk;            /* every file to read, in order */
	struct walk_cursor cur;      /* this thread's directory, for moves and deletes */
	size_t *pending;             /* loaded files (walk indexes) awaiting commit */
	size_t npending, apending;
	size_t in_batch;             /* records written since the last commit */
	struct queued_rec {          /* of those, INGEST_QUEUED: decided at commit */
		size_t file;         /* walk index (files), or */
		char *run;           /* "run UUID from 'ORIGIN'" (--syslog) */
	} *queued;
	size_t nqueued, aqueued;
	size_t read, loaded, duplicate, rejected;
	size_t syslog_lost;          /* --syslog: runs incomplete or corrupt, unreadable logs */
};

/* === batches ================================================================ */

/* A file (or a --syslog run) whose record was refused: say why, and move
 * the file to --reject-dir. */
static void reject(struct ingest_run *ir, const struct queued_rec *q, const char *why)
{
	ir->rejected++;
	progress_clear(&ir->progress);
	if (q->run) {
		error("rejected %s: %s", q->run, why);
		return;
	}
	error("rejected '%s': %s", ir->walk.files[q->file].path, why);
	if (ir->reject_dir)
		file_move_into(&ir->walk, &ir->cur, q->file, ir->reject_fd, ir->reject_dir);
}

/* A stored (or duplicate) file: delete or archive it as asked. */
static void done_with(struct ingest_run *ir, size_t file)
{
	if (ir->delete_files)
		file_delete(&ir->walk, &ir->cur, file);
	else if (ir->archive)
		file_move_into(&ir->walk, &ir->cur, file, ir->archive_fd, ir->archive);
}

/* Commit the open batch, then count its queued records as the commit found
 * them (ingest_commit_results), and delete/archive its files (a conflict or
 * a pruned run is rejected, never deleted). Dies on a database failure: the
 * batch's records stay in their files for the next ingest. */
static void commit_batch(struct ingest_run *ir)
{
	const enum ingest_result *res;
	size_t n, loaded = ir->loaded;

	if (ingest_commit(ir->in))
		die("cannot commit to the database; the last batch's files were left in place");
	res = ingest_commit_results(ir->in, &n);
	if (n != ir->nqueued)
		die("internal error: %zu records queued, %zu committed", ir->nqueued, n);
	for (size_t i = 0; i < ir->npending; i++)
		done_with(ir, ir->pending[i]);
	for (size_t k = 0; k < n; k++) {
		struct queued_rec *q = &ir->queued[k];
		if (res[k] == INGEST_CONFLICT || res[k] == INGEST_PRUNED) {
			reject(ir, q, ingest_refusal(ir->in, res[k]));
		} else {
			*(res[k] == INGEST_LOADED ? &ir->loaded : &ir->duplicate) += 1;
			if (!q->run)
				done_with(ir, q->file);
		}
		free(q->run);
	}
	if (n)
		cli_trace("batch committed: %zu queued, %zu loaded", n, ir->loaded - loaded);
	ir->nqueued = 0;
	ir->npending = 0;
	ir->in_batch = 0;
}

/* Remember a queued record: file index, or for --syslog the run's words
 * (NULL for a file). */
static void add_queued(struct ingest_run *ir, size_t file, char *run)
{
	if (ir->nqueued == ir->aqueued) {
		ir->aqueued = ir->aqueued ? 2 * ir->aqueued : 256;
		ir->queued = xrealloc(ir->queued, ir->aqueued * sizeof(*ir->queued));
	}
	ir->queued[ir->nqueued].file = file;
	ir->queued[ir->nqueued++].run = run;
}

/* A record taken at load: loaded or duplicate (SQLite). */
static void count_result(struct ingest_run *ir, int res)
{
	*(res == INGEST_LOADED ? &ir->loaded : &ir->duplicate) += 1;
}

/* === files ================================================================== */

/* Account for file i of the walk: load its parsed record, or report why
 * not. A conflict (its uuid stored for another run) or a run from before
 * the first day kept is rejected like an invalid file: never deleted or
 * archived as a duplicate. */
static void one_file(struct ingest_run *ir, size_t i, struct ingest_parsed *p,
		     const char *readerr)
{
	const char *path = ir->walk.files[i].path;
	int res = readerr ? INGEST_REJECTED : ingest_load(ir->in, p, path);

	ir->read++;
	switch (res) {
	case INGEST_LOADED:
	case INGEST_DUPLICATE:
	case INGEST_QUEUED:
		cli_trace("%s '%s'", res == INGEST_LOADED ? "loaded" : res == INGEST_QUEUED ?
			  "queued" : "duplicate", path);
		if (res == INGEST_QUEUED)
			add_queued(ir, i, NULL);
		else
			count_result(ir, res);
		if (res != INGEST_QUEUED && (ir->delete_files || ir->archive)) {
			if (ir->npending == ir->apending) {
				ir->apending = ir->apending ? 2 * ir->apending : 256;
				ir->pending = xrealloc(ir->pending, ir->apending * sizeof(*ir->pending));
			}
			ir->pending[ir->npending++] = i;
		}
		if (++ir->in_batch >= ir->batch)
			commit_batch(ir);
		break;
	case INGEST_REJECTED:
	case INGEST_CONFLICT:
	case INGEST_PRUNED: {
		struct queued_rec q = { .file = i };
		reject(ir, &q, readerr ? readerr : res == INGEST_REJECTED ? ingest_parsed_error(p)
					 : ingest_refusal(ir->in, res));
		break;
	}
	default:
		die("database failure while loading '%s'; nothing of the open batch was committed", path);
	}
}

/* Every file, parsed on the reading thread (reader.h), loaded here in order. */
static void load_files(struct ingest_run *ir)
{
	struct reader *rd = reader_start(&ir->walk);
	struct reader_block *b;

	while ((b = reader_next(rd))) {
		for (size_t i = 0; i < b->n; i++) {
			one_file(ir, b->first + i, b->parsed[i], b->readerr[i]);
			progress_draw(&ir->progress, b->first + i + 1, 0);
		}
		reader_block_free(b);
	}
	reader_finish(rd);
}

/* === syslog ================================================================= */

/* --syslog: each complete, verified record from the reassembler. */
static int syslog_record(void *ctx, const char *uuid, const char *text, size_t len,
			 const char *origin)
{
	struct ingest_run *ir = ctx;
	struct xbuf why = XBUF_INIT, run = XBUF_INIT;
	int res = ingest_record(ir->in, text, len, origin, &why);

	ir->read++;
	xbuf_addf(&run, "run %s from '%s'", uuid, origin);
	if (res == INGEST_LOADED || res == INGEST_DUPLICATE || res == INGEST_QUEUED) {
		cli_trace("%s %s", res == INGEST_LOADED ? "loaded" :
			  res == INGEST_QUEUED ? "queued" : "duplicate", run.buf);
		if (res == INGEST_QUEUED)
			add_queued(ir, 0, xbuf_detach(&run, NULL));
		else
			count_result(ir, res);
		if (++ir->in_batch >= ir->batch)
			commit_batch(ir);
	} else if (res == INGEST_REJECTED || res == INGEST_CONFLICT || res == INGEST_PRUNED) {
		struct queued_rec q = { .run = run.buf };
		reject(ir, &q, why.buf);
	} else {
		die("database failure while loading %s; nothing of the open batch was committed",
		    run.buf);
	}
	xbuf_release(&run);
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

/* === jobs ================================================================== */

/* One loader of --jobs: its own connection, ingest and reading thread. */
static void *job_main(void *arg)
{
	struct ingest_run *ir = arg;

	load_files(ir);
	commit_batch(ir);
	return NULL;
}

/*
 * --jobs N on PostgreSQL: the files dealt in turn to N loaders running at
 * once (job 0 is ir itself, on db). The loaders' batches touch no common
 * row but for the same uuid or a new package, where one waits for the
 * other's commit (load.c). A failing loader dies, as one loader would: the
 * open batches are rolled back, their files left in place. Counts are
 * added into ir.
 */
static void load_jobs(struct ingest_run *ir, const char *spec, size_t njobs)
{
	struct ingest_run *jobs = xcalloc(njobs, sizeof(*jobs));
	struct db **dbs = xcalloc(njobs, sizeof(*dbs));
	pthread_t *tid = xcalloc(njobs, sizeof(*tid));

	for (size_t j = 0; j < njobs; j++) {
		jobs[j] = *ir;
		/* a walk of its own files, sharing ir's directories (read only) */
		jobs[j].walk = (struct walk)WALK_INIT;
		jobs[j].walk.dirs = ir->walk.dirs;
		jobs[j].walk.ndirs = ir->walk.ndirs;
		jobs[j].walk.files = xcalloc(ir->walk.n / njobs + 1, sizeof(struct walk_file));
		jobs[j].cur = (struct walk_cursor)WALK_CURSOR_INIT;
		jobs[j].pending = NULL;
		jobs[j].npending = jobs[j].apending = 0;
		jobs[j].queued = NULL;
		jobs[j].nqueued = jobs[j].aqueued = 0;
		jobs[j].progress.on = 0;
		jobs[j].read = jobs[j].loaded = jobs[j].duplicate = jobs[j].rejected = 0;
		if (j && (!(dbs[j] = db_open(spec, 0)) || !(jobs[j].in = ingest_open(dbs[j]))))
			die("cannot open loader %zu of --jobs", j + 1);
	}
	for (size_t i = 0; i < ir->walk.n; i++) {
		struct walk *w = &jobs[i % njobs].walk;
		w->files[w->n++] = ir->walk.files[i];
	}
	for (size_t j = 0; j < njobs; j++)
		if (pthread_create(&tid[j], NULL, job_main, &jobs[j]))
			die("cannot start loader %zu of --jobs", j + 1);
	for (size_t j = 0; j < njobs; j++) {
		pthread_join(tid[j], NULL);
		ir->read += jobs[j].read;
		ir->loaded += jobs[j].loaded;
		ir->duplicate += jobs[j].duplicate;
		ir->rejected += jobs[j].rejected;
	}
	/* closed only now: ingest_close forgets the known library arrays,
	 * which every loader's reading thread shares */
	for (size_t j = 1; j < njobs; j++) {
		ingest_close(jobs[j].in);
		db_close(dbs[j]);
	}
	for (size_t j = 0; j < njobs; j++) {   /* the names belong to ir's walk */
		free(jobs[j].walk.files);
		free(jobs[j].pending);
		free(jobs[j].queued);
		walk_cursor_release(&jobs[j].cur);
	}
	free(jobs);
	free(dbs);
	free(tid);
}

/* === the command ============================================================ */

/* An existing directory we can write into, for --archive / --reject-dir:
 * opened once, so that files move by descriptor (file-move.h). */
static int open_dir(const char *opt, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || faccessat(fd, ".", W_OK | X_OK, 0))
		usage_error(ingest_usage, "%s '%s' is not a writable directory", opt, dir);
	return fd;
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "delete", no_argument, NULL, 'D' },
		{ "archive", required_argument, NULL, 'a' },
		{ "reject-dir", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ingest_run ir = { .batch = 0, .archive_fd = -1, .reject_fd = -1,
				 .walk = WALK_INIT, .cur = WALK_CURSOR_INIT };
	const char *dbarg = NULL;
	char *spec, *end;
	struct db *db;
	int c, syslog_mode = 0;
	size_t njobs = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:qvh", opts, NULL)) != -1) {
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
		case 'j':
			errno = 0;
			njobs = strtoul(optarg, &end, 10);
			if (errno || *end || !njobs || njobs > 64 || optarg[0] == '-')
				usage_error(ingest_usage, "--jobs wants a number from 1 to 64, not '%s'", optarg);
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
	if (syslog_mode && njobs > 1)
		usage_error(ingest_usage, "--syslog cannot be used with --jobs");
	if (optind >= argc)
		usage_error(ingest_usage, "no PATH to ingest");
	if (ir.archive)
		ir.archive_fd = open_dir("--archive", ir.archive);
	if (ir.reject_dir)
		ir.reject_fd = open_dir("--reject-dir", ir.reject_dir);

	if (!syslog_mode) {
		size_t failed;
		/* only an ingest that may change the tree cleans it */
		ir.walk.clean_tmp = ir.delete_files || ir.archive;
		failed = walk_paths(&ir.walk, argv + optind, (size_t)(argc - optind));
		ir.read += failed;
		ir.rejected += failed;
	}

	spec = db_default_spec(dbarg);
	if (!(db = db_open(spec, 1)) || db_migrate(db) || !(ir.in = ingest_open(db))) {
		db_close(db);
		free(spec);
		walk_release(&ir.walk);
		return XALT_EXIT_FAILURE;
	}
	/* The files go away after each commit: the commit must then survive a
	 * power cut too. Costs one fsync per batch. */
	if ((ir.delete_files || ir.archive) && db_set_durability(db, DB_DURABLE_FULL))
		warning("cannot make commits durable: files are removed after each commit anyway");
	/* A PostgreSQL batch pays its move and summary statements once, so a
	 * larger one costs less per record (20000 took 0.81x the time of 5000
	 * there); on SQLite it gained nothing and took more memory
	 * (bench/RESULTS.md, "Batch size"). */
	if (!ir.batch)
		ir.batch = db_can_copy(db) ? 20000 : 5000;
	cli_trace("committing every %zu records", ir.batch);
	if (njobs > 1 && !db_can_copy(db)) {
		cli_trace("--jobs: SQLite has one writer, loading with one");
		njobs = 1;
	}
	ir.progress.on = !ir.quiet && isatty(2) && njobs == 1;
	ir.progress.total = ir.walk.n;
	if (syslog_mode)
		ingest_syslog(&ir, argv + optind, argc - optind);
	else if (njobs > 1)
		load_jobs(&ir, spec, njobs);
	else
		load_files(&ir);
	commit_batch(&ir);
	progress_draw(&ir.progress, ir.walk.n, 1);
	ingest_close(ir.in);
	db_close(db);
	free(spec);
	walk_cursor_release(&ir.cur);
	walk_release(&ir.walk);
	free(ir.pending);
	free(ir.queued);
	if (ir.archive_fd >= 0)
		close(ir.archive_fd);
	if (ir.reject_fd >= 0)
		close(ir.reject_fd);
	if (!ir.quiet)
		printf("read %zu, loaded %zu, duplicate %zu, rejected %zu\n",
		       ir.read, ir.loaded, ir.duplicate, ir.rejected);
	return ir.rejected || ir.syslog_lost ? XALT_EXIT_FAILURE : XALT_EXIT_OK;
}
