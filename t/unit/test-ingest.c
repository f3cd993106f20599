/*
 * Unit tests of the record loader (src/cli/ingest/: parse.c, validate.c,
 * load.c), the id cache (idmap.c), the database layer's schema handling
 * (db.c, SQLite backend) and the report helpers (report.c), on an in-memory
 * SQLite database.
 *
 * The end-to-end tests (t/t3000, t3100) cover files, exit codes and output;
 * here: the loader's contract record by record, the parse/load split with an
 * arena, the JSON member scanner, and edge values that are awkward to write
 * from the shell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arena.h"
#include "cli.h"
#include "db.h"
#include "idmap.h"
#include "ingest.h"
#include "json-scan.h"
#include "report.h"
#include "xbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char rec_fmt[] =
	"{\"schema\":\"xalt-run/1\",\"run_uuid\":\"%s\",\"syshost\":\"s\",\"host\":\"h\","
	"\"user\":\"%s\",\"exec\":{\"path\":\"/bin/x\"},\"start_time\":%s,"
	"\"libraries\":[{\"path\":\"/lib/a.so\"},{\"path\":\"/lib/b.so\"}],"
	"\"packages\":[%s]}";

static char *record(const char *uuid, const char *user, const char *start, const char *pkgs)
{
	struct xbuf sb = XBUF_INIT;

	xbuf_addf(&sb, rec_fmt, uuid, user, start, pkgs);
	return xbuf_detach(&sb, NULL);
}

static struct db *db;
static struct ingest *in;

static int setup(void **state)
{
	(void)state;
	db = db_open(":memory:", 1);
	assert_non_null(db);
	assert_int_equal(db_migrate(db), 0);
	in = ingest_open(db);
	assert_non_null(in);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ingest_close(in);
	db_close(db);
	return 0;
}

static int64_t count(const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n;

	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	n = db_column_int64(st, 0);
	db_finalize(st);
	return n;
}

static enum ingest_result load(const char *uuid, const char *user, const char *start,
			       const char *pkgs, struct xbuf *why)
{
	char *t = record(uuid, user, start, pkgs);
	enum ingest_result r = ingest_record(in, t, strlen(t), "unit", why);

	free(t);
	return r;
}

#define U1 "00000001-0000-4000-8000-000000000001"
#define U2 "00000002-0000-4000-8000-000000000002"
#define U3 "00000003-0000-4000-8000-000000000003"

static void test_load_duplicate_commit(void **state)
{
	struct xbuf why = XBUF_INIT;

	(void)state;
	assert_int_equal(load(U1, "alice", "1.5", "{\"program\":\"python\",\"name\":\"numpy\",\"import_time\":0.25}", &why), INGEST_LOADED);
	assert_int_equal(load(U1, "alice", "1.5", "", &why), INGEST_DUPLICATE);
	assert_int_equal(load(U2, "bob", "2", "{\"program\":\"R\",\"name\":\"jsonlite\",\"version\":null}", &why), INGEST_LOADED);
	assert_int_equal(ingest_commit(in), 0);
	assert_int_equal(ingest_commit(in), 0);   /* nothing open: a no-op */
	assert_int_equal(count("SELECT count(*) FROM runs"), 2);
	assert_int_equal(count("SELECT count(*) FROM run_package"), 2);
	assert_int_equal(count("SELECT import_us FROM run_package WHERE name_id ="
			       " (SELECT id FROM package_names WHERE name = 'numpy')"), 250000);
	assert_int_equal(count("SELECT count(*) FROM libsets"), 1);     /* shared set */
	assert_int_equal(count("SELECT count(*) FROM libset_library"), 2);
	assert_int_equal(count("SELECT count(*) FROM packages WHERE version = ''"), 2);
	xbuf_release(&why);
}

/* A run from before the first day kept (xalt db prune) is not loaded again,
 * with that day in its reason (what ingest --syslog prints); one from that
 * day on is a duplicate as before. */
static void test_pruned_not_loaded(void **state)
{
	struct xbuf why = XBUF_INIT;

	(void)state;
	assert_int_equal(load(U1, "alice", "86399.5", "", &why), INGEST_LOADED);     /* day 0 */
	assert_int_equal(load(U2, "bob", "86400", "", &why), INGEST_LOADED);         /* day 1 */
	assert_int_equal(ingest_commit(in), 0);
	assert_int_equal(db_prune(db, 1), 0);
	assert_int_equal(load(U1, "alice", "86399.5", "", &why), INGEST_PRUNED);
	assert_non_null(strstr(why.buf, "the run started before 1970-01-02, the first day whose raw"
				  " rows are kept (xalt db prune): not loaded"));
	assert_int_equal(load(U2, "bob", "86400", "", &why), INGEST_DUPLICATE);
	assert_int_equal(ingest_commit(in), 0);
	assert_int_equal(count("SELECT count(*) FROM runs"), 1);
	assert_int_equal(count("SELECT count(*) FROM sum_exec WHERE lvl = 2"), 1);
	assert_int_equal(count("SELECT runs FROM sum_exec WHERE lvl = 2"), 2);
	xbuf_release(&why);
}

/* A valid record's head, and its exec and start time, for the cases below. */
#define HEAD "{\"schema\":\"xalt-run/1\",\"run_uuid\":\"" U3 "\",\"syshost\":\"s\",\"host\":\"h\",\"user\":\"u\""
#define EXEC ",\"exec\":{\"path\":\"/x\"},\"start_time\":1"

static void test_reject_reasons(void **state)
{
	struct xbuf why = XBUF_INIT;
	static const struct { const char *text, *reason; } cases[] = {
		{ "", "invalid JSON at line 1" },
		{ "{\"schema\":\"xalt-run/1\",\"schema\":\"x\"}", "invalid JSON" },   /* duplicate key */
		{ "{\"schema\":1}", "field 'schema' is not a string" },
		{ "{\"schema\":\"xalt-run/1\",\"run_uuid\":\"" U3 "\"}", "missing field 'syshost'" },
		{ "{\"schema\":\"xalt-run/1\",\"run_uuid\":\"" "00000003-0000-4000-8000-00000000000G" "\"}",
		  "field 'run_uuid' is not a lower-case UUID" },
		{ "{\"schema\":\"xalt-run/1\",\"run_uuid\":\"" U3 "\",\"syshost\":\"s\",\"host\":\"h\","
		  "\"user\":\"u\",\"exec\":{\"path\":\"/x\",\"size\":\"big\"},\"start_time\":1}",
		  "field 'exec.size' is not an integer" },
		{ "{\"schema\":\"xalt-run/1\",\"run_uuid\":\"" U3 "\",\"syshost\":\"s\",\"host\":\"h\","
		  "\"user\":\"u\",\"exec\":{\"path\":\"/x\"},\"start_time\":1,\"packages\":[{\"program\":\"p\","
		  "\"name\":\"n\",\"import_time\":-1}]}", "field 'packages[0].import_time' is out of range" },
		{ "{\"schema\":\"\\u0007bell\"}", "unknown schema '\\x07bell'" },
		/* one per sub-object: the name of the field as admins see it */
		{ HEAD ",\"exec\":7,\"start_time\":1}", "missing object 'exec'" },
		{ HEAD EXEC ",\"cmdline\":[\"a\",2]}", "field 'cmdline[1]' is not a string" },
		{ HEAD EXEC ",\"env\":[]}", "field 'env' is not an object" },
		{ HEAD EXEC ",\"end_time\":\"x\"}", "field 'end_time' is not a number" },
		{ HEAD EXEC ",\"exit\":{\"signal\":1.5}}", "field 'exit.signal' is not an integer" },
		{ HEAD EXEC ",\"sampling\":{\"forced\":1}}", "field 'sampling.forced' is not a boolean" },
		{ HEAD EXEC ",\"job\":{\"id\":[]}}", "field 'job.id' is not a string" },
		{ HEAD EXEC ",\"job\":\"x\"}", "field 'job' is not an object" },
		{ HEAD EXEC ",\"omp_num_threads\":4}", "field 'omp_num_threads' is not a string" },
		{ HEAD EXEC ",\"interpreter\":{\"kind\":true}}", "field 'interpreter.kind' is not a string" },
		{ HEAD EXEC ",\"libraries\":[{\"path\":\"/a\"},{}]}", "missing field 'libraries[1].path'" },
		{ HEAD EXEC ",\"libraries\":[{\"path\":\"/a\"},\"/b\"]}", "field 'libraries[1]' is not an object" },
		{ HEAD EXEC ",\"packages\":[{\"program\":\"p\",\"name\":\"n\"},{\"program\":\"p\"}]}",
		  "missing field 'packages[1].name'" },
		{ HEAD EXEC ",\"packages\":[{\"program\":\"p\",\"name\":\"n\",\"import_time\":2e9}]}",
		  "field 'packages[0].import_time' is out of range" },
		/* every entry is checked before the uniqueness of the names */
		{ HEAD EXEC ",\"packages\":[{\"program\":\"p\",\"name\":\"n\"},{\"program\":\"p\",\"name\":\"n\"},"
		  "{\"program\":\"p\",\"name\":\"m\",\"path\":1}]}", "field 'packages[2].path' is not a string" },
		{ HEAD EXEC ",\"packages\":[{\"program\":\"p\",\"name\":\"n\"},{\"program\":\"p\",\"name\":\"n\"}]}",
		  "package 'n' of 'p' listed twice" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ingest_result r = ingest_record(in, cases[i].text, strlen(cases[i].text), "unit", &why);
		assert_int_equal(r, INGEST_REJECTED);
		if (!strstr(why.buf, cases[i].reason))
			fail_msg("case %zu: '%s' does not contain '%s'", i, why.buf, cases[i].reason);
	}
	assert_int_equal(count("SELECT count(*) FROM runs"), 0);
	xbuf_release(&why);
}

/* The two-stage API with an arena, as cmd-ingest.c's reading thread uses it. */
static void test_parse_in_arena(void **state)
{
	struct arena arena = ARENA_INIT;
	struct ingest_parsed *p[3];
	char *t[3] = { record(U1, "a", "1", ""), record(U2, "b", "2", ""), xstrdup("[") };

	(void)state;
	arena_use(&arena);
	for (int i = 0; i < 3; i++)
		p[i] = ingest_parse(t[i], strlen(t[i]));
	arena_use(NULL);
	assert_null(ingest_parsed_error(p[0]));
	assert_non_null(ingest_parsed_error(p[2]));
	assert_int_equal(ingest_load(in, p[0], "x"), INGEST_LOADED);
	assert_int_equal(ingest_load(in, p[1], "y"), INGEST_LOADED);
	assert_int_equal(ingest_load(in, p[2], "z"), INGEST_REJECTED);
	for (int i = 0; i < 3; i++) {
		ingest_parsed_free(p[i]);
		free(t[i]);
	}
	arena_release(&arena);
	assert_null(arena.head);
	assert_int_equal(ingest_commit(in), 0);
	assert_int_equal(count("SELECT count(*) FROM runs"), 2);
}

/* The member's value text, "" when not found. */
static const char *member(const char *text, const char *key)
{
	static char out[256];
	const char *b, *e;

	if (!jscan_member(text, strlen(text), key, &b, &e))
		return "";
	snprintf(out, sizeof(out), "%.*s", (int)(e - b), b);
	return out;
}

static void test_json_scan(void **state)
{
	(void)state;
	assert_string_equal(member(" {\"a\" : 1 ,\n\"libraries\":\t[ {\"p\":\"]\"} ] }", "libraries"),
			    "[ {\"p\":\"]\"} ]");
	/* quotes and backslashes escaped in the strings before it */
	assert_string_equal(member("{\"a\":\"x\\\",\\\"libraries\\\":1\",\"libraries\":[2]}", "libraries"),
			    "[2]");
	assert_string_equal(member("{\"a\":\"\\\\\",\"b\":{\"c\":[1,{\"d\":2}]},\"libraries\":[]}", "libraries"),
			    "[]");
	assert_string_equal(member("{\"a\":{\"libraries\":[1]}}", "libraries"), "");  /* not top level */
	assert_string_equal(member("{\"librar\\u0069es\":[1]}", "libraries"), "");    /* raw bytes only */
	assert_string_equal(member("{\"libraries\":[1],\"libraries\":[2]}", "libraries"), "[1]");
	assert_string_equal(member("{\"x\":true,\"libraries\":null}", "libraries"), "null");
	assert_string_equal(member("[{\"libraries\":[1]}]", "libraries"), "");           /* not an object */
	assert_string_equal(member("{\"a\":1 2,\"libraries\":[1]}", "libraries"), "");  /* broken before it */
	assert_string_equal(member("{\"libraries\":[1", "libraries"), "");              /* cut short */
	assert_string_equal(member("{\"libraries\":\"a\\", "libraries"), "");
}

/* SQLite's PRAGMA synchronous: 1 NORMAL, 2 FULL. */
static void test_durability(void **state)
{
	char dir[] = "/tmp/xalt-unit-XXXXXX", path[64];
	struct db *fdb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.db", dir);
	fdb = db_open(path, 1);
	assert_non_null(fdb);
	db = fdb;
	assert_int_equal(count("PRAGMA synchronous"), 1);     /* WAL + NORMAL: the default */
	assert_int_equal(db_set_durability(fdb, DB_DURABLE_FULL), 0);
	assert_int_equal(count("PRAGMA synchronous"), 2);
	assert_int_equal(db_set_durability(fdb, DB_DURABLE_CRASH), 0);
	assert_int_equal(count("PRAGMA synchronous"), 1);
	db_close(fdb);
	db = NULL;
	unlink(path);
	rmdir(dir);
}

static void test_idmap(void **state)
{
	struct idmap m = IDMAP_INIT;
	char key[32];

	(void)state;
	assert_int_equal(idmap_get(&m, "x", 1), -1);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		idmap_put(&m, key, (size_t)n, i);
	}
	idmap_put(&m, "k7", 2, 77);                      /* replace */
	assert_int_equal(m.count, 5000);
	assert_int_equal(idmap_get(&m, "k7", 2), 77);
	assert_int_equal(idmap_get(&m, "k4999", 5), 4999);
	assert_int_equal(idmap_get(&m, "k4999", 4), 499); /* length is part of the key */
	assert_int_equal(idmap_get(&m, "a\0b", 3), -1);
	idmap_put(&m, "a\0b", 3, 1);
	assert_int_equal(idmap_get(&m, "a\0c", 3), -1);
	idmap_clear(&m);
	assert_int_equal(idmap_get(&m, "k7", 2), -1);
}

static void test_parse_time(void **state)
{
	double t;

	(void)state;
	assert_int_equal(report_parse_time("2026-01-02", &t), 0);
	assert_true(t == 1767312000.0);
	assert_int_equal(report_parse_time("2026-01-02T03:04:05", &t), 0);
	assert_true(t == 1767312000.0 + 3 * 3600 + 4 * 60 + 5);
	assert_int_equal(report_parse_time("2026-01-02 03:04", &t), 0);
	assert_true(t == 1767312000.0 + 3 * 3600 + 4 * 60);
	assert_int_equal(report_parse_time("1764090000.5", &t), 0);
	assert_true(t == 1764090000.5);
	assert_int_equal(report_parse_time("", &t), -1);
	assert_int_equal(report_parse_time("2026-13-45x", &t), -1);
	assert_int_equal(report_parse_time("yesterday", &t), -1);
}

static void test_default_spec(void **state)
{
	char *s;

	(void)state;
	setenv("XDG_DATA_HOME", "/xdg", 1);
	s = db_default_spec(NULL);
	assert_string_equal(s, "/xdg/xalt/xalt.db");
	free(s);
	setenv("XDG_DATA_HOME", "relative", 1);     /* the spec: absolute paths only */
	setenv("HOME", "/home/u", 1);
	s = db_default_spec(NULL);
	assert_string_equal(s, "/home/u/.local/share/xalt/xalt.db");
	free(s);
	s = db_default_spec("postgres://h/db");
	assert_string_equal(s, "postgres://h/db");
	assert_true(db_spec_is_pg(s));
	assert_false(db_spec_is_pg("postgresql.db"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_duplicate_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pruned_not_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_in_arena, setup, teardown),
		cmocka_unit_test(test_json_scan),
		cmocka_unit_test(test_durability),
		cmocka_unit_test(test_idmap),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_default_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
