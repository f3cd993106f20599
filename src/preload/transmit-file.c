/*
 * File transmission (docs/design.md, "File transmission"): the record goes
 * to "<prefix>/.run.<time>.<uuid>.json.tmp", created O_CREAT|O_EXCL|
 * O_NOFOLLOW mode 0600, and is renamed to "run.<time>.<uuid>.json" only when
 * complete, so ingest never sees half a record and nobody else can read it.
 * The prefix (XALT_FILE_PREFIX, else the config's file_prefix, "~/" expanded
 * from $HOME) is created mode 0700, with its parents, when missing.
 *
 * The prefix must be a real directory (lstat: a planted symlink is refused)
 * owned by the user, or a root-owned sticky directory (a site's shared
 * drop box, like /tmp): a directory another user owns or planted in a shared
 * place would let them delete, swap or expose records (docs/security.md).
 *
 * The time in the name is UTC, computed by hand: gmtime_r takes a lock
 * (tzset) and this runs in the fatal-signal handler.
 */
#include "transmit.h"
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

static char *digits(char *p, unsigned long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

int transmit_file_name(char *out, size_t cap, const char *uuid, const struct timespec *t)
{
	char buf[128], *p = buf;
	long long secs = (long long)t->tv_sec, days = secs / 86400, rem = secs % 86400;
	size_t ulen = strlen(uuid);
	int y;
	unsigned mo, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil(days, &y, &mo, &d);
	if (ulen > 64 || y < 0 || y > 9999)
		return -1;
	memcpy(p, "run.", 4); p += 4;
	p = digits(p, (unsigned long)y, 4);
	p = digits(p, mo, 2);
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, (unsigned long)(rem / 3600), 2);
	p = digits(p, (unsigned long)(rem / 60 % 60), 2);
	p = digits(p, (unsigned long)(rem % 60), 2);
	*p++ = '.';
	p = digits(p, (unsigned long)(t->tv_nsec / 1000), 6);
	*p++ = 'Z';
	*p++ = '.';
	memcpy(p, uuid, ulen); p += ulen;
	memcpy(p, ".json", 5); p += 5;
	if ((size_t)(p - buf) + 1 > cap)
		return -1;
	memcpy(out, buf, (size_t)(p - buf));
	out[p - buf] = '\0';
	return (int)(p - buf);
}

/* dst = a + b + c, or -1 (ENAMETOOLONG). */
static int join3(char *dst, size_t cap, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc + 1 > cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb);
	memcpy(dst + la + lb, c, lc + 1);
	return 0;
}

/* mkdir -p, mode 0700 for what we create. 0 or -1. */
static int make_dirs(char *path)
{
	for (char *p = path + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			int rc = sys_mkdir(path, 0700);
			*p = c;
			if (rc < 0 && errno != EEXIST)
				return -1;
			if (!c)
				return 0;
		}
	}
}

/* Is dir a place we may write records into (see the top)? 0, or -1 with errno. */
static int dir_trusted(const char *dir)
{
	struct stat sb;

	if (lstat(dir, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = S_ISLNK(sb.st_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	if (sb.st_uid == getuid() || (sb.st_uid == 0 && (sb.st_mode & S_ISVTX)))
		return 0;
	errno = EPERM;
	return -1;
}

static int file_open(void **ctx, const struct xalt_run *r, const struct timespec *end_rt)
{
	const char *prefix = getenv(XALT_ENV_FILE_PREFIX);
	char name[256];

	*ctx = &st;
	st.fd = -1;
	if (!prefix || !*prefix)
		prefix = r->cfg.file_prefix;
	if (!strncmp(prefix, "~/", 2)) {
		const char *home = getenv("HOME");

		if (!home || home[0] != '/') {
			errno = ENOENT;
			return -1;
		}
		if (join3(st.dir, sizeof(st.dir), home, "/", prefix + 2) < 0)
			return -1;
	} else if (prefix[0] == '/') {
		if (join3(st.dir, sizeof(st.dir), prefix, "", "") < 0)
			return -1;
	} else {
		errno = EINVAL;    /* a relative prefix would depend on the cwd at exit */
		return -1;
	}
	if (transmit_file_name(name, sizeof(name), r->uuid, end_rt) < 0 ||
	    join3(st.final, sizeof(st.final), st.dir, "/", name) < 0 ||
	    join3(st.tmp, sizeof(st.tmp), st.dir, "/.", name) < 0 ||
	    join3(st.tmp, sizeof(st.tmp), st.tmp, ".tmp", "") < 0)
		return -1;
	if (dir_trusted(st.dir) < 0) {
		if (errno != ENOENT || make_dirs(st.dir) < 0 || dir_trusted(st.dir) < 0)
			return -1;
	}
	st.fd = sys_open(st.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return st.fd < 0 ? -1 : 0;
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
