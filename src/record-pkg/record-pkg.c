/*
 * xalt_record_pkg: the public command any package hook may run to record one
 * package import into a tracked run's spool (the seed talk's contract):
 *
 *   xalt_record_pkg -u UUID program NAME xalt_run_uuid UUID package_name N \
 *                   package_version V package_path P [import_time SECONDS] \
 *                   [direct 0|1] [imported_by NAME] [startup 0|1] \
 *                   [used 0|1] [functions_used N]
 *
 * Our own Python and R hooks append to the spool in-process instead (a
 * process per import made a 30-import script 2.6-3.9x slower: docs/python.md,
 * bench/RESULTS.md "Python hook"); this command stays for hooks that cannot
 * write themselves, and as the reference for the filters.
 *
 * It runs from inside a user's program, so it is silent (XALT_TRACING=yes
 * explains each decision) and exits 0 whenever the command line is right, even
 * when it records nothing: a hook must never fail because tracking did. Only a
 * malformed command line exits 2. It looks the run up only in the caller's
 * own spool dir (spool_find), so another user cannot inject into a run by
 * passing its uuid.
 */
#include "config.h"
#include "filter.h"
#include "paths.h"
#include "spool.h"
#include "trace.h"
#include "xalt-env.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes (documented in --help). */
enum {
	EXIT_DONE = 0,    /* recorded, or nothing to record (no run, filtered, failure) */
	EXIT_USAGE = 2,   /* malformed command line */
};

static const char usage_short[] =
	"usage: xalt_record_pkg -u UUID program NAME package_name N [KEY VALUE]...\n"
	"       xalt_record_pkg --help\n";

static const char usage_long[] =
	"usage: xalt_record_pkg -u UUID program NAME package_name N [KEY VALUE]...\n"
	"\n"
	"Record one package import of the tracked run UUID (of the calling user) in\n"
	"the run's spool; the run's end record will list it. The package filters of\n"
	"the site config (pkg lines) apply.\n"
	"\n"
	"  -u, --uuid UUID        the run, as in $XALT_RUN_UUID\n"
	"  -h, --help             show this help and exit\n"
	"\n"
	"keys (any order; unknown keys are ignored):\n"
	"  program NAME           python, R, or another interpreter's name (required)\n"
	"  package_name N         the package (required)\n"
	"  package_version V      its version (optional)\n"
	"  package_path P         where it was loaded from (optional)\n"
	"  import_time SECONDS    time spent loading it (optional)\n"
	"  direct 0|1             1: the user's own code imported it (optional)\n"
	"  imported_by NAME       the package whose code imported it (optional)\n"
	"  startup 0|1            1: imported before the user's code began (optional)\n"
	"  used 0|1               1: its code ran after the import; 0: this program\n"
	"                         tracks usage and it has not run (yet) (optional)\n"
	"  functions_used N       how many of its functions ran (optional; N > 0\n"
	"                         implies used 1)\n"
	"  xalt_run_uuid UUID     must equal -u when given\n"
	"\n"
	"environment: XALT_CONFIG (else $XALT_DIR/etc/xalt.conf), XALT_SPOOL_BASE,\n"
	"XALT_TRACING=yes (explain on stderr why something was or was not recorded)\n"
	"\n"
	"exit status: 0 the command line was right (even if nothing was recorded:\n"
	"no such run, filtered out, or a write failed; a hook must not fail),\n"
	"2 usage error\n"
	"\n"
	"example:\n"
	"  $XALT_DIR/libexec/xalt_record_pkg -u \"$XALT_RUN_UUID\" program R \\\n"
	"      package_name magrittr package_version 2.0.3 \\\n"
	"      package_path /usr/lib/R/site-library/magrittr\n";

__attribute__((noreturn, format(printf, 1, 2)))
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("xalt_record_pkg: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_short, stderr);
	exit(EXIT_USAGE);
}

/* The fields of one record, borrowed from argv. */
struct pkg {
	const char *program;      /* required */
	const char *name;         /* required */
	const char *version;      /* "" if unknown */
	const char *path;         /* "" if unknown */
	const char *run_uuid;     /* xalt_run_uuid, NULL if not given */
	long long import_us;      /* -1 if unknown */
	int direct, startup;      /* 1, 0, or -1 when not given */
	const char *imported_by;  /* NULL if not given */
	int used;                 /* 1, 0, or -1 when not given */
	long long functions_used; /* -1 if not given */
};

/* Seconds as text -> integer microseconds; -1 if not a finite number >= 0. */
static long long parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
		return -1;
	return (long long)(v * 1e6 + 0.5);   /* no llround: no -lm for one rounding */
}

/* "0" or "1" -> 0 or 1; anything else -1 (traced, then ignored as not given). */
static int parse_flag(const char *key, const char *v)
{
	if ((v[0] == '0' || v[0] == '1') && !v[1])
		return v[0] - '0';
	XTRACE("record_pkg: ignoring %s '%s': not 0 or 1", key, v);
	return -1;
}

/* A count: digits only, at most 15 of them; -1 (traced) otherwise. */
static long long parse_count(const char *key, const char *v)
{
	long long n = 0;
	size_t i;

	for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 15; i++)
		n = n * 10 + (v[i] - '0');
	if (i && !v[i])
		return n;
	XTRACE("record_pkg: ignoring %s '%s': not a count", key, v);
	return -1;
}

/* Fill p from the KEY VALUE pairs; exits 2 on an odd count or a missing key. */
static void parse_pairs(struct pkg *p, int argc, char **argv)
{
	if (argc % 2)
		usage_error("odd number of key/value arguments (%d): '%s' has no value",
			    argc, argv[argc - 1]);
	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "program"))
			p->program = v;
		else if (!strcmp(k, "package_name"))
			p->name = v;
		else if (!strcmp(k, "package_version"))
			p->version = v;
		else if (!strcmp(k, "package_path"))
			p->path = v;
		else if (!strcmp(k, "xalt_run_uuid"))
			p->run_uuid = v;
		else if (!strcmp(k, "import_time")) {
			p->import_us = parse_seconds(v);
			if (p->import_us < 0)
				XTRACE("record_pkg: ignoring import_time '%s': not seconds", v);
		} else if (!strcmp(k, "direct"))
			p->direct = parse_flag(k, v);
		else if (!strcmp(k, "startup"))
			p->startup = parse_flag(k, v);
		else if (!strcmp(k, "imported_by"))
			p->imported_by = v;
		else if (!strcmp(k, "used"))
			p->used = parse_flag(k, v);
		else if (!strcmp(k, "functions_used"))
			p->functions_used = parse_count(k, v);
		else
			XTRACE("record_pkg: ignoring unknown key '%s'", k);
	}
	if (!p->program)
		usage_error("missing key 'program'");
	if (!p->name)
		usage_error("missing key 'package_name'");
}

/*
 * Load the site config into cfg (text must outlive it). Returns 0, or -1 when
 * the file exists but has errors: the preload library turns tracking off for
 * such a config, so we record nothing either. A missing file means defaults.
 * The file is the one the run's library reads (paths_config): its prefix is
 * $XALT_DIR, which that library set, else our own install's.
 */
static int load_config(struct xalt_config *cfg, char *text, size_t cap)
{
	char self[PATH_MAX], buf[PATH_MAX];
	const char *prefix = paths_getenv(environ, XALT_ENV_DIR), *f;
	long n;

	config_defaults(cfg);
	if (!prefix || !*prefix) {
		if (paths_self_prefix(self, sizeof(self)) < 0) {
			XTRACE("record_pkg: cannot find my install prefix (%s): no package filters",
			       strerror(errno));
			return 0;
		}
		prefix = self;
	}
	f = paths_config(environ, prefix, strlen(prefix), 0, buf, sizeof(buf));
	if (!f) {
		XTRACE("record_pkg: config file name too long: no package filters");
		return 0;
	}
	n = config_read_file(f, text, cap);
	if (n < 0) {
		XTRACE("record_pkg: no config '%s' (%s): no package filters", f, strerror(errno));
		return 0;
	}
	if (config_parse(cfg, text, f, 0, NULL, NULL) != 0) {
		XTRACE("record_pkg: config '%s' has errors: recording nothing", f);
		return -1;
	}
	return 0;
}

/* Append the escaped field and a separator to line at *o (room checked by caller). */
static void put_field(char *line, size_t cap, size_t *o, const char *s, char sep)
{
	ssize_t n = spool_escape(line + *o, cap - *o, s, strlen(s));

	if (n >= 0)
		*o += (size_t)n;
	line[(*o)++] = sep;
}

static void put_flag(char *line, size_t *o, int v)
{
	if (v >= 0)
		line[(*o)++] = (char)('0' + v);
}

/*
 * Format the lines (docs/design.md, "Spool line format"): the P line, of 9
 * fields when direct, imported_by or startup was given (else the 6 of old
 * callers), then a U line when the package was used, or an M line for
 * `used 0` (this program tracks usage). Returns them in a malloc'd buffer
 * with their length in *len (one write: both land together), or NULL when
 * out of memory.
 */
static char *format_line(const struct pkg *p, size_t *len)
{
	const char *by = p->imported_by ? p->imported_by : "";
	/* Each byte escapes to at most two; nine fields and two more lines. */
	size_t cap = 2 * (2 * strlen(p->program) + 2 * strlen(p->name) + strlen(p->version) +
			  strlen(p->path) + strlen(by)) + 128;
	char *line = malloc(cap);
	size_t o = 0;
	int used = p->functions_used > 0 ? 1 : p->functions_used == 0 ? 0 : p->used;

	if (!line)
		return NULL;
	line[o++] = 'P';
	line[o++] = '\t';
	put_field(line, cap, &o, p->program, '\t');
	put_field(line, cap, &o, p->name, '\t');
	put_field(line, cap, &o, p->version, '\t');
	put_field(line, cap, &o, p->path, '\t');
	if (p->import_us >= 0)
		o += (size_t)snprintf(line + o, cap - o, "%lld", p->import_us);
	if (p->direct >= 0 || p->imported_by || p->startup >= 0) {
		line[o++] = '\t';
		put_flag(line, &o, p->direct);
		line[o++] = '\t';
		put_field(line, cap, &o, by, '\t');
		put_flag(line, &o, p->startup);
	}
	line[o++] = '\n';
	if (used == 1) {
		line[o++] = 'U';
		line[o++] = '\t';
		put_field(line, cap, &o, p->program, '\t');
		put_field(line, cap, &o, p->name, '\t');
		if (p->functions_used >= 0)
			o += (size_t)snprintf(line + o, cap - o, "%lld", p->functions_used);
		line[o++] = '\n';
	} else if (used == 0) {
		line[o++] = 'M';
		line[o++] = '\t';
		put_field(line, cap, &o, p->program, '\t');
		memcpy(line + o, "on\n", 3);
		o += 3;
	}
	*len = o;
	return line;
}

static struct xalt_config cfg;          /* ~60 KB of tables: not on the stack */
static char cfg_text[CONFIG_MAX_BYTES];

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uuid", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pkg p = { NULL, NULL, "", "", NULL, -1, -1, -1, NULL, -1, -1 };
	const char *uuid = NULL;
	char dir[SPOOL_PATH_MAX];
	char *line;
	size_t len;
	int c;

	trace_init();
	opterr = 0;
	/* '+': stop at the first key, so a value such as "-1" is never an option. */
	while ((c = getopt_long(argc, argv, "+u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			uuid = optarg;
			break;
		case 'h':
			fputs(usage_long, stdout);
			return EXIT_DONE;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!uuid)
		usage_error("missing -u UUID");
	parse_pairs(&p, argc - optind, argv + optind);

	if (p.run_uuid && strcmp(p.run_uuid, uuid)) {
		XTRACE("record_pkg: xalt_run_uuid '%s' differs from -u '%s': nothing recorded",
		       p.run_uuid, uuid);
		return EXIT_DONE;
	}
	if (!*p.name) {
		XTRACE("record_pkg: empty package_name: nothing recorded");
		return EXIT_DONE;
	}
	if (spool_find(dir, sizeof(dir), uuid) != 0) {
		XTRACE("record_pkg: no spool of run '%s' for uid %u (%s): nothing recorded",
		       uuid, (unsigned)getuid(), strerror(errno));
		return EXIT_DONE;
	}
	if (load_config(&cfg, cfg_text, sizeof(cfg_text)) != 0)
		return EXIT_DONE;
	if (!filter_pkg(&cfg, p.program, p.name, p.path)) {
		XTRACE("record_pkg: %s package '%s' (%s) skipped by the pkg filters",
		       p.program, p.name, p.path);
		filter_release(&cfg);
		return EXIT_DONE;
	}
	filter_release(&cfg);
	line = format_line(&p, &len);
	if (!line) {
		XTRACE("record_pkg: out of memory: nothing recorded");
		return EXIT_DONE;
	}
	if (spool_append(dir, line, len) != 0)
		XTRACE("record_pkg: cannot append to '%s/%s': %s", dir, SPOOL_PKGS_FILE,
		       strerror(errno));
	else
		XTRACE("record_pkg: recorded %s package '%s' in '%s'", p.program, p.name, dir);
	free(line);
	return EXIT_DONE;
}
