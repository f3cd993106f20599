/*
 * The record's package section of a PKGS run: its spool read back at exit
 * (or in the fatal-signal handler) by the one reader, src/common/spool-read.c,
 * which `xalt recover` calls too. KEEP runs, and PKGS runs without a spool,
 * get an empty "packages" array. A spool that cannot be read gives what was
 * read of it (nothing traced: this may run in a signal handler).
 */
#include "record.h"
#include "spool-read.h"

void record_packages(struct json_out *j, struct xalt_run *r)
{
	static struct spool_read s;   /* static: small signal-path stack */

	if (r->track != XALT_PKGS || !r->spool[0]) {
		spool_read_json(j, NULL);
		return;
	}
	(void)spool_read(r->spool, &r->cfg, &s);
	spool_read_json(j, &s);
}
