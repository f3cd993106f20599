/*
 * Sampling (docs/config.md, "sample"): short runs are many and alike, long
 * runs few and costly, so a site keeps short runs rarely and long runs always
 * (TACC keeps runs under 30 min at 1 in 10,000; docs/config.md). First matching
 * row [min, max) wins; no matching row keeps the run (probability 1).
 */
#include "run.h"

double sample_probability(const struct xalt_config *cfg, double run_time)
{
	for (int i = 0; i < cfg->nsample; i++)
		if (run_time >= cfg->sample[i].min_s && run_time < cfg->sample[i].max_s)
			return cfg->sample[i].prob;
	return 1.0;
}

int sample_keep(double prob, uint64_t u)
{
	if (prob >= 1.0)
		return 1;
	if (prob <= 0.0)
		return 0;
	/* 53 random bits give a uniform double in [0, 1). */
	return (double)(u >> 11) * (1.0 / 9007199254740992.0) < prob;
}
