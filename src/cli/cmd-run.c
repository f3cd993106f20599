/*
 * xalt run [--] CMD ARGS...: run one command tracked, with exactly the
 * environment the env module sets (docs/design.md, "Environment"), then
 * execvp it, so its exit status and signals reach the caller unchanged.
 *
 *   LD_PRELOAD                 P/lib/libxalt_init.so prepended (once)
 *   XALT_EXECUTABLE_TRACKING   yes
 *   XALT_DIR                   P (the contract in the brief; the module sets it too)
 *   PYTHONPATH                 P/site prepended (once)
 *   R_PROFILE                  P/site/Rprofile.site; a different previous
 *                              value moves to XALT_R_PROFILE_CHAIN
 * P is this xalt's install prefix (cli_prefix()).
 */
#include "cli.h"
#include "xalt-env.h"
#include "xbuf.h"

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

/* Is `item` one of the entries of `list`, separated by any of `seps`? */
static int in_list(const char *list, const char *item, const char *seps)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p;) {
		const char *c = strpbrk(p, seps);
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && !strncmp(p, item, n))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

/* Prepend `item` to the list in `var` unless it is there already. */
static void prepend(const char *var, const char *seps, const char *item)
{
	const char *old = getenv(var);
	struct xbuf b = XBUF_INIT;
	const char sep[2] = { seps[0], '\0' };

	if (old && in_list(old, item, seps))
		return;
	xbuf_addstr(&b, item);
	if (old && *old) {
		xbuf_addstr(&b, sep);
		xbuf_addstr(&b, old);
	}
	if (setenv(var, b.buf, 1) < 0)
		die_errno("cannot set %s", var);
	xbuf_release(&b);
}

static void set(const char *var, const char *val)
{
	if (setenv(var, val, 1) < 0)
		die_errno("cannot set %s", var);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *p = cli_prefix();
	struct xbuf lib = XBUF_INIT, site = XBUF_INIT, rprof = XBUF_INIT;
	const char *old_r;
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

	xbuf_addf(&lib, "%s/%s", p, XALT_PRELOAD_RELPATH);
	xbuf_addf(&site, "%s/%s", p, XALT_SITE_RELPATH);
	xbuf_addf(&rprof, "%s/%s/Rprofile.site", p, XALT_SITE_RELPATH);
	/* ld.so accepts ':' or ' ' between LD_PRELOAD entries; we add ':'. */
	prepend("LD_PRELOAD", ": ", lib.buf);
	set(XALT_ENV_TRACKING, "yes");
	set(XALT_ENV_DIR, p);
	prepend("PYTHONPATH", ":", site.buf);
	old_r = getenv("R_PROFILE");
	if (old_r && *old_r && strcmp(old_r, rprof.buf))
		set(XALT_ENV_R_PROFILE_CHAIN, old_r);
	set("R_PROFILE", rprof.buf);
	cli_trace("running '%s' with LD_PRELOAD=%s", argv[optind], getenv("LD_PRELOAD"));
	xbuf_release(&lib);
	xbuf_release(&site);
	xbuf_release(&rprof);

	execvp(argv[optind], argv + optind);
	c = errno;
	error("cannot run '%s': %s", argv[optind], strerror(c));
	return c == ENOENT ? 127 : 126;
}
