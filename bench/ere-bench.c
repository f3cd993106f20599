/*
 * bench/ere-bench: what the site filters' regexes cost with our matcher
 * (src/common/ere.c) and with glibc's regcomp/regexec, for every pattern of
 * the config files given, on the subjects of t/filter-cases.tsv (package
 * names and paths) plus program paths and variable names like those the
 * path and env tables see. Every pattern is compiled and matched as a
 * regex: the filters' literal shortcuts (filter.c) are left out.
 *
 * Figures are per config file, summed over its patterns, each the median
 * of ROUNDS rounds in which ours and glibc's alternate:
 *   compile  ere_compile | regcomp + regfree, every pattern once;
 *   match    every pattern on every subject (glibc's DFA states already built);
 *   first    compile, then each subject once: what one process pays;
 *   memory   our programs' bytes | glibc's heap after regcomp (mallinfo2).
 * This process has initialised malloc already: the first regcomp in a
 * program pays about 25 µs more for it (bench/RESULTS.md), ours never does.
 *
 * usage: ere-bench TSV CONFIG...   (prints markdown table rows)
 */
#include "config.h"
#include "ere.h"

#include <malloc.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 31
#define MAX_SUBJECTS 256

static const char *subjects[MAX_SUBJECTS];
static int nsubjects;
static char tsv_text[1 << 16];

static const char *const extra[] = {
	"/usr/bin/python3.11", "/usr/bin/true", "/home/alice/bin/a.out",
	"/opt/apps/gcc/12/python/3.11/bin/python3.11", "/usr/lib/R/bin/exec/R",
	"/scratch/alice/run/solver", "SLURM_JOB_PARTITION", "PATH", "LMOD_FAMILY_COMPILER",
	"OMP_NUM_THREADS", "CONDA_DEFAULT_ENV", "HOME",
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(double), cmp_double);
	return v[ROUNDS / 2];
}

/* Names and paths of the TSV's cases (columns 2 and 3), then the extras. */
static void load_subjects(const char *tsv)
{
	FILE *f = fopen(tsv, "r");
	size_t n;
	char *line, *save;

	if (!f || (n = fread(tsv_text, 1, sizeof(tsv_text) - 1, f)) == 0) {
		perror(tsv);
		exit(1);
	}
	fclose(f);
	tsv_text[n] = '\0';
	for (line = strtok_r(tsv_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *col[4];
		int k = 0;

		if (line[0] == '#')
			continue;
		for (char *p = line; k < 4; k++) {
			col[k] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (k < 3 || nsubjects + 2 > MAX_SUBJECTS)
			continue;
		subjects[nsubjects++] = col[1];
		subjects[nsubjects++] = col[2];
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]) && nsubjects < MAX_SUBJECTS; i++)
		subjects[nsubjects++] = extra[i];
}

static void bench_file(const char *path)
{
	static char text[CONFIG_MAX_BYTES];
	static struct xalt_config cfg;
	static _Alignas(8) unsigned char progs[4 * CONFIG_MAX_PATTERNS][ERE_PROG_MAX];
	static regex_t res[4 * CONFIG_MAX_PATTERNS];
	const char *pat[4 * CONFIG_MAX_PATTERNS];
	double t[8][ROUNDS];
	struct xalt_table *tables[] = { &cfg.host, &cfg.path, &cfg.env, &cfg.pkg };
	struct ere_error err;
	size_t ours_bytes = 0, glibc_bytes;
	struct mallinfo2 before, after;
	int npat = 0, matches = 0, agree = 1;

	if (config_read_file(path, text, sizeof(text)) < 0 ||
	    config_parse(&cfg, text, path, 0, NULL, NULL) != 0) {
		fprintf(stderr, "cannot read or parse '%s'\n", path);
		exit(1);
	}
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < tables[k]->n; i++)
			pat[npat++] = tables[k]->pat[i].regex;

	for (int r = 0; r < ROUNDS; r++) {
		double a;

		/* compile */
		a = now_ns();
		for (int i = 0; i < npat; i++)
			if (ere_compile(progs[i], ERE_PROG_MAX, pat[i], &err) < 0)
				exit(2);
		t[0][r] = now_ns() - a;
		a = now_ns();
		for (int i = 0; i < npat; i++) {
			regcomp(&res[i], pat[i], REG_EXTENDED | REG_NOSUB);
			regfree(&res[i]);
		}
		t[1][r] = now_ns() - a;
		/* first use in a process: compile, each subject once */
		a = now_ns();
		for (int i = 0; i < npat; i++) {
			ere_compile(progs[i], ERE_PROG_MAX, pat[i], &err);
			for (int s = 0; s < nsubjects; s++)
				matches += ere_match((const struct ere *)progs[i], subjects[s]);
		}
		t[2][r] = now_ns() - a;
		a = now_ns();
		for (int i = 0; i < npat; i++) {
			regcomp(&res[i], pat[i], REG_EXTENDED | REG_NOSUB);
			for (int s = 0; s < nsubjects; s++)
				matches -= regexec(&res[i], subjects[s], 0, NULL, 0) == 0;
		}
		t[3][r] = now_ns() - a;
		/* warm matching */
		a = now_ns();
		for (int i = 0; i < npat; i++)
			for (int s = 0; s < nsubjects; s++)
				matches += ere_match((const struct ere *)progs[i], subjects[s]);
		t[4][r] = now_ns() - a;
		a = now_ns();
		for (int i = 0; i < npat; i++)
			for (int s = 0; s < nsubjects; s++)
				matches -= regexec(&res[i], subjects[s], 0, NULL, 0) == 0;
		t[5][r] = now_ns() - a;
		for (int i = 0; i < npat; i++)
			regfree(&res[i]);
		if (matches)
			agree = 0;
	}
	for (int i = 0; i < npat; i++)
		ours_bytes += (size_t)ere_compile(progs[i], ERE_PROG_MAX, pat[i], &err);
	before = mallinfo2();
	for (int i = 0; i < npat; i++)
		regcomp(&res[i], pat[i], REG_EXTENDED | REG_NOSUB);
	after = mallinfo2();
	glibc_bytes = after.uordblks - before.uordblks;
	for (int i = 0; i < npat; i++)
		regfree(&res[i]);

	printf("| `%s` (%d patterns, %d subjects) | compile all | %.1f µs | %.1f µs | %.2f |\n",
	       path, npat, nsubjects, median(t[0]) / 1e3, median(t[1]) / 1e3, median(t[1]) / median(t[0]));
	printf("| | compile, then each subject once | %.1f µs | %.1f µs | %.2f |\n",
	       median(t[2]) / 1e3, median(t[3]) / 1e3, median(t[3]) / median(t[2]));
	printf("| | match, per pattern and subject | %.0f ns | %.0f ns | %.2f |\n",
	       median(t[4]) / npat / nsubjects, median(t[5]) / npat / nsubjects,
	       median(t[5]) / median(t[4]));
	printf("| | memory | %zu B | %zu B heap | %.1f |\n", ours_bytes, glibc_bytes,
	       (double)glibc_bytes / (double)ours_bytes);
	if (!agree) {
		fprintf(stderr, "%s: ere_match and regexec disagree\n", path);
		exit(3);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ere-bench TSV CONFIG...\n");
		return 2;
	}
	load_subjects(argv[1]);
	printf("| config | what | ere | glibc | glibc / ere |\n|---|---|---|---|---|\n");
	for (int i = 2; i < argc; i++)
		bench_file(argv[i]);
	return 0;
}
