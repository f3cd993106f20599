/*
 * xalt: the command-line tool for users and site administrators.
 *
 * Dispatches argv[1] through a table, git-style; each subcommand lives in its
 * own cmd-<name>.c and parses its own options.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cmd_struct {
	const char *name;                 /* as typed */
	int (*fn)(int argc, char **argv); /* gets argv from the subcommand name */
	const char *help;                 /* one line for `xalt --help` */
};

static const struct cmd_struct commands[] = {
	{ "help", cmd_help, "show help for xalt or a command" },
	{ "version", cmd_version, "print the version" },
	{ "run", cmd_run, "run a command with tracking on" },
	{ "config", cmd_config, "check or show the site config" },
	{ "ingest", cmd_ingest, "load run records into the database" },
	{ "db", cmd_db, "create or upgrade the database schema" },
	{ "report", cmd_report, "tables and an HTML page of what ran and was imported" },
	{ "doctor", cmd_doctor, "check this installation end to end" },
	{ "recover", cmd_recover, "send the records of runs killed before their end" },
};

static const char usage_text[] =
	"usage: xalt [--version] [--help] <command> [<args>]\n";

static void print_commands(FILE *f)
{
	fputs(usage_text, f);
	fputs("\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s  %s\n", commands[i].name, commands[i].help);
	fputs("\nexit status: 0 ok, 1 failure, 2 usage error\n"
	      "'xalt help <command>' shows the manual page of a command.\n", f);
}

int cmd_help(int argc, char **argv)
{
	(void)argv;
	if (argc < 2) {
		print_commands(stdout);
		return XALT_EXIT_OK;
	}
	/*
	 * The installed page first, by file (`man -l`), so help works without
	 * the prefix in the system MANPATH: xalt-CMD.1, then CMD.1 and CMD.5
	 * (`xalt help xalt.conf`, `xalt help xalt_record_pkg`).
	 */
	static const char *const forms[] = { "man1/xalt-%s.1", "man1/%s.1", "man5/%s.5" };
	char page[4096], rel[256];
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(rel, sizeof(rel), forms[i], argv[1]);
		snprintf(page, sizeof(page), "%s/share/man/%s", cli_prefix(), rel);
		if (!strchr(argv[1], '/') && access(page, R_OK) == 0) {
			execlp("man", "man", "-l", page, (char *)NULL);
			die_errno("cannot run man for '%s'", page);
		}
	}
	snprintf(page, sizeof(page), "xalt-%s", argv[1]);
	execlp("man", "man", page, (char *)NULL);
	die_errno("cannot run man for '%s'", page);
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("xalt %s\n", XALT_VERSION);
	return XALT_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *t = getenv("XALT_TRACING");

	if (t && !strcmp(t, "yes"))
		cli_verbose = 1;
	if (argc < 2) {
		fputs(usage_text, stderr);
		return XALT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "error: '%s' is not an xalt command\n", argv[1]);
	fputs(usage_text, stderr);
	return XALT_EXIT_USAGE;
}
