/*
 * Fuzz target: the site-config parser (src/common/config.c) and the lazy
 * filters (src/common/filter.c) on what it accepted. Any text must parse
 * without crashing or reading out of bounds; a config that parses must
 * answer filter queries.
 *
 * Regexes are compiled (check_regex, filter queries) only for inputs with
 * no '{' and no two quantifiers in a row: glibc's regcomp expands bounded
 * and stacked repetition ("(a{999}){999}", "a+++++...") into trees of
 * millions of nodes, gigabytes. The config is the site's (or the user's own
 * XALT_CONFIG: they can only slow their own runs), so that is a documented
 * limit (docs/security.md), not a finding; the parser itself sees every input.
 */
#include "config.h"
#include "filter.h"
#include "fuzz.h"

#include <string.h>

static char text[CONFIG_MAX_BYTES];
static struct xalt_config cfg;

/* Safe to hand to regcomp (see the top)? */
static int tame(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '{')
			return 0;
		if (i && strchr("+*?", data[i]) && data[i] && strchr("+*?)", data[i - 1]) && data[i - 1])
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int regex;

	if (size >= sizeof(text))
		return 0;
	regex = tame(data, size);
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_parse(&cfg, text, "fuzz.conf", regex, NULL, NULL) == 0 && regex) {
		FUZZ_CHECK(cfg.path.n <= CONFIG_MAX_PATTERNS && cfg.nsample <= CONFIG_MAX_SAMPLES);
		filter_table(&cfg.path, "/usr/bin/python3.11", XALT_KEEP);
		filter_table(&cfg.host, "c101-001.frontera", XALT_SKIP);
		filter_table(&cfg.env, "SLURM_JOB_ID", XALT_SKIP);
		filter_pkg(&cfg, "python", "numpy", "/usr/lib/python3/dist-packages/numpy");
	}
	filter_release(&cfg);
	return 0;
}
