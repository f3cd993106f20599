/*
 * Writing the start note (format: src/common/start-note.h) when a run that
 * has a run dir starts: its record's start half and context as they will be
 * at exit, the config it decided with, who the process is, and where its
 * record goes. tmpfs makes this a memory copy; the JSON is built once here
 * and never again by recovery, which only copies it.
 *
 * Called from the constructor once the run is tracked and r->self is set
 * (init.c), never on a signal path. Its static buffers are touched only by
 * runs that write a note.
 */
#include "paths.h"
#include "procid.h"
#include "record.h"
#include "recover.h"
#include "start-note.h"
#include "sys.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char halves[128 * 1024];          /* the two JSON halves, one after the other */
static char cfgcopy[CONFIG_MAX_BYTES];   /* the config text (r->cfgtext is parsed in place) */
static char note[START_NOTE_MAX];

/* r's members from `part` into [buf, buf+cap) without braces; length or -1. */
static long members(char *buf, size_t cap, struct xalt_run *r, int part)
{
	struct json_out j;

	json_out_init(&j, buf, cap, NULL, NULL);
	json_out_begin_object(&j, NULL);
	if (part == 0)
		record_start_half(&j, r);
	else
		record_context(&j, r, 0);
	json_out_end_object(&j);
	if (j.err || j.len < 2)
		return -1;
	memmove(buf, buf + 1, j.len - 2);     /* drop '{' and '}' */
	return (long)j.len - 2;
}

/* The config the run read: its file again (the parsed copy is cut up). */
static long config_text(struct xalt_run *r)
{
	char def[PATH_MAX];
	const char *path = r->cfg.file;
	long n;

	/* load_config (start.c) names the default file by a literal. */
	if (!path || path[0] == '(')
		path = paths_config(NULL, r->prefix, r->prefix_len, 1, def, sizeof(def));
	if (!path)
		return -1;
	n = config_read_file(path, cfgcopy, sizeof(cfgcopy));
	if (n >= 0 && strlen(cfgcopy) != (size_t)n)
		n = -1;
	return n;
}

int note_write(struct xalt_run *r)
{
	struct start_note n = { 0 };
	char dest[PATH_MAX], path[SPOOL_PATH_MAX + 8];
	long head, ctx, cfg;
	struct fmt f;
	int fd, e;

	n.pid = r->pid;
	n.uid = getuid();
	if (procid_start_time(r->pid, &n.starttime) < 0 || procid_pidns(&n.pidns) < 0)
		return -1;
	n.uuid = r->uuid;
	n.start_sec = (long long)r->start_rt.tv_sec;
	n.start_nsec = r->start_rt.tv_nsec;
	n.forced = r->forced;
	n.track = r->track;
	n.program = r->program ? r->program : "";
	n.self = r->self;
	n.transmission = paths_transmission(environ, &r->cfg);
	/* Resolved now, from this environment; checked (and made) with the
	 * user's rights when the record is written, as at exit. */
	if (paths_record_dir(environ, &r->cfg, dest, sizeof(dest)) < 0)
		dest[0] = '\0';
	n.dest = dest;
	if ((head = members(halves, sizeof(halves), r, 0)) < 0 ||
	    (ctx = members(halves + head, sizeof(halves) - (size_t)head, r, 1)) < 0 ||
	    (cfg = config_text(r)) < 0) {
		errno = ENOSPC;
		return -1;
	}
	n.head = halves;
	n.head_len = (size_t)head;
	n.context = halves + head;
	n.context_len = (size_t)ctx;
	n.config = cfgcopy;
	n.config_len = (size_t)cfg;
	fmt_init(&f, note, sizeof(note));
	start_note_format(&f, &n);
	if (fmt_end(&f) < 0 ||
	    fmt_join(path, sizeof(path), r->spool, "/" START_NOTE_FILE, "") < 0)
		return -1;
	fd = sys_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (sys_write_all(fd, note, f.len) < 0) {
		e = errno;
		sys_close(fd);
		sys_unlink(path);    /* half a note is no note */
		errno = e;
		return -1;
	}
	return sys_close(fd);
}
