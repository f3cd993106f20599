/*
 * Process identity: start time and pid namespace (see procid.h). Read with
 * open/read into a stack buffer; the stat line is well under 1 KB.
 */
#include "procid.h"
#include "fmt.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int procid_parse_stat(const char *s, size_t len, char *state, unsigned long long *out)
{
	const char *p = NULL, *end = s + len;
	unsigned long long v = 0;
	int field = 2, digits = 0;

	for (const char *q = s; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p || end - p < 3 || p[1] != ' ')
		goto bad;
	*state = p[2];
	/* After ") " comes field 3; field 22 follows 19 more spaces. */
	for (p++; p < end && field < 22; p++)
		if (*p == ' ')
			field++;
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (v > (~0ULL - 9) / 10)
			goto bad;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (field != 22 || !digits || (p < end && *p != ' ' && *p != '\n'))
		goto bad;
	*out = v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* "/proc/<pid>/<leaf>" into path (cap bytes). 0, or -1 with ENAMETOOLONG. */
static int proc_path(char *path, size_t cap, pid_t pid, const char *leaf)
{
	struct fmt f;

	fmt_init(&f, path, cap);
	fmt_str(&f, "/proc/");
	fmt_dec(&f, (unsigned long long)pid, 0);
	fmt_char(&f, '/');
	fmt_str(&f, leaf);
	return fmt_end(&f) < 0 ? -1 : 0;
}

int procid_start_time(pid_t pid, unsigned long long *out)
{
	char path[48], buf[1024], state;
	ssize_t n;
	int fd;

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	if (proc_path(path, sizeof(path), pid, "stat") < 0)
		return -1;
	fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	n = sys_read_all(fd, buf, sizeof(buf));
	sys_close(fd);
	if (n < 0)
		return -1;
	/* A process that exits between open and read leaves an empty file: gone. */
	if (n == 0) {
		errno = ESRCH;
		return -1;
	}
	if (procid_parse_stat(buf, (size_t)n, &state, out) < 0)
		return -1;
	/* A zombie ('Z'; 'X' is the instant of its reaping) runs no more code:
	 * for its spool it is gone (a job's epilog may run before it is reaped).
	 * But a leader thread that called pthread_exit shows 'Z' too while the
	 * other threads run: /proc/<pid>/task then holds more than the leader
	 * (its link count is threads + 2). */
	if (state == 'Z' || state == 'X') {
		struct stat st;

		if (proc_path(path, sizeof(path), pid, "task") < 0)
			return -1;
		if (sys_stat(path, &st) < 0 || st.st_nlink <= 3) {
			errno = ESRCH;
			return -1;
		}
	}
	return 0;
}

int procid_pidns(unsigned long long *out)
{
	struct stat st;

	if (sys_stat("/proc/self/ns/pid", &st) < 0)
		return -1;
	*out = (unsigned long long)st.st_ino;
	return 0;
}
