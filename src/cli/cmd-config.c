/*
 * xalt config check|show [FILE]: the site administrator's view of the site
 * config (format: docs/config.md). `check` parses like the preload library
 * does, and also compiles every regex, reporting each problem as
 * "FILE:LINE: message"; `show` prints the effective config (defaults filled
 * in) in the file's own syntax, every setting and every table.
 *
 * FILE defaults to $XALT_CONFIG, else P/etc/xalt.conf of this install.
 */
#include "cli.h"
#include "config.h"
#include "filter.h"
#include "paths.h"
#include "xalt-env.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: xalt config check [<file>]\n"
	"   or: xalt config show [<file>]\n";

static const char help_text[] =
	"usage: xalt config check [<file>]\n"
	"   or: xalt config show [<file>]\n"
	"\n"
	"  check    report every error as FILE:LINE: message (regexes compiled too)\n"
	"  show     print the effective config: every setting and table, defaults\n"
	"           filled in, in the config file's syntax\n"
	"  <file>   default: $XALT_CONFIG, else <prefix>/etc/xalt.conf\n"
	"  -h, --help   show this help\n"
	"\n"
	"exit status: 0 ok, 1 the file has errors or cannot be read, 2 usage error\n"
	"\n"
	"example: xalt config check /opt/xalt/etc/xalt.conf\n";

static void report(void *ctx, const char *path, int line, const char *msg)
{
	(void)ctx;
	if (line)
		fprintf(stderr, "%s:%d: %s\n", path, line, msg);
	else
		fprintf(stderr, "%s: %s\n", path, msg);
}

/* Read and parse `path` into cfg; text is the caller's (freed by it). */
static int load(const char *path, struct xalt_config *cfg, char **text)
{
	long n;

	*text = xmalloc(CONFIG_MAX_BYTES);
	n = config_read_file(path, *text, CONFIG_MAX_BYTES);
	if (n < 0) {
		if (errno == EFBIG)
			return error("cannot read '%s': larger than %d bytes", path,
				     CONFIG_MAX_BYTES - 1);
		return error_errno("cannot read '%s'", path);
	}
	if (strlen(*text) != (size_t)n)
		return error("'%s' contains a NUL byte (not a text file?)", path);
	return config_parse(cfg, *text, path, 1, report, NULL) ? -1 : 0;
}

static void show_table(const char *kw, const struct xalt_table *t, const char *what)
{
	printf("\n# %s table (%s)\n", kw, what);
	for (int i = 0; i < t->n; i++) {
		const struct xalt_pattern *p = &t->pat[i];

		if (!strcmp(kw, "pkg"))
			printf("pkg %s %s %s %s\n", p->program, config_action_word(p->action),
			       p->kind == PATTERN_NAME ? "name" : "path", p->regex);
		else
			printf("%s %s %s\n", kw, config_action_word(p->action), p->regex);
	}
}

static void show(const struct xalt_config *c)
{
	printf("# effective configuration of %s\n", c->file);
	printf("syshost = %s\n", c->syshost);
	printf("transmission = %s\n", c->transmission);
	printf("file_prefix = %s\n", c->file_prefix);
	printf("syslog_socket = %s\n", c->syslog_socket);
	printf("syslog_tag = %s\n", c->syslog_tag);
	printf("syslog_chunk = %d\n", c->syslog_chunk);
	printf("record_args = %s\n", config_args_word(c->record_args));
	printf("hash_users = %s\n", c->hash_users ? "yes" : "no");
	printf("allow_opt_out = %s\n", c->allow_opt_out ? "yes" : "no");
	printf("sha1 = %s\n", c->sha1 ? "yes" : "no");
	if (c->hash_key[0])
		printf("hash_key = %s\n", c->hash_key);
	else
		printf("# hash_key not set: hashes are keyed with the syshost\n");
	show_table("host", &c->host, "no lines: every host is tracked; else no match: SKIP");
	show_table("path", &c->path, "no match: KEEP");
	show_table("env", &c->env, "no match: SKIP");
	printf("\n# sample table (no match: probability 1)\n");
	for (int i = 0; i < c->nsample; i++) {
		printf("sample %g ", c->sample[i].min_s);
		if (isinf(c->sample[i].max_s))
			printf("inf");
		else
			printf("%g", c->sample[i].max_s);
		printf(" %g\n", c->sample[i].prob);
	}
	show_table("pkg", &c->pkg, "no match: KEEP");
}

int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct xalt_config cfg;
	char def[PATH_MAX];
	const char *sub, *path;
	char *text = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help_text, stdout);
			return XALT_EXIT_OK;
		}
		usage_error(usage_text, "unknown option");
	}
	if (optind >= argc)
		usage_error(usage_text, "missing subcommand (check or show)");
	sub = argv[optind++];
	if (strcmp(sub, "check") && strcmp(sub, "show"))
		usage_error(usage_text, "unknown subcommand '%s'", sub);
	if (argc - optind > 1)
		usage_error(usage_text, "too many arguments");
	if (optind < argc) {
		path = argv[optind];
	} else {
		const char *p = cli_prefix();

		path = paths_config(environ, p, strlen(p), 0, def, sizeof(def));
		if (!path)
			die("the config's file name under '%s' is too long", p);
	}
	rc = load(path, &cfg, &text);
	if (rc == 0) {
		if (!strcmp(sub, "show"))
			show(&cfg);
		else
			printf("%s: ok\n", path);
	}
	filter_release(&cfg);
	free(text);
	return rc == 0 ? XALT_EXIT_OK : XALT_EXIT_FAILURE;
}
