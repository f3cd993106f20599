/*
 * The shared libraries of the run, for the record's "libraries" array.
 *
 * At a normal exit: dl_iterate_phdr, in load order. It takes the loader's
 * lock, so the fatal-signal path (the crash may be inside dlopen, with the
 * lock held) reads /proc/self/maps instead with open/read only: the
 * executable mappings of files whose base name contains ".so". Both skip the
 * main program, the vDSO (no '/' path) and this library itself.
 */
#include "record.h"
#include "sys.h"

#include <fcntl.h>
#include <link.h>
#include <string.h>

struct libs_ctx {
	struct json_out *j;   /* where to write */
	const char *self;     /* our own file name, skipped */
};

static void emit(struct json_out *j, const char *path, size_t len)
{
	json_out_begin_object(j, NULL);
	json_out_string_len(j, "path", path, len);
	json_out_end_object(j);
}

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct libs_ctx *c = data;

	(void)size;
	if (info->dlpi_name && info->dlpi_name[0] == '/' && strcmp(info->dlpi_name, c->self))
		emit(c->j, info->dlpi_name, strlen(info->dlpi_name));
	return 0;
}

/* Does one /proc/self/maps line name an executable mapping of a .so? */
static int maps_line(const char *l, size_t n, const char **path, size_t *plen)
{
	const char *perm = memchr(l, ' ', n), *p, *base;

	if (!perm || (size_t)(perm - l) + 5 > n || perm[3] != 'x')
		return 0;
	p = memchr(l, '/', n);
	if (!p)
		return 0;
	*path = p;
	*plen = n - (size_t)(p - l);
	for (base = p + *plen; base > p && base[-1] != '/'; base--)
		;
	return memmem(base, (size_t)(p + *plen - base), ".so", 3) != NULL;
}

static void libs_from_maps(struct json_out *j, const char *self)
{
	static char buf[256 * 1024];      /* static: the signal path has no heap */
	static char last[PATH_MAX];      /* static: keep the signal path's stack small */
	size_t lastlen = 0;
	ssize_t n;
	int fd = sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return;
	n = sys_read_all(fd, buf, sizeof(buf));
	sys_close(fd);
	if (n <= 0)
		return;
	for (char *l = buf, *end = buf + n; l < end;) {
		char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
		const char *p;
		size_t plen;

		if (!nl)
			break;    /* a line cut by the buffer size: stop there */
		if (maps_line(l, len, &p, &plen) && plen < sizeof(last) &&
		    !(plen == lastlen && !memcmp(p, last, plen)) &&
		    !(plen == strlen(self) && !memcmp(p, self, plen))) {
			emit(j, p, plen);
			memcpy(last, p, plen);
			lastlen = plen;
		}
		l = nl + 1;
	}
}

void record_libraries(struct json_out *j, const char *self, int signal_safe)
{
	struct libs_ctx c = { j, self };

	json_out_begin_array(j, "libraries");
	if (signal_safe)
		libs_from_maps(j, self);
	else
		dl_iterate_phdr(phdr_cb, &c);
	json_out_end_array(j);
}
