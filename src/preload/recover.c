/*
 * Recovery: a run dir whose process is certainly gone becomes a record
 * (see recover.h; docs/design.md "Spool" and "Exit paths").
 *
 * "Gone" is decided only for runs noted in our own pid namespace, by the
 * pid in the dir's name and the note: no /proc/<pid>, or a process there
 * with another start time (the pid was reused). Anything else, including a
 * /proc we cannot read, counts as alive. A cheap look at the note's first
 * lines settles live runs; the whole note is read and checked only for a
 * run that is gone.
 *
 * The record is the run's own: the start half and context written at
 * start, copied; the end from the spool's last change (the newest mtime of
 * the dir and its files: the last import a hook wrote), exit.how
 * "recovered", sampling by the run's own config on that run time; the
 * packages read by pkgs.c, as at exit. It goes where the note says, with
 * this process's rights (cmd-recover.c drops root's first); the dir is
 * removed only once the record is sent, so a full destination leaves it for
 * the next try. A flock on the run dir keeps two recoveries (an epilog and
 * a run's exit) from sending it twice.
 *
 * Sections: reading a run dir; judging it; sending its record; the scan.
 */
#include "recover.h"
#include "json-out.h"
#include "paths.h"
#include "procid.h"
#include "record.h"
#include "spool.h"
#include "start-note.h"
#include "sys.h"
#include "trace.h"
#include "transmit.h"
#include "uuid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct xalt_run rec;            /* the run being recovered (static: large) */
static char notebuf[START_NOTE_MAX];   /* its note */
static char outbuf[64 * 1024];         /* json_out's buffer */

const char *recover_verdict_word(enum recover_verdict v)
{
	static const char *const words[RECOVER_NVERDICTS] = {
		"alive", "foreign", "busy", "would-recover", "recovered", "not-sampled",
		"unrecordable", "failed", "no-note", "aged-out", "not-ours",
	};

	return (unsigned)v < RECOVER_NVERDICTS ? words[v] : "?";
}

/* --- reading a run dir ------------------------------------------------------ */

/* Read up to cap - 1 bytes of the regular file `name` in dirfd into buf. */
static ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd = sys_openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0), e;

	if (fd < 0)
		return -1;
	if (sys_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sys_close(fd);
		errno = EINVAL;
		return -1;
	}
	n = sys_read_all(fd, buf, cap - 1);
	e = errno;
	sys_close(fd);
	errno = e;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

struct newest {
	struct timespec t;     /* the newest mtime so far */
};

static int newest_one(int dirfd, const char *name, void *ctx)
{
	struct newest *w = ctx;
	struct stat st;

	if (sys_fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mtim.tv_sec > w->t.tv_sec ||
	     (st.st_mtim.tv_sec == w->t.tv_sec && st.st_mtim.tv_nsec > w->t.tv_nsec)))
		w->t = st.st_mtim;
	return 0;
}

/* The spool's last change: the newest mtime of the dir (open at dfd) and its files. */
static struct timespec last_change(int dfd, const struct stat *dir)
{
	struct newest w = { dir->st_mtim };

	if (sys_lseek(dfd, 0, SEEK_SET) == 0)
		spool_each_entry(dfd, newest_one, &w);
	return w.t;
}

/* --- judging it ------------------------------------------------------------------ */

/*
 * Is the process noted (pid, start time) gone? 1 gone, 0 alive or not
 * known for certain.
 */
static int gone(pid_t pid, unsigned long long starttime)
{
	unsigned long long now;

	if (procid_start_time(pid, &now) == 0)
		return now != starttime;        /* the pid was reused */
	return errno == ENOENT || errno == ESRCH;
}

struct scan {
	const char *udir;              /* the user dir's path */
	const char *skip;              /* a run dir name not to look at, or NULL */
	const struct recover_opts *o;
	long *counts;                  /* per verdict, or NULL */
	int sent;                      /* records sent so far */
	int looked;                    /* run dirs judged so far */
	unsigned long long pidns;      /* ours */
	int have_ns;                   /* pidns is known */
	time_t now;                    /* for the age of note-less dirs */
};

/* --- sending its record -------------------------------------------------------------- */

/*
 * Fill rec from the note n and the run dir `name`; send its record. A
 * verdict: DONE, NOT_SAMPLED, UNRECORDABLE or FAILED; *why says more.
 */
static enum recover_verdict send_record(struct scan *s, const char *name,
					struct start_note *n, struct timespec end,
					const char **why)
{
	struct run_end e = { RUN_RECOVERED, 0, 0, end, 0, 1.0, 0 };
	const struct transmit_ops *t;
	struct json_out j;
	void *ctx = NULL;
	uint64_t u = 0;
	int rc;

	rec.tracked = 1;
	rec.track = n->track;
	rec.pid = n->pid;
	rec.forced = n->forced;
	rec.program = n->program[0] ? n->program : NULL;
	rec.start_rt.tv_sec = (time_t)n->start_sec;
	rec.start_rt.tv_nsec = n->start_nsec;
	memcpy(rec.uuid, n->uuid, strlen(n->uuid) + 1);      /* <= 64: start_note_parse */
	memcpy(rec.cfgtext, n->config, n->config_len + 1);   /* < CONFIG_MAX_BYTES */
	if (config_parse(&rec.cfg, rec.cfgtext, "(start note)", 0, NULL, NULL)) {
		*why = "the noted config has errors";
		return RECOVER_UNRECORDABLE;
	}
	if (fmt_join(rec.spool, sizeof(rec.spool), s->udir, "/", name) < 0) {
		*why = "the run dir's name is too long";
		return RECOVER_UNRECORDABLE;
	}
	e.run_time = (double)(end.tv_sec - rec.start_rt.tv_sec) +
		     (double)(end.tv_nsec - rec.start_rt.tv_nsec) / 1e9;
	if (e.run_time < 0)
		e.run_time = 0;
	e.prob = rec.forced ? 1.0 : sample_probability(&rec.cfg, e.run_time);
	if (uuid_random(&u, sizeof(u)) < 0)
		u = 0;    /* keeps it: a lost record is worse than an extra one */
	if (!rec.forced && !sample_keep(e.prob, u)) {
		*why = "the sample table's draw";
		return RECOVER_NOT_SAMPLED;
	}
	t = transmit_lookup(n->transmission);
	if (!t) {
		*why = "no such transmission in this build";
		return RECOVER_UNRECORDABLE;
	}
	if (t == &transmit_file_ops) {
		if (!n->dest[0]) {
			*why = "the run had no record directory (file_prefix)";
			return RECOVER_UNRECORDABLE;
		}
		rc = transmit_file_open_in(&ctx, n->dest, rec.uuid, &end);
	} else {
		rc = t->open(&ctx, &rec, &end);
	}
	if (rc < 0) {
		*why = strerror(errno);
		return RECOVER_FAILED;
	}
	json_out_init(&j, outbuf, sizeof(outbuf), t->flush, ctx);
	json_out_begin_object(&j, NULL);
	json_out_members(&j, n->head, n->head_len);
	record_end_half(&j, &rec, &e);
	json_out_members(&j, n->context, n->context_len);
	record_packages(&j, &rec);
	json_out_end_object(&j);
	rc = json_out_finish(&j);
	if (t->finish(ctx, rc == 0) < 0 || rc < 0) {
		*why = strerror(errno);
		return RECOVER_FAILED;
	}
	return RECOVER_DONE;
}

/*
 * Judge one run dir (open at dfd, already locked, stat in *dir) and do
 * what its verdict says.
 */
static enum recover_verdict judge(struct scan *s, int udfd, int dfd, const char *name,
				  pid_t pid, const struct stat *dir, const char **why)
{
	struct start_note n;
	struct timespec end;
	enum recover_verdict v;
	ssize_t len;
	size_t ulen = strlen(name) - strlen(strrchr(name, '.'));

	len = read_file_at(dfd, START_NOTE_FILE, notebuf, START_NOTE_PEEK + 1);
	if (len < 0 && errno == ENOENT) {
		struct stat now;
		/* Removed meanwhile by another recovery (it unlinks the files first). */
		if (sys_fstat(dfd, &now) == 0 && now.st_nlink == 0)
			return RECOVER_BUSY;
	}
	if (len >= 0 && start_note_peek(notebuf, (size_t)len, &n) == 0 && n.pid == pid) {
		if (!s->have_ns || n.pidns != s->pidns)
			return RECOVER_FOREIGN;
		if (!gone(pid, n.starttime))
			return RECOVER_ALIVE;
		len = read_file_at(dfd, START_NOTE_FILE, notebuf, sizeof(notebuf));
		if (len >= 0 && start_note_parse(notebuf, (size_t)len, &n) == 0 && n.pid == pid &&
		    n.uid == getuid() && strlen(n.uuid) == ulen && !memcmp(n.uuid, name, ulen)) {
			if (s->o->dry_run)
				return RECOVER_WOULD;
			end = last_change(dfd, dir);
			v = send_record(s, name, &n, end, why);
			if (v == RECOVER_FAILED)
				return v;
			if (spool_remove_at(udfd, name) < 0 && v == RECOVER_DONE)
				*why = "sent, but the run dir could not be removed";
			return v;
		}
	}
	/* No valid note: an older library's spool, or a note cut short. It
	 * cannot be judged (its namespace is unknown): it only ages out. */
	*why = "no valid start note";
	end = last_change(dfd, dir);
	if (s->now - end.tv_sec < RECOVER_NOTELESS_AGE)
		return RECOVER_NO_NOTE;
	if (!s->o->dry_run)
		spool_remove_at(udfd, name);
	return RECOVER_AGED_OUT;
}

/* --- the scan ---------------------------------------------------------------------------- */

static int scan_one(int udfd, const char *name, void *ctx)
{
	struct scan *s = ctx;
	enum recover_verdict v = RECOVER_NOT_OURS;
	const char *why = "";
	pid_t pid = spool_run_dir_pid(name);
	struct stat st;
	int dfd = -1;

	if ((s->o->max_sends && s->sent >= s->o->max_sends) ||
	    (s->o->max_looks && s->looked >= s->o->max_looks))
		return 1;
	if (s->skip && !strcmp(name, s->skip))
		return 0;
	if (!pid) {
		why = "not a run dir name";
	} else if ((dfd = sys_openat(udfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
				     0)) < 0) {
		why = errno == ELOOP || errno == ENOTDIR ? "not a directory" : strerror(errno);
	} else if (sys_fstat(dfd, &st) < 0 || st.st_uid != getuid()) {
		why = "owned by another user";
	} else if (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		v = RECOVER_BUSY;
	} else {
		v = judge(s, udfd, dfd, name, pid, &st, &why);
	}
	if (dfd >= 0)
		sys_close(dfd);      /* and the lock with it */
	if (v == RECOVER_DONE)
		s->sent++;
	s->looked++;
	if (s->counts)
		s->counts[v]++;
	if (s->o->report)
		s->o->report(s->o->ctx, s->udir, name, v, why);
	return 0;
}

int recover_user_dir(const char *base, const char *skip, const struct recover_opts *o,
		     long *counts)
{
	char udir[SPOOL_PATH_MAX];
	struct scan s = { udir, skip, o, counts, 0, 0, 0, 0, 0 };
	struct timespec now;
	int fd, r, e;

	if (!base)
		base = paths_spool_base(environ);
	if (spool_user_dir_check(base, getuid(), udir, sizeof(udir)) < 0)
		return -1;
	s.have_ns = procid_pidns(&s.pidns) == 0;
	clock_gettime(CLOCK_REALTIME, &now);
	s.now = now.tv_sec;
	fd = sys_open(udir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = spool_each_entry(fd, scan_one, &s);
	e = errno;
	sys_close(fd);
	errno = e;
	return r < 0 ? -1 : s.sent;
}

static void reap_report(void *ctx, const char *dir, const char *name,
			enum recover_verdict v, const char *why)
{
	(void)ctx;
	if (v != RECOVER_ALIVE)
		XTRACE("run dir %s/%s: %s%s%s", dir, name, recover_verdict_word(v),
		       why[0] ? ": " : "", why);
}

void recover_reap(void)
{
	struct recover_opts o = { 0, RECOVER_REAP_SENDS, RECOVER_REAP_LOOKS, reap_report, NULL };

	if (recover_user_dir(NULL, NULL, &o, NULL) < 0 && errno != ENOENT)
		XTRACE("cannot look for dead runs: %s", strerror(errno));
}
