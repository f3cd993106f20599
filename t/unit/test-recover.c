/*
 * Unit tests of recovery (src/preload/recover.c) and what it stands on: the
 * start note's format (src/common/start-note.c: round trip, every cut and
 * every changed byte refused), the /proc/<pid>/stat parser
 * (src/common/procid.c), and recover_user_dir on run dirs made by hand:
 * dead, alive, a reused pid, another pid namespace, no note (young, old), a
 * symlink, another owner, a destination that refuses the record, a dry run,
 * the sample table, garbage in the packages, and twice in a row.
 *
 * Each test gets a fresh XALT_SPOOL_BASE under /tmp, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "procid.h"
#include "recover.h"
#include "spool.h"
#include "start-note.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UUID "0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7"

static char base[64], dest[128];

static int setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/test-recover.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	setenv("XALT_SPOOL_BASE", base, 1);
	snprintf(dest, sizeof(dest), "%s/rec", base);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static unsigned long long my_start(void)
{
	unsigned long long t;

	assert_int_equal(procid_start_time(getpid(), &t), 0);
	return t;
}

static unsigned long long my_ns(void)
{
	unsigned long long ns;

	assert_int_equal(procid_pidns(&ns), 0);
	return ns;
}

static const char cfg_keep[] = "transmission = file\nsample 0 inf 0.5\n";

/* A note as the preload would write it; config text and forced given. */
static size_t make_note(char *buf, size_t cap, const char *uuid, pid_t pid,
			unsigned long long starttime, unsigned long long ns,
			const char *cfg, int forced, const char *to)
{
	char head[256];
	struct start_note n = { 0 };
	struct fmt f;

	snprintf(head, sizeof(head),
		 "\"schema\":\"xalt-run/1\",\"run_uuid\":\"%s\",\"start_time\":1000.5", uuid);
	n.pid = pid;
	n.uid = getuid();
	n.starttime = starttime;
	n.pidns = ns;
	n.uuid = uuid;
	n.start_sec = 1000;
	n.start_nsec = 500000000;
	n.forced = forced;
	n.track = XALT_PKGS;
	n.program = "python";
	n.self = "/x/lib/libxalt_init.so";
	n.transmission = "file";
	n.dest = to;
	n.head = head;
	n.head_len = strlen(head);
	n.context = "\"env\":{},\"libraries\":[]";
	n.context_len = strlen(n.context);
	n.config = (char *)cfg;
	n.config_len = strlen(cfg);
	fmt_init(&f, buf, cap);
	start_note_format(&f, &n);
	assert_true(fmt_end(&f) > 0);
	return f.len;
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[SPOOL_PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A run dir with a note (unless note is 0) and a pkgs file. */
static void make_run(char *out, const char *uuid, pid_t pid, unsigned long long starttime,
		     unsigned long long ns, const char *cfg, int forced, int note)
{
	static char buf[START_NOTE_MAX];
	static const char pkgs[] =
		"I\tpython\t3.11.2\tsystem\t/usr\n"
		"P\tpython\tnumpy\t1.26\t/x/site-packages/numpy\t1500\n"
		"garbage without tabs\n"
		"P\tpython\thalf\n"
		"P\tpython\tnumpy\t1.26\t/x/site-packages/numpy\t500\n"
		"P\tpython\tscipy\t1.11\t/x/site-packages/scipy\t\n"
		"P\tpython\tcut\t1";

	assert_int_equal(spool_create(out, SPOOL_PATH_MAX, uuid, pid), 0);
	if (note)
		write_file(out, START_NOTE_FILE, buf,
			   make_note(buf, sizeof(buf), uuid, pid, starttime, ns, cfg, forced, dest));
	write_file(out, SPOOL_PKGS_FILE, pkgs, sizeof(pkgs) - 1);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static long counts[RECOVER_NVERDICTS];

static int recover(int dry)
{
	struct recover_opts o = { dry, 0, 0, NULL, NULL };

	memset(counts, 0, sizeof(counts));
	return recover_user_dir(NULL, NULL, &o, counts);
}

/* The one record in dest, parsed (caller frees), or NULL if there is none. */
static json_t *the_record(int *nfiles)
{
	char cmd[256], name[512];
	json_t *v = NULL;
	FILE *p;

	*nfiles = 0;
	snprintf(cmd, sizeof(cmd), "ls '%s' 2>/dev/null", dest);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(name, sizeof(name), p)) {
		char path[700];
		name[strcspn(name, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dest, name);
		if (!v)
			v = json_load_file(path, 0, NULL);
		(*nfiles)++;
	}
	pclose(p);
	return v;
}

/* --- the note ------------------------------------------------------------------ */

static void test_note_round_trip(void **state)
{
	static char buf[START_NOTE_MAX], copy[START_NOTE_MAX];
	struct start_note n;
	size_t len = make_note(buf, sizeof(buf), UUID, 42, 777, 99, cfg_keep, 1, "/d\nx");

	(void)state;
	memcpy(copy, buf, len);
	assert_int_equal(start_note_parse(copy, len, &n), 0);
	assert_int_equal(n.pid, 42);
	assert_int_equal(n.starttime, 777);
	assert_int_equal(n.pidns, 99);
	assert_int_equal(n.uid, getuid());
	assert_string_equal(n.uuid, UUID);
	assert_int_equal(n.start_sec, 1000);
	assert_int_equal(n.start_nsec, 500000000);
	assert_int_equal(n.forced, 1);
	assert_int_equal(n.track, XALT_PKGS);
	assert_string_equal(n.program, "python");
	assert_string_equal(n.dest, "/d\nx");      /* escaped, one line */
	assert_string_equal(n.config, cfg_keep);
	assert_int_equal(n.context_len, strlen("\"env\":{},\"libraries\":[]"));
	/* The peek reads the same first lines from the first bytes. */
	memcpy(copy, buf, START_NOTE_PEEK);
	assert_int_equal(start_note_peek(copy, START_NOTE_PEEK, &n), 0);
	assert_int_equal(n.pid, 42);
	assert_int_equal(n.starttime, 777);
	assert_int_equal(n.pidns, 99);
}

static void test_note_cut_or_changed(void **state)
{
	static char buf[START_NOTE_MAX], copy[START_NOTE_MAX];
	struct start_note n;
	size_t len = make_note(buf, sizeof(buf), UUID, 42, 777, 99, cfg_keep, 0, "/d");

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(copy, buf, cut);
		assert_int_equal(start_note_parse(copy, cut, &n), -1);
		assert_int_equal(errno, EINVAL);
	}
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= 0x20;
		assert_int_equal(start_note_parse(copy, len, &n), -1);
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep(10);
	return NULL;
}

static void test_procid_parse(void **state)
{
	static const char ok[] =
		"7719 (a) b) c) R 7705 7705 31448 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 "
		"1222789 3133440 413\n";
	unsigned long long t = 0;
	char st = 0;
	pid_t zombie;

	(void)state;
	assert_int_equal(procid_parse_stat(ok, strlen(ok), &st, &t), 0);
	assert_int_equal(t, 1222789);
	assert_int_equal(st, 'R');
	assert_int_equal(procid_parse_stat("1 (x) R 1 2", 11, &st, &t), -1);
	assert_int_equal(procid_parse_stat("no paren", 8, &st, &t), -1);
	assert_int_equal(procid_parse_stat("1 (x)", 5, &st, &t), -1);
	/* A zombie (dead, not yet reaped) is gone. */
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	for (int i = 0; i < 1000; i++) {
		if (procid_start_time(zombie, &t) < 0)
			break;
		usleep(1000);
	}
	assert_int_equal(procid_start_time(zombie, &t), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	/* A leader that called pthread_exit while another thread runs is alive. */
	zombie = fork();
	if (zombie == 0) {
		pthread_t th;
		pthread_create(&th, NULL, sleeper, NULL);
		pthread_exit(NULL);
	}
	int seen = 0;
	for (int i = 0; i < 200 && !seen; i++) {
		char path[64], buf[256] = "";
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)zombie);
		if ((f = fopen(path, "r"))) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		seen = strstr(buf, ") Z ") != NULL;
		if (!seen)
			usleep(5000);
	}
	assert_true(seen);
	assert_int_equal(procid_start_time(zombie, &t), 0);
	kill(zombie, SIGKILL);
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	assert_true(my_start() > 0);
	assert_int_equal(procid_start_time(dead_pid(), &t), -1);
	assert_true(errno == ENOENT || errno == ESRCH);
}

/* --- recovery ---------------------------------------------------------------------- */

static void test_dead_run_recovered_once(void **state)
{
	char dir[SPOOL_PATH_MAX];
	json_t *v, *p;
	int n;

	(void)state;
	make_run(dir, UUID, dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	assert_int_equal(recover(0), 1);
	assert_int_equal(counts[RECOVER_DONE], 1);
	assert_false(exists(dir));
	v = the_record(&n);
	assert_int_equal(n, 1);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "run_uuid")), UUID);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "exit"), "how")),
			    "recovered");
	assert_true(json_is_null(json_object_get(json_object_get(v, "exit"), "status")));
	assert_true(json_real_value(json_object_get(v, "end_time")) > 1000.5);
	assert_true(json_is_array(json_object_get(v, "libraries")));
	/* Garbage lines and a cut last line are skipped; numpy's two lines merge. */
	p = json_object_get(v, "packages");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "name")), "numpy");
	assert_true(json_real_value(json_object_get(json_array_get(p, 0), "import_time")) == 0.002);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 1), "name")), "scipy");
	json_decref(v);
	/* Twice: nothing more. */
	assert_int_equal(recover(0), 0);
	json_decref(the_record(&n));
	assert_int_equal(n, 1);
}

static void test_alive_reused_foreign(void **state)
{
	char alive[SPOOL_PATH_MAX], reused[SPOOL_PATH_MAX], foreign[SPOOL_PATH_MAX];
	int n;

	(void)state;
	make_run(alive, "aaaa", getpid(), my_start(), my_ns(), cfg_keep, 1, 1);
	make_run(reused, "bbbb", getpid(), my_start() + 1, my_ns(), cfg_keep, 1, 1);
	make_run(foreign, "cccc", dead_pid(), 1, my_ns() + 1, cfg_keep, 1, 1);
	assert_int_equal(recover(0), 1);
	assert_int_equal(counts[RECOVER_ALIVE], 1);
	assert_int_equal(counts[RECOVER_DONE], 1);
	assert_int_equal(counts[RECOVER_FOREIGN], 1);
	assert_true(exists(alive));
	assert_false(exists(reused));
	assert_true(exists(foreign));
	json_decref(the_record(&n));
	assert_int_equal(n, 1);
}

static void test_dry_run_changes_nothing(void **state)
{
	char dir[SPOOL_PATH_MAX];
	int n;

	(void)state;
	make_run(dir, UUID, dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	assert_int_equal(recover(1), 0);
	assert_int_equal(counts[RECOVER_WOULD], 1);
	assert_true(exists(dir));
	assert_null(the_record(&n));
	assert_int_equal(n, 0);
}

static void test_noteless_and_bad_note(void **state)
{
	char young[SPOOL_PATH_MAX], old[SPOOL_PATH_MAX], bad[SPOOL_PATH_MAX], path[SPOOL_PATH_MAX + 16];
	struct timespec t[2];
	char cmd[SPOOL_PATH_MAX + 64];

	(void)state;
	make_run(young, "aaaa", dead_pid(), 1, my_ns(), cfg_keep, 1, 0);
	make_run(old, "bbbb", dead_pid(), 1, my_ns(), cfg_keep, 1, 0);
	make_run(bad, "cccc", dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	/* One changed byte in the config block: the whole note is refused. */
	snprintf(cmd, sizeof(cmd), "sed -i 's/0\\.5/0.7/' '%s/start'", bad);
	assert_int_equal(system(cmd), 0);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= RECOVER_NOTELESS_AGE + 60;
	t[1] = t[0];
	snprintf(path, sizeof(path), "%s/pkgs", old);
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, old, t, 0), 0);
	assert_int_equal(recover(0), 0);
	assert_int_equal(counts[RECOVER_NO_NOTE], 2);
	assert_int_equal(counts[RECOVER_AGED_OUT], 1);
	assert_true(exists(young));
	assert_true(exists(bad));
	assert_false(exists(old));
}

static void test_links_and_owners_untouched(void **state)
{
	char target[SPOOL_PATH_MAX], link[SPOOL_PATH_MAX + 64], other[SPOOL_PATH_MAX];

	(void)state;
	/* A real dead run dir, then a link to it under another run's name. */
	make_run(target, "aaaa", dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	snprintf(link, sizeof(link), "%s/xalt-%u/bbbb.%d", base, (unsigned)getuid(), (int)dead_pid());
	assert_int_equal(rename(target, link), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", base);
	assert_int_equal(rename(link, target), 0);
	assert_int_equal(symlink(target, link), 0);
	make_run(other, "cccc", dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	if (getuid() == 0)     /* else it is ours, and recovered */
		assert_int_equal(chown(other, 4242, 4242), 0);
	assert_int_equal(recover(0), getuid() == 0 ? 0 : 1);
	assert_true(exists(link));
	assert_true(exists(target));
	if (getuid() == 0) {
		assert_int_equal(counts[RECOVER_NOT_OURS], 2);
		assert_true(exists(other));
	}
}

static void test_refused_destination_kept_for_later(void **state)
{
	char dir[SPOOL_PATH_MAX];
	int n;

	(void)state;
	/* dest is a regular file: no record can go there. */
	write_file(base, "rec", "x", 1);
	make_run(dir, UUID, dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	assert_int_equal(recover(0), 0);
	assert_int_equal(counts[RECOVER_FAILED], 1);
	assert_true(exists(dir));
	assert_int_equal(unlink(dest), 0);
	assert_int_equal(recover(0), 1);
	assert_false(exists(dir));
	json_decref(the_record(&n));
	assert_int_equal(n, 1);
}

static void test_sample_table_applies(void **state)
{
	char dir[SPOOL_PATH_MAX];
	int n;

	(void)state;
	make_run(dir, UUID, dead_pid(), 1, my_ns(), "sample 0 inf 0.0\n", 0, 1);
	assert_int_equal(recover(0), 0);
	assert_int_equal(counts[RECOVER_NOT_SAMPLED], 1);
	assert_false(exists(dir));
	assert_null(the_record(&n));
}

static void test_max_sends_bounds_the_work(void **state)
{
	char dir[SPOOL_PATH_MAX], uuid[8];
	struct recover_opts o = { 0, 2, 0, NULL, NULL };
	struct recover_opts look = { 0, 0, 1, NULL, NULL };

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(uuid, sizeof(uuid), "u%d", i);
		make_run(dir, uuid, dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	}
	assert_int_equal(recover_user_dir(NULL, NULL, &o, NULL), 2);
	assert_int_equal(recover_user_dir(NULL, NULL, &o, NULL), 2);
	assert_int_equal(recover_user_dir(NULL, NULL, &o, NULL), 1);
	/* Looking at one dir at most: one of two. */
	make_run(dir, "v0", dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	make_run(dir, "v1", dead_pid(), 1, my_ns(), cfg_keep, 1, 1);
	assert_int_equal(recover_user_dir(NULL, NULL, &look, NULL), 1);
	assert_int_equal(recover_user_dir(NULL, NULL, &look, NULL), 1);
	assert_int_equal(recover_user_dir(NULL, NULL, &look, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_round_trip),
		cmocka_unit_test(test_note_cut_or_changed),
		cmocka_unit_test(test_procid_parse),
		cmocka_unit_test_setup_teardown(test_dead_run_recovered_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alive_reused_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noteless_and_bad_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_and_owners_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_destination_kept_for_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_table_applies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_sends_bounds_the_work, setup, teardown),
	};

	return cmocka_run_group_tests_name("recover", tests, NULL, NULL);
}
