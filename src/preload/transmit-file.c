/*
 * File transmission (docs/design.md, "File transmission"): the record goes
 * to "<prefix>/.run.<time>.<uuid>.json.tmp", created O_CREAT|O_EXCL|
 * O_NOFOLLOW mode 0600, and is renamed to "run.<time>.<uuid>.json" only when
 * complete, so ingest never sees half a record and nobody else can read it.
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

static int file_finish(void *ctx, int ok)
{
	struct file_state *s = ctx;
	int rc = 0;

	if (s->fd < 0)
		return -1;
	if (sys_close(s->fd) < 0)
		ok = 0;     /* e.g. a delayed ENOSPC or EIO on NFS */
	s->fd = -1;
	if (ok && sys_rename(s->tmp, s->final) == 0)
		return 0;
	rc = -1;
	sys_unlink(s->tmp);  /* leave nothing half-written */
	return rc;
}

const struct transmit_ops transmit_file_ops = {
	"file", file_open, file_flush, file_finish,
};
