/*
 * The run record, field by field in the order of docs/records.md. Every
 * value comes from struct xalt_run (filled at start), the environment, or a
 * system call that is async-signal-safe; numbers and strings are written by
 * json_out without printf.
 *
 * Privacy switches (docs/config.md): record_args = drop|hash, hash_users.
 * Hashes are "h:" + the first 16 hex digits of SHA-1(key ":" value), the key
 * being the config's hash_key, else the syshost: stable within a site, so
 * reports can still count distinct users or arguments.
 */
#include "filter.h"
#include "fmt.h"
#include "record.h"
#include "sha1.h"
#include "sys.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/* syshost from the config rule and the node name. */
static void syshost(char *out, size_t cap, const char *rule, const char *node)
{
	const char *s = node;
	size_t n = strlen(node);

	if (!strncmp(rule, "name:", 5)) {
		s = rule + 5;
		n = strlen(s);
	} else if (!strncmp(rule, "nth:", 4)) {
		long want = strtol(rule + 4, NULL, 10);
		const char *p = node;

		for (long i = 1; i < want && p; i++) {
			p = strchr(p, '.');
			if (p)
				p++;
		}
		if (p && *p) {
			const char *dot = strchr(p, '.');
			s = p;
			n = dot ? (size_t)(dot - p) : strlen(p);
		}
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* "h:" + 16 hex digits of SHA-1(key ":" s) into out (19 bytes). */
static void keyed_hash(char out[19], const char *key, const char *s)
{
	struct sha1_ctx c;
	unsigned char d[20];
	struct fmt f;

	sha1_init(&c);
	sha1_update(&c, key, strlen(key));
	sha1_update(&c, ":", 1);
	sha1_update(&c, s, strlen(s));
	sha1_final(&c, d);
	fmt_init(&f, out, 19);
	fmt_str(&f, "h:");
	fmt_hex_bytes(&f, d, 8);
	fmt_end(&f);
}

/* SHA-1 of the executable (only with sha1 = yes: ~5 ms per MB). */
static int exe_sha1(char out[41], const char *path)
{
	static char buf[65536];
	struct sha1_ctx c;
	unsigned char d[20];
	struct fmt f;
	ssize_t n;
	int fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sha1_init(&c);
	while ((n = sys_read_all(fd, buf, sizeof(buf))) > 0)
		sha1_update(&c, buf, (size_t)n);
	sys_close(fd);
	if (n < 0)
		return -1;
	sha1_final(&c, d);
	fmt_init(&f, out, 41);
	fmt_hex_bytes(&f, d, 20);
	return fmt_end(&f) < 0 ? -1 : 0;
}

static double ts(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void exec_object(struct json_out *j, struct xalt_run *r)
{
	char sha[41];

	json_out_begin_object(j, "exec");
	json_out_string(j, "path", r->exe);
	json_out_int(j, "size", r->exe_size);
	json_out_int(j, "mtime", r->exe_mtime);
	json_out_int(j, "inode", r->exe_inode);
	if (r->cfg.sha1 && exe_sha1(sha, r->exe) == 0)
		json_out_string(j, "sha1", sha);
	else
		json_out_null(j, "sha1");
	json_out_string(j, "program", r->program);
	json_out_string(j, "track", config_action_word(r->track));
	json_out_end_object(j);
}

static void cmdline(struct json_out *j, struct xalt_run *r, const char *key)
{
	const char *a = r->args;

	json_out_begin_array(j, "cmdline");
	for (int i = 0; i < r->nargs; i++, a += strlen(a) + 1) {
		if (i == 0 || r->cfg.record_args == ARGS_KEEP) {
			json_out_string(j, NULL, a);
		} else if (r->cfg.record_args == ARGS_HASH) {
			char h[19];
			keyed_hash(h, key, a);
			json_out_string(j, NULL, h);
		} else {
			break;    /* drop: argv[0] only */
		}
	}
	json_out_end_array(j);
}

static void env_object(struct json_out *j, struct xalt_run *r)
{
	char name[256];

	json_out_begin_object(j, "env");
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n = eq ? (size_t)(eq - *e) : 0;

		if (!n || n >= sizeof(name))
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		if (filter_table(&r->cfg.env, name, XALT_SKIP) == XALT_KEEP)
			json_out_string(j, name, eq + 1);
	}
	json_out_end_object(j);
}

static void job_object(struct json_out *j, const struct run_job *job)
{
	if (!job->scheduler && job->ntasks <= 1)
		return;
	json_out_begin_object(j, "job");
	json_out_string(j, "scheduler", job->scheduler);
	json_out_string(j, "id", job->id);
	json_out_int(j, "ntasks", job->ntasks);
	json_out_int(j, "nnodes", job->nnodes);
	json_out_int(j, "rank", job->rank);
	json_out_end_object(j);
}

void record_start_half(struct json_out *j, struct xalt_run *r)
{
	struct utsname u;
	char sys[256], user[256], key[256];
	unsigned uid = (unsigned)getuid();

	if (uname(&u) < 0)
		memcpy(u.nodename, "unknown", 8);
	syshost(sys, sizeof(sys), r->cfg.syshost, u.nodename);
	if (r->cfg.hash_key[0])
		syshost(key, sizeof(key), "hostname", r->cfg.hash_key);
	else
		memcpy(key, sys, strlen(sys) + 1);
	record_user(user, sizeof(user), uid);

	json_out_string(j, "schema", "xalt-run/1");
	json_out_string(j, "run_uuid", r->uuid);
	if (r->parent_uuid[0])
		json_out_string(j, "parent_run_uuid", r->parent_uuid);
	json_out_string(j, "syshost", sys);
	json_out_string(j, "host", u.nodename);
	if (r->cfg.hash_users) {
		char h[19];
		keyed_hash(h, key, user);
		json_out_string(j, "user", h);
	} else {
		json_out_string(j, "user", user);
		json_out_int(j, "uid", uid);
	}
	exec_object(j, r);
	json_out_string(j, "cwd", r->cwd);
	cmdline(j, r, key);
	json_out_double(j, "start_time", ts(&r->start_rt), 6);
}

void record_end_half(struct json_out *j, struct xalt_run *r, const struct run_end *e)
{
	static const char *const how[] = { "exit", "signal", "unknown", "recovered" };

	json_out_double(j, "end_time", ts(&e->end_rt), 6);
	json_out_double(j, "run_time", e->run_time, 6);
	json_out_begin_object(j, "exit");
	json_out_string(j, "how", how[e->how]);
	if (e->how == RUN_EXIT)
		json_out_int(j, "status", e->status);
	else
		json_out_null(j, "status");
	json_out_int(j, "signal", e->how == RUN_SIGNAL ? e->sig : 0);
	json_out_end_object(j);
	json_out_begin_object(j, "sampling");
	json_out_double(j, "probability", e->prob, 6);
	json_out_bool(j, "forced", r->forced);
	json_out_end_object(j);
}

void record_context(struct json_out *j, struct xalt_run *r, int signal_safe)
{
	const char *omp = getenv("OMP_NUM_THREADS");

	job_object(j, &r->job);
	if (omp)
		json_out_string(j, "omp_num_threads", omp);
	env_object(j, r);
	record_libraries(j, r->self, signal_safe);
}

void record_build(struct json_out *j, struct xalt_run *r, const struct run_end *e)
{
	json_out_begin_object(j, NULL);
	record_start_half(j, r);
	record_end_half(j, r, e);
	record_context(j, r, e->signal_safe);
	record_packages(j, r);
	if (r->packages_lost)
		json_out_bool(j, "packages_lost", 1);
	json_out_end_object(j);
}
