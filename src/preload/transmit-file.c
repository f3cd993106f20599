/*
 * File transmission (docs/design.md, "File transmission"): the record goes
 * to "<prefix>/.run.<time>.<uuid>.json.tmp", created O_CREAT|O_EXCL|
 * O_NOFOLLOW mode 0600, and gets its final name "run.<time>.<uuid>.json"
 * only when complete, so ingest never sees half a record and nobody else can
 * read it. The final name never replaces a file that is there: in a shared
 * drop box another user may have planted it (issue 12 item 2), and rename
 * would fail (EPERM, sticky) or replace. A name taken gives another unique
 * one, "run.<time>.<uuid>.<8 random hex>.json", instead of losing the record.
 *
 * Where the prefix is and whether it may be used (XALT_FILE_PREFIX, else
 * the config's file_prefix, "~/" from $HOME; a real directory owned by the
 * user or a root-owned sticky one, created 0700 with its parents when
 * missing; docs/security.md) is paths.c's to say: `xalt doctor` asks the
 * same functions what they would do.
 *
 * The time in the name is UTC, computed by hand: gmtime_r takes a lock
 * (tzset) and this runs in the fatal-signal handler.
 */
#include "transmit.h"
#include "fmt.h"
#include "uuid.h"
#include "paths.h"
#include "run.h"
#include "sys.h"
#include "trace.h"
#include "xalt-env.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct file_state {
	int fd;                   /* the temp file, -1 when closed */
	char dir[PATH_MAX];       /* the prefix */
	char tmp[PATH_MAX];       /* temp file path */
	char final[PATH_MAX];     /* record file path */
} st;      /* in .bss, not .data: file_open sets fd first (see transmit-syslog.c) */

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil inverse). */
static void civil(long long z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int transmit_file_name(char *out, size_t cap, const char *uuid, const struct timespec *t)
{
	long long secs = (long long)t->tv_sec, days = secs / 86400, rem = secs % 86400;
	struct fmt f;
	int y;
	unsigned mo, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil(days, &y, &mo, &d);
	if (strlen(uuid) > 64 || y < 0 || y > 9999) {
		errno = EINVAL;
		return -1;
	}
	fmt_init(&f, out, cap);
	fmt_str(&f, "run.");
	fmt_dec(&f, (unsigned)y, 4);
	fmt_dec(&f, mo, 2);
	fmt_dec(&f, d, 2);
	fmt_char(&f, 'T');
	fmt_dec(&f, (unsigned long long)(rem / 3600), 2);
	fmt_dec(&f, (unsigned long long)(rem / 60 % 60), 2);
	fmt_dec(&f, (unsigned long long)(rem % 60), 2);
	fmt_char(&f, '.');
	fmt_dec(&f, (unsigned long long)(t->tv_nsec / 1000), 6);
	fmt_str(&f, "Z.");
	fmt_str(&f, uuid);
	fmt_str(&f, ".json");
	return (int)fmt_end(&f);
}

int transmit_file_open_in(void **ctx, const char *dir, const char *uuid,
			  const struct timespec *end_rt)
{
	char name[256];
	struct fmt tmp;

	*ctx = &st;
	st.fd = -1;
	if (fmt_join(st.dir, sizeof(st.dir), dir, "", "") < 0 ||
	    transmit_file_name(name, sizeof(name), uuid, end_rt) < 0 ||
	    fmt_join(st.final, sizeof(st.final), st.dir, "/", name) < 0)
		return -1;
	fmt_init(&tmp, st.tmp, sizeof(st.tmp));    /* "<dir>/.<name>.tmp" */
	fmt_str(&tmp, st.dir);
	fmt_str(&tmp, "/.");
	fmt_str(&tmp, name);
	fmt_str(&tmp, ".tmp");
	if (fmt_end(&tmp) < 0 || paths_record_dir_ready(st.dir, getuid()) < 0)
		return -1;
	st.fd = sys_open(st.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return st.fd < 0 ? -1 : 0;
}

static int file_open(void **ctx, const struct xalt_run *r, const struct timespec *end_rt)
{
	char dir[PATH_MAX];

	*ctx = &st;
	st.fd = -1;
	if (paths_record_dir(environ, &r->cfg, dir, sizeof(dir)) < 0)
		return -1;
	return transmit_file_open_in(ctx, dir, r->uuid, end_rt);
}

static int file_flush(void *ctx, const char *data, size_t len)
{
	struct file_state *s = ctx;

	return sys_write_all(s->fd, data, len);
}

#define FILE_NAME_TRIES 8     /* final names tried: the first and 7 random ones */

/*
 * Give tmp the name `final` without replacing what may be there. link(2)
 * fails with EEXIST on a taken name; where the file system has no hard
 * links (EPERM, ENOTSUP and the like, on some FUSE mounts) rename(2)
 * follows, after an lstat that finds the name free (a race left open only
 * there). 0, or -1 with errno.
 */
static int publish(const char *tmp, const char *final)
{
	struct stat sb;

	if (sys_link(tmp, final) == 0) {
		sys_unlink(tmp);
		return 0;
	}
	if (errno == EEXIST)
		return -1;
	if (sys_lstat(final, &sb) == 0) {
		errno = EEXIST;
		return -1;
	}
	return sys_rename(tmp, final);
}

/* Did publish fail because of what holds the name (try another one)? */
static int name_taken(int e)
{
	return e == EEXIST || e == EPERM || e == EACCES || e == EISDIR || e == ENOTEMPTY;
}

/*
 * The n-th other name (n >= 1): "<final minus .json>.<8 random hex>.json"
 * into out. The random part comes from getrandom, else from n and the
 * uuid's place in memory: unguessable is the aim, unique the requirement
 * (O_EXCL is not involved: publish never replaces). 0, or -1.
 */
static int other_name(char *out, size_t cap, const char *final, unsigned n)
{
	size_t len = strlen(final) - 5;      /* without ".json" */
	unsigned char rnd[4];
	struct fmt f;

	if (uuid_random(rnd, sizeof(rnd)) < 0) {
		rnd[0] = (unsigned char)n;
		rnd[1] = (unsigned char)(n >> 8);
		rnd[2] = rnd[3] = (unsigned char)getpid();
	}
	fmt_init(&f, out, cap);
	fmt_mem(&f, final, len);
	fmt_char(&f, '.');
	fmt_hex_bytes(&f, rnd, sizeof(rnd));
	fmt_str(&f, ".json");
	return fmt_end(&f) < 0 ? -1 : 0;
}

static int file_finish(void *ctx, int ok)
{
	struct file_state *s = ctx;
	char alt[PATH_MAX];

	if (s->fd < 0)
		return -1;
	if (sys_close(s->fd) < 0)
		ok = 0;     /* e.g. a delayed ENOSPC or EIO on NFS */
	s->fd = -1;
	if (ok && publish(s->tmp, s->final) == 0)
		return 0;
	for (unsigned n = 1; ok && n < FILE_NAME_TRIES && name_taken(errno); n++) {
		if (other_name(alt, sizeof(alt), s->final, n) < 0)
			break;
		if (publish(s->tmp, alt) == 0)
			return 0;
	}
	sys_unlink(s->tmp);  /* leave nothing half-written */
	return -1;
}

const struct transmit_ops transmit_file_ops = {
	"file", file_open, file_flush, file_finish,
};
