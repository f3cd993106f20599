/*
 * xalt run [--] CMD ARGS...: run one command tracked, with exactly the
 * environment the env module sets (docs/design.md, "Environment"), then
 * execvpe it, so its exit status and signals reach the caller unchanged.
 *
 *   LD_PRELOAD                 P/lib/libxalt_init.so prepended (once)
 *   XALT_EXECUTABLE_TRACKING   yes
 *   XALT_DIR                   P (the module sets it too)
 *   PYTHONPATH                 P/site prepended (once)
 *   R_PROFILE                  P/site/Rprofile.site; a different previous
 *                              value moves to XALT_R_PROFILE_CHAIN
 * P is this xalt's install prefix (cli_prefix()). The environment is built
 * by paths_child_env, which doctor's self-tests use too.
 */
#include "cli.h"
#include "paths.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: xalt run [--] <command> [<args>...]\n";

static const char help_text[] =
	"usage: xalt run [--] <command> [<args>...]\n"
	"\n"
	"Run a command with execution tracking on, as the xalt module would:\n"
	"  LD_PRELOAD                prepend P/lib/libxalt_init.so (not twice)\n"
	"  XALT_EXECUTABLE_TRACKING  yes\n"
	"  XALT_DIR                  P\n"
	"  PYTHONPATH                prepend P/site (not twice)\n"
	"  R_PROFILE                 P/site/Rprofile.site; a different earlier value\n"
	"                            is kept in XALT_R_PROFILE_CHAIN and sourced by it\n"
	"where P is the install prefix of this xalt. The command replaces xalt\n"
	"(exec), so its exit status and signals are passed through unchanged.\n"
	"\n"
	"  -h, --help   show this help\n"
	"\n"
	"exit status: the command's; 2 usage error; 126 cannot run, 127 not found\n"
	"\n"
	"example: xalt run -- ./a.out input.dat\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **env;
	int c;

	/* '+': stop at the first non-option, the command's own options are its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help_text, stdout);
			return XALT_EXIT_OK;
		default:
			usage_error(usage_text, "unknown option");
		}
	}
	if (optind >= argc)
		usage_error(usage_text, "missing command");

	env = paths_child_env(environ, cli_prefix());
	if (!env)
		die("out of memory building the environment");
	cli_trace("running '%s' with LD_PRELOAD=%s", argv[optind],
		  paths_getenv(env, "LD_PRELOAD"));
	execvpe(argv[optind], argv + optind, env);
	c = errno;
	paths_env_free(env);
	error("cannot run '%s': %s", argv[optind], strerror(c));
	return c == ENOENT ? 127 : 126;
}
