/*
 * bench/timer: time short program runs from C, interleaved, and report
 * medians. A timer in Python (subprocess) adds about 1 ms of its own to each
 * sample, which hides a 40 µs difference, and running all of A then all of
 * B lets the machine's drift into the ratio (both seen on this project's
 * 2-core machine before this timer existed), hence: fork, exec, wait,
 * clock_gettime(CLOCK_MONOTONIC), variants in rotating order within each
 * round, stdout/stderr of the command sent to /dev/null.
 *
 * usage: timer [-n RUNS] [-w WARMUP] [-c] -v 'LABEL:VAR=VAL,VAR=VAL' [-v ...] -- CMD [ARGS...]
 *   Each -v is a variant: the same command with these variables added to
 *   the environment (an empty list after ':' means the environment as is;
 *   VAR= with nothing after '=' unsets VAR). The first variant is the
 *   baseline of the ratios. -c measures the child's CPU time (user + sys
 *   from wait4's rusage) instead of wall time: on a machine shared with
 *   other work it leaves out the time spent waiting for a core, which is
 *   most of the noise of wall medians there.
 * Output: one markdown table row per variant:
 *   | label | median µs | p10 µs | p90 µs | ratio to first | +µs over first |
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_VARIANTS 16

struct variant {
	char label[64];
	char *assign[32];   /* "VAR=VAL" */
	int nassign;
	double *us;         /* samples */
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void parse_variant(struct variant *v, char *spec)
{
	char *colon = strchr(spec, ':'), *tok, *save;

	if (!colon) {
		fprintf(stderr, "timer: variant '%s' has no ':'\n", spec);
		exit(2);
	}
	*colon = '\0';
	snprintf(v->label, sizeof(v->label), "%s", spec);
	for (tok = strtok_r(colon + 1, ",", &save); tok && v->nassign < 32;
	     tok = strtok_r(NULL, ",", &save))
		v->assign[v->nassign++] = tok;
}

static int cpu_time;     /* -c: report the child's user + sys time */

/* One run of argv under variant v; returns wall (or CPU, -c) µs, or -1 on failure. */
static double run_once(const struct variant *v, char **argv)
{
	double t0 = now_us(), t1;
	int st;
	struct rusage ru;
	pid_t p = fork();

	if (p < 0)
		return -1;
	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		for (int i = 0; i < v->nassign; i++) {
			char *eq = strchr(v->assign[i], '=');

			*eq = '\0';
			if (eq[1])
				setenv(v->assign[i], eq + 1, 1);
			else
				unsetenv(v->assign[i]);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (wait4(p, &st, 0, &ru) < 0 && errno == EINTR)
		;
	t1 = now_us();
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return -1;
	if (cpu_time)
		return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	struct variant vs[MAX_VARIANTS];
	int nv = 0, runs = 300, warm = 20, c;

	memset(vs, 0, sizeof(vs));
	while ((c = getopt(argc, argv, "+n:w:cv:")) != -1) {
		switch (c) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'c': cpu_time = 1; break;
		case 'v':
			if (nv == MAX_VARIANTS) {
				fprintf(stderr, "timer: too many variants\n");
				return 2;
			}
			parse_variant(&vs[nv++], optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc || nv == 0 || runs < 1) {
		fprintf(stderr, "usage: timer [-n RUNS] [-w WARMUP] [-c] -v 'LABEL:VAR=VAL,...' ... -- CMD [ARGS...]\n");
		return 2;
	}
	for (int i = 0; i < nv; i++)
		vs[i].us = calloc((size_t)runs, sizeof(double));
	for (int r = -warm; r < runs; r++) {
		for (int k = 0; k < nv; k++) {
			int i = (k + (r < 0 ? 0 : r)) % nv;   /* rotate the order each round */
			double us = run_once(&vs[i], argv + optind);

			if (us < 0) {
				fprintf(stderr, "timer: '%s' failed under variant '%s'\n",
					argv[optind], vs[i].label);
				return 1;
			}
			if (r >= 0)
				vs[i].us[r] = us;
		}
	}
	double base = 0;
	for (int i = 0; i < nv; i++) {
		qsort(vs[i].us, (size_t)runs, sizeof(double), cmp);
		double med = vs[i].us[runs / 2], p10 = vs[i].us[runs / 10],
		       p90 = vs[i].us[runs * 9 / 10];
		if (i == 0)
			base = med;
		printf("| %s | %.0f | %.0f | %.0f | %.3f | %+.0f |\n", vs[i].label, med, p10, p90,
		       med / base, med - base);
		free(vs[i].us);
	}
	return 0;
}
