/*
 * Fuzz target: the site-config parser (src/common/config.c) and the lazy
 * filters (src/common/filter.c) on what it accepted. Any text must parse
 * without crashing or reading out of bounds; a config that parses must
 * answer filter queries. Every input's regexes are compiled (check_regex)
 * and matched: the compiler bounds every program (ere.h).
 */
#include "config.h"
#include "filter.h"
#include "fuzz.h"

#include <string.h>

static char text[CONFIG_MAX_BYTES];
static struct xalt_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_parse(&cfg, text, "fuzz.conf", 1, NULL, NULL) == 0) {
		FUZZ_CHECK(cfg.path.n <= CONFIG_MAX_PATTERNS && cfg.nsample <= CONFIG_MAX_SAMPLES);
		filter_table(&cfg.path, "/usr/bin/python3.11", XALT_KEEP);
		filter_table(&cfg.host, "c101-001.frontera", XALT_SKIP);
		filter_table(&cfg.env, "SLURM_JOB_ID", XALT_SKIP);
		filter_pkg(&cfg, "python", "numpy", "/usr/lib/python3/dist-packages/numpy");
	}
	filter_release(&cfg);
	return 0;
}
