/*
 * Who ran the program (see record.h, record_user). /etc/passwd is read with
 * open/read into a static buffer, at most 64 KB: on a cluster the users are
 * in LDAP and $USER is set by login, so the file is the rare fallback.
 */
#include "record.h"
#include "fmt.h"
#include "sys.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Is the uid field (3rd) of passwd line [l, l+n) equal to uid? */
static int line_uid(const char *l, size_t n, unsigned uid, size_t *namelen)
{
	const char *c1 = memchr(l, ':', n), *c2, *p;
	unsigned long v = 0;

	if (!c1)
		return 0;
	*namelen = (size_t)(c1 - l);
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - l));
	if (!c2)
		return 0;
	p = c2 + 1;
	if (p >= l + n || *p < '0' || *p > '9')
		return 0;
	for (; p < l + n && *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return p < l + n && *p == ':' && v == uid;
}

static int from_passwd(char *out, size_t cap, unsigned uid)
{
	static char buf[65536];   /* static: the exit path runs once, maybe on a small signal stack */
	ssize_t n;
	int fd = sys_open("/etc/passwd", O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	n = sys_read_all(fd, buf, sizeof(buf));
	sys_close(fd);
	for (char *l = buf, *end = buf + (n > 0 ? n : 0); l < end;) {
		char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l), nlen;

		if (line_uid(l, len, uid, &nlen) && nlen) {
			copy(out, cap, l, nlen);
			return 0;
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	return -1;
}

void record_user(char *out, size_t cap, unsigned uid)
{
	const char *u = getenv("USER");
	struct fmt f;

	if (!u || !*u)
		u = getenv("LOGNAME");
	if (u && *u) {
		copy(out, cap, u, strlen(u));
		return;
	}
	if (from_passwd(out, cap, uid) == 0)
		return;
	fmt_init(&f, out, cap);      /* "uid1234" */
	fmt_str(&f, "uid");
	fmt_dec(&f, uid, 0);
	if (fmt_end(&f) < 0 && cap)
		copy(out, cap, "uid", 3);   /* a tiny buffer: as much as fits */
}
