/*
 * The end of a tracked run: run time, the sampling decision, the record and
 * its transmission, then the spool's removal. Called once, from the exit
 * handler, the destructor or a fatal-signal handler (init.c), so it uses no
 * heap and only async-signal-safe calls; tracing is off on the signal path.
 *
 * Not sampled: the spool is removed and nothing is written (the reference
 * XALT 3.2.4 left it in /dev/shm, run after run). Sampled: one record, built straight into the
 * transmission through a 64 KB buffer, i.e. one write(2) for most records.
 */
#include "fnv.h"
#include "paths.h"
#include "record.h"
#include "recover.h"
#include "spool.h"
#include "trace.h"
#include "transmit.h"
#include "uuid.h"
#include "xalt-env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char outbuf[64 * 1024];

static uint64_t random64(const struct xalt_run *r)
{
	uint64_t u = 0;

	if (uuid_random(&u, sizeof(u)) == 0)
		return u;
	/* No entropy: the run's uuid is random enough to sample with. */
	return fnv64_str(FNV64_BASIS, r->uuid);
}

static int on_signal_path;     /* run_finish was called from a signal handler */

static void remove_spool(struct xalt_run *r)
{
	if (r->spool[0]) {
		if (spool_remove(r->spool) < 0)
			XTRACE("cannot remove spool %s: %s", r->spool, strerror(errno));
		r->spool[0] = '\0';
		if (!on_signal_path)
			recover_reap();
	}
}

int run_finish(struct xalt_run *r, enum run_how how, int status, int sig)
{
	struct run_end e = { how, status & 0xff, sig, { 0, 0 }, 0, 1.0, how == RUN_SIGNAL };
	struct timespec now;
	const struct transmit_ops *t;
	const char *style;
	struct json_out j;
	void *ctx = NULL;
	int rc;

	on_signal_path = how == RUN_SIGNAL;
	clock_gettime(CLOCK_REALTIME, &e.end_rt);
	clock_gettime(CLOCK_MONOTONIC, &now);
	e.run_time = (double)(now.tv_sec - r->start_mono.tv_sec) +
		     (double)(now.tv_nsec - r->start_mono.tv_nsec) / 1e9;
	e.prob = r->forced ? 1.0 : sample_probability(&r->cfg, e.run_time);
	if (!r->forced && !sample_keep(e.prob, random64(r))) {
		XTRACE("run %s: %.6f s, not sampled (probability %g)", r->uuid,
		       e.run_time, e.prob);
		remove_spool(r);
		return 0;
	}
	style = paths_transmission(environ, &r->cfg);
	t = transmit_lookup(style);
	if (!t) {
		XTRACE("run %s: no transmission '%s' in this build: no record", r->uuid, style);
		remove_spool(r);
		return -1;
	}
	if (t->open(&ctx, r, &e.end_rt) < 0) {
		XTRACE("run %s: %s transmission failed: %s", r->uuid, t->name, strerror(errno));
		remove_spool(r);
		return -1;
	}
	json_out_init(&j, outbuf, sizeof(outbuf), t->flush, ctx);
	record_build(&j, r, &e);
	rc = json_out_finish(&j);
	if (t->finish(ctx, rc == 0) < 0 || rc < 0) {
		XTRACE("run %s: writing the record failed: %s", r->uuid, strerror(errno));
		remove_spool(r);
		return -1;
	}
	XTRACE("run %s: record sent (%s)", r->uuid, t->name);
	remove_spool(r);
	return 1;
}
