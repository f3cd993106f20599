/*
 * `xalt doctor`: what this installation does, and whether it works.
 *
 * A site administrator rolling xalt out to thousands of users needs one
 * command that answers "is tracking on, and where do the records go?"
 * (XALT users know it as xalt_configuration_report). It prints the facts
 * (version, prefix, config file, its path rules and sampling table, the
 * transmission, the privacy switches), then runs checks, one line each:
 *
 *     ok|FAIL|warn  <check>: <detail>
 *         hint: <what to do>            (failures and warnings only)
 *
 * and ends with tracked self-tests of a copy of /bin/true, /usr/bin/python3
 * and Rscript. Exit 0 when nothing failed, 1 otherwise. `--format json`
 * prints one object for monitoring instead.
 *
 * This file holds the options, the list of verdicts and the output; the
 * checks are in doctor-checks.c, the self-tests in doctor-selftest.c.
 */
#include "cli.h"
#include "doctor.h"
#include "config.h"
#include "paths.h"
#include "xalt-env.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char doctor_usage[] =
	"usage: xalt doctor [--format text|json]\n";

static const char doctor_help[] =
	"usage: xalt doctor [--format text|json]\n"
	"\n"
	"Print what this installation does and check that it works: the preload\n"
	"library, the config, the spool, the record destination, syslog, and a\n"
	"tracked self-test of a C program, Python and R.\n"
	"\n"
	"  --format FMT   text (default) or json, for monitoring\n"
	"  -h, --help     this help\n"
	"\n"
	"exit status: 0 all checks passed, 1 a check failed, 2 usage error\n"
	"\n"
	"example: xalt doctor --format json | jq '.checks[] | select(.status != \"ok\")'\n";

/* ---- verdicts --------------------------------------------------------------- */

static const char *const status_word[] = { "ok", "warn", "FAIL" };

struct check {
	enum doctor_status status;
	char *name;    /* short, stable: monitoring keys on it */
	char *detail;
	char *hint;    /* NULL when ok */
};

static struct check *checks;
static size_t nchecks, achecks;

void doctor_verdict(enum doctor_status st, const char *name, const char *hint,
		    const char *fmt, ...)
{
	struct xbuf d = XBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	xbuf_vaddf(&d, fmt, ap);
	va_end(ap);
	if (nchecks == achecks) {
		achecks = achecks ? 2 * achecks : 16;
		checks = xrealloc(checks, achecks * sizeof(*checks));
	}
	checks[nchecks].status = st;
	checks[nchecks].name = xstrdup(name);
	checks[nchecks].detail = xbuf_detach(&d, NULL);
	checks[nchecks].hint = hint ? xstrdup(hint) : NULL;
	nchecks++;
}

/* ---- output ------------------------------------------------------------- */

/* XALT_SAMPLING=no: every run is recorded. */
static int sampling_off(const struct doctor_facts *f)
{
	const char *s = paths_getenv(f->envp, XALT_ENV_SAMPLING);

	return s && !strcmp(s, "no");
}

static void print_text(struct doctor_facts *f)
{
	const struct xalt_config *c = &f->cfg;

	printf("xalt %s\n", XALT_VERSION);
	printf("prefix:          %s\n", f->prefix);
	printf("config:          %s%s\n", f->config_path, f->config_ok ? "" : " (not usable: defaults shown)");
	printf("syshost:         %s\n", c->syshost);
	printf("transmission:    %s\n", f->transmission);
	printf("destination:     %s\n", f->destination);
	printf("spool base:      %s\n", f->spool_base);
	printf("allow_opt_out:   %s\n", c->allow_opt_out ? "yes (XALT_EXECUTABLE_TRACKING=no is honoured)"
	       : "no (XALT_EXECUTABLE_TRACKING=no is ignored)");
	printf("record_args:     %s\n", config_args_word(c->record_args));
	printf("hash_users:      %s\n", c->hash_users ? "yes (user hashed, uid omitted)" : "no");
	printf("hash_key:        %s\n", c->hash_key[0] ? "set (not shown)" : "unset (the syshost is the key)");
	printf("sha1:            %s\n", c->sha1 ? "yes" : "no");
	printf("path rules (first match wins; no match: KEEP):\n");
	for (int i = 0; i < c->path.n; i++)
		printf("  %-4s  %s\n", config_action_word(c->path.pat[i].action), c->path.pat[i].regex);
	printf("sampling (run time -> probability; no match: 1.0%s):\n",
	       sampling_off(f)
	       ? "; XALT_SAMPLING=no: every run" : "");
	for (int i = 0; i < c->nsample; i++) {
		if (isinf(c->sample[i].max_s))
			printf("  [%g s, inf)  %g\n", c->sample[i].min_s, c->sample[i].prob);
		else
			printf("  [%g s, %g s)  %g\n", c->sample[i].min_s, c->sample[i].max_s,
			       c->sample[i].prob);
	}
	printf("checks:\n");
	for (size_t i = 0; i < nchecks; i++) {
		printf("%-4s  %s: %s\n", status_word[checks[i].status], checks[i].name,
		       checks[i].detail);
		if (checks[i].hint && checks[i].status != DOCTOR_OK)
			printf("      hint: %s\n", checks[i].hint);
	}
}

static void print_json(struct doctor_facts *f, int ok)
{
	const struct xalt_config *c = &f->cfg;
	json_t *o = json_object(), *a = json_array(), *s = json_array();

	json_object_set_new(o, "version", json_string(XALT_VERSION));
	json_object_set_new(o, "prefix", json_string(f->prefix));
	json_object_set_new(o, "config", json_string(f->config_path));
	json_object_set_new(o, "config_ok", json_boolean(f->config_ok));
	json_object_set_new(o, "syshost", json_string(c->syshost));
	json_object_set_new(o, "transmission", json_string(f->transmission));
	json_object_set_new(o, "destination", json_string(f->destination));
	json_object_set_new(o, "spool_base", json_string(f->spool_base));
	json_object_set_new(o, "allow_opt_out", json_boolean(c->allow_opt_out));
	json_object_set_new(o, "record_args", json_string(config_args_word(c->record_args)));
	json_object_set_new(o, "hash_users", json_boolean(c->hash_users));
	json_object_set_new(o, "hash_key_set", json_boolean(c->hash_key[0] != '\0'));
	json_object_set_new(o, "sha1", json_boolean(c->sha1));
	for (int i = 0; i < c->path.n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "action",
				config_action_word(c->path.pat[i].action), "regex", c->path.pat[i].regex));
	json_object_set_new(o, "path_rules", a);
	for (int i = 0; i < c->nsample; i++)
		json_array_append_new(s, json_pack("{s:f,s:o,s:f}", "min", c->sample[i].min_s,
				"max", isinf(c->sample[i].max_s) ? json_null() :
				json_real(c->sample[i].max_s), "probability", c->sample[i].prob));
	json_object_set_new(o, "sampling", s);
	a = json_array();
	for (size_t i = 0; i < nchecks; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s?}", "name", checks[i].name,
				"status", status_word[checks[i].status], "detail", checks[i].detail,
				"hint", checks[i].status == DOCTOR_OK ? NULL : checks[i].hint));
	json_object_set_new(o, "checks", a);
	json_object_set_new(o, "ok", json_boolean(ok));
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(o);
}

/* ---- entry point -------------------------------------------------------- */

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c, ok = 1;
	struct doctor_facts f;

	opterr = 0;     /* one error line of our own, then the usage */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				usage_error(doctor_usage, "unknown format '%s' (text or json)", optarg);
			break;
		case 'h':
			fputs(doctor_help, stdout);
			return XALT_EXIT_OK;
		default:
			usage_error(doctor_usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(doctor_usage, "unexpected argument '%s'", argv[optind]);

	doctor_gather(&f);
	doctor_check_library(&f);
	doctor_check_spool(&f);
	doctor_check_destination(&f);
	doctor_check_syslog(&f);
	doctor_self_tests(&f);
	for (size_t i = 0; i < nchecks; i++)
		if (checks[i].status == DOCTOR_FAIL)
			ok = 0;
	if (json)
		print_json(&f, ok);
	else
		print_text(&f);
	fflush(stdout);
	for (size_t i = 0; i < nchecks; i++) {
		free(checks[i].name);
		free(checks[i].detail);
		free(checks[i].hint);
	}
	free(checks);
	doctor_release(&f);
	return ok ? XALT_EXIT_OK : XALT_EXIT_FAILURE;
}
