/*
 * `xalt db init|migrate|stats|prune|rebuild`: create the schema in a new
 * database, or bring an older one to this binary's schema version (table
 * schema_version; see docs/database.md), or print its size, or drop old raw
 * rows (db-prune.c), or build the summary tables again from the raw rows.
 * init, migrate and prune are idempotent; `init` refuses a database of
 * another schema version, `migrate` upgrades it; `stats`, `prune` and
 * `rebuild` work on a database of this version only.
 */
#include "cli.h"
#include "db.h"
#include "summary.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char db_usage[] =
	"usage: xalt db init [--db DB]\n"
	"   or: xalt db migrate [--db DB]\n"
	"   or: xalt db stats [--db DB]\n"
	"   or: xalt db prune --before DATE [--db DB]\n"
	"   or: xalt db rebuild [--db DB]\n";

static const char db_help[] =
	"\n"
	"init     create the tables and indexes (no-op when they exist)\n"
	"migrate  upgrade the schema to this xalt's version\n"
	"stats    rows and bytes (indexes included) of each table, and bytes per\n"
	"         stored package record (counts rows: reads every table)\n"
	"prune    delete the raw rows (runs and their packages) of runs that\n"
	"         started before DATE, YYYY-MM-DD at 00:00 UTC (PostgreSQL: drops\n"
	"         whole months); summaries and names are kept\n"
	"rebuild  build the summary tables again from the raw rows, in one\n"
	"         transaction (after raw rows were changed by hand; reads them all)\n"
	"\n"
	"options:\n"
	"  --db DB     SQLite file or postgresql://... URI\n"
	"              (default $XDG_DATA_HOME/xalt/xalt.db or ~/.local/share/xalt/xalt.db)\n"
	"  -v, --verbose  explain each step on stderr\n"
	"  -h, --help  show this help\n"
	"\n"
	"exit status: 0 ok, 1 database failure, 2 usage error\n"
	"\n"
	"example: xalt db init --db postgresql:///xalt?host=/run/postgresql\n";

/*
 * Build the summaries again from the raw rows. After a prune the raw rows no
 * longer hold the pruned months, whose summaries nothing else holds: refuse.
 * The question and the rebuild are one transaction that no loader or prune
 * writes into meanwhile (SQLite: its write lock; PostgreSQL: SHARE on the
 * raw tables, in the loaders' order), so neither a prune nor a batch
 * committed between the rebuild's statements is missed or counted twice.
 */
static int rebuild(struct db *db)
{
	char date[DB_DATE_MAX];
	int64_t first;
	int pruned;

	if (db_begin(db) || db_hold_schema(db) || (!strcmp(db_kind(db), "postgresql") &&
			     db_exec(db, "LOCK TABLE runs, run_package IN SHARE MODE")) ||
	    (pruned = db_first_raw_day(db, &first)) < 0) {
		db_rollback(db);
		return -1;
	}
	if (pruned) {
		db_rollback(db);
		db_format_day(first, date);
		return error("raw rows before %s were pruned: a rebuild would lose their summaries",
			     date);
	}
	return summary_rebuild(db) || db_commit(db) ? -1 : 0;
}

int cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "before", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dbarg = NULL, *before = NULL, *action;
	int64_t before_day = 0;
	struct db *db;
	char *spec;
	int c, v, rc = XALT_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbarg = optarg; break;
		case 'b': before = optarg; break;
		case 'v': cli_verbose = 1; break;
		case 'h':
			fputs(db_usage, stdout);
			fputs(db_help, stdout);
			return XALT_EXIT_OK;
		case ':':
			usage_error(db_usage, "option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error(db_usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error(db_usage, "no action (init, migrate, stats, prune or rebuild)");
	action = argv[optind];
	if (strcmp(action, "init") && strcmp(action, "migrate") && strcmp(action, "stats") &&
	    strcmp(action, "prune") && strcmp(action, "rebuild"))
		usage_error(db_usage, "unknown action '%s'", action);
	if (optind + 1 < argc)
		usage_error(db_usage, "unexpected argument '%s'", argv[optind + 1]);
	if (!strcmp(action, "prune") != !!before)
		usage_error(db_usage, before ? "--before is for prune only" : "prune needs --before DATE");
	if (before && db_parse_date(before, &before_day))
		usage_error(db_usage, "--before wants a date YYYY-MM-DD, not '%s'", before);

	spec = db_default_spec(dbarg);
	if (!strcmp(action, "stats")) {
		if (!(db = db_open_current(spec)) || db_stats_print(db, stdout) || fflush(stdout))
			rc = XALT_EXIT_FAILURE;
		db_close(db);
		free(spec);
		return rc;
	}
	if (!strcmp(action, "prune")) {
		if (!(db = db_open_current(spec)) || db_prune(db, before_day))
			rc = XALT_EXIT_FAILURE;
		else
			printf("raw rows of runs before %s pruned\n", before);
		db_close(db);
		free(spec);
		return rc;
	}
	if (!strcmp(action, "rebuild")) {
		if (!(db = db_open_current(spec)) || rebuild(db))
			rc = XALT_EXIT_FAILURE;
		else
			printf("summary tables rebuilt\n");
		db_close(db);
		free(spec);
		return rc;
	}
	if (!(db = db_open(spec, 1))) {
		free(spec);
		return XALT_EXIT_FAILURE;
	}
	v = db_schema_version(db);
	if (v < 0)
		rc = XALT_EXIT_FAILURE;
	else if (!strcmp(action, "init") && v != 0 && v != DB_SCHEMA_VERSION)
		rc = error("database has schema version %d: use 'xalt db migrate'", v) ? XALT_EXIT_FAILURE : 0;
	else if (db_migrate(db))
		rc = XALT_EXIT_FAILURE;
	else
		printf("database %s at schema version %d\n",
		       db_spec_is_pg(spec) ? "(postgresql)" : spec, DB_SCHEMA_VERSION);
	db_close(db);
	free(spec);
	return rc;
}
