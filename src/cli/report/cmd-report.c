/*
 * `xalt report KIND`: the questions a centre asks of the database, as
 * aligned text, CSV or JSON tables (report.c), or one HTML page with charts
 * (report-html.c).
 */
#include "cli.h"
#include "db.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
	"usage: xalt report packages|conda|import-time|executables|libraries|summary|unused [options]\n"
	"   or: xalt report versions|deps [options] PACKAGE\n"
	"   or: xalt report html [options] OUT.html\n";

static const char report_help[] =
	"\n"
	"packages     most used packages per program: runs, distinct users, and of\n"
	"             those runs the direct imports (by the user's own code) and\n"
	"             the ones that used the package (ran its code; Python >= 3.12)\n"
	"versions     the versions of one package in use\n"
	"unused       packages imported but not used, among the runs that can tell\n"
	"             (Python >= 3.12): runs, used runs, unused runs, used ratio\n"
	"deps         which packages pull PACKAGE in (imported_by), how often\n"
	"conda        Python runs by user: system, venv, conda interpreters\n"
	"import-time  packages costing the most total import time\n"
	"executables  most run executables (runs, users, summed run time)\n"
	"libraries    most loaded shared libraries\n"
	"summary      totals: runs, users, hosts, executables, package names\n"
	"html         all of the above as one self-contained HTML page\n"
	"\n"
	"options:\n"
	"  --db DB           SQLite file or postgresql://... URI\n"
	"                    (default $XDG_DATA_HOME/xalt/xalt.db or ~/.local/share/xalt/xalt.db)\n"
	"  -n, --top N       at most N rows (packages: per program; default 20, 0: all)\n"
	"  --program P       only packages of program P (python, R)\n"
	"  --by runs|users   packages: rank by runs (default) or distinct users\n"
	"  --direct          packages: count direct imports only\n"
	"  --sort KEY        unused: unused (default, most unused runs first), ratio\n"
	"                    (lowest used ratio first) or runs (most runs first)\n"
	"  --user U          only runs of user U\n"
	"  --host H          only runs on node H\n"
	"  --syshost S       only runs on cluster S\n"
	"  --since T         only runs started at or after T\n"
	"  --until T         only runs started before T\n"
	"                    T: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC), or epoch seconds\n"
	"  --format F        text (default), csv or json\n"
	"  -v, --verbose     show the SQL on stderr\n"
	"  -h, --help        show this help\n"
	"\n"
	"exit status: 0 ok, 1 database failure, 2 usage error\n"
	"\n"
	"example: xalt report packages --program python --since 2026-01-01 --top 10\n";

/* --user and --host read raw rows (docs/database.md, "Retention"): after
 * `xalt db prune`, say that the runs before the first kept day are gone,
 * unless the window starts after it. */
static void warn_pruned(struct db *db, const struct report_filter *f)
{
	char date[DB_DATE_MAX];
	int64_t day;

	if ((f->user || f->host) && db_first_raw_day(db, &day) == 1 &&
	    !(f->has_since && f->since >= (double)day * 86400)) {
		db_format_day(day, date);
		warning("runs before %s were pruned: --user and --host count only the runs from that day on",
			date);
	}
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "top", required_argument, NULL, 'n' },
		{ "program", required_argument, NULL, 'p' },
		{ "by", required_argument, NULL, 'B' },
		{ "direct", no_argument, NULL, 'D' },
		{ "sort", required_argument, NULL, 'O' },
		{ "user", required_argument, NULL, 'u' },
		{ "host", required_argument, NULL, 'H' },
		{ "syshost", required_argument, NULL, 'S' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'U' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_filter f = { .top = 20 };
	enum report_format fmt = RF_TEXT;
	const char *dbarg = NULL, *kind, *by = NULL, *format = NULL, *arg = NULL;
	struct report_table t;
	struct db *db;
	char *spec, *end;
	int c, rc = XALT_EXIT_OK, known = 0;

	if (argc < 2)
		usage_error(report_usage, "no report named");
	kind = argv[1];
	if (!strcmp(kind, "--help") || !strcmp(kind, "-h")) {
		fputs(report_usage, stdout);
		fputs(report_help, stdout);
		return XALT_EXIT_OK;
	}
	for (int i = 0; report_kinds[i]; i++)
		known |= !strcmp(kind, report_kinds[i]);
	if (!known && strcmp(kind, "html"))
		usage_error(report_usage, "unknown report '%s'", kind);
	argc--;
	argv++;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbarg = optarg; break;
		case 'p': f.program = optarg; break;
		case 'u': f.user = optarg; break;
		case 'H': f.host = optarg; break;
		case 'S': f.syshost = optarg; break;
		case 'B': by = optarg; break;
		case 'D': f.direct = 1; break;
		case 'O': f.sort = optarg; break;
		case 'f': format = optarg; break;
		case 'v': cli_verbose = 1; break;
		case 'n':
			errno = 0;
			f.top = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg || f.top < 0)
				usage_error(report_usage, "--top wants a number >= 0, not '%s'", optarg);
			break;
		case 's':
		case 'U':
			if (report_parse_time(optarg, c == 's' ? &f.since : &f.until))
				usage_error(report_usage, "%s: cannot parse time '%s'",
					    c == 's' ? "--since" : "--until", optarg);
			*(c == 's' ? &f.has_since : &f.has_until) = 1;
			break;
		case 'h':
			fputs(report_usage, stdout);
			fputs(report_help, stdout);
			return XALT_EXIT_OK;
		case ':':
			usage_error(report_usage, "option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error(report_usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (by) {
		if (strcmp(kind, "packages"))
			usage_error(report_usage, "--by applies to 'packages' only, not '%s'", kind);
		if (strcmp(by, "runs") && strcmp(by, "users"))
			usage_error(report_usage, "--by wants runs or users, not '%s'", by);
		f.by_users = !strcmp(by, "users");
	}
	if (f.direct && strcmp(kind, "packages"))
		usage_error(report_usage, "--direct applies to 'packages' only, not '%s'", kind);
	if (f.sort) {
		if (strcmp(kind, "unused"))
			usage_error(report_usage, "--sort applies to 'unused' only, not '%s'", kind);
		if (strcmp(f.sort, "unused") && strcmp(f.sort, "ratio") && strcmp(f.sort, "runs"))
			usage_error(report_usage, "--sort wants unused, ratio or runs, not '%s'", f.sort);
	}
	if (format) {
		if (!strcmp(kind, "html"))
			usage_error(report_usage, "--format cannot be used with 'html'");
		if (!strcmp(format, "csv"))
			fmt = RF_CSV;
		else if (!strcmp(format, "json"))
			fmt = RF_JSON;
		else if (strcmp(format, "text"))
			usage_error(report_usage, "--format wants text, csv or json, not '%s'", format);
	}
	if (f.has_since && f.has_until && f.until <= f.since)
		usage_error(report_usage, "--until must be later than --since");
	if (!strcmp(kind, "versions") || !strcmp(kind, "deps") || !strcmp(kind, "html")) {
		if (optind >= argc)
			usage_error(report_usage, "'%s' needs %s", kind,
				    kind[0] != 'h' ? "a PACKAGE name" : "an OUT.html path");
		arg = argv[optind++];
	}
	if (optind < argc)
		usage_error(report_usage, "unexpected argument '%s'", argv[optind]);
	f.package = arg;

	spec = db_default_spec(dbarg);
	if (!(db = db_open_current(spec))) {
		free(spec);
		return XALT_EXIT_FAILURE;
	}
	warn_pruned(db, &f);
	if (!strcmp(kind, "html")) {
		if (report_html(db, &f, arg))
			rc = XALT_EXIT_FAILURE;
	} else if (report_run(db, kind, &f, &t)) {
		rc = XALT_EXIT_FAILURE;
	} else {
		if (report_print(&t, fmt, stdout) || fflush(stdout))
			rc = XALT_EXIT_FAILURE;
		report_table_release(&t);
	}
	db_close(db);
	free(spec);
	return rc;
}
