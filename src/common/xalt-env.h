/*
 * Every environment variable XALT reads or sets, in one place.
 *
 * A bad value is ignored (and traced), never fatal: these are read inside
 * every user program on the cluster.
 */
#ifndef XALT_ENV_H
#define XALT_ENV_H

#define XALT_ENV_TRACKING      "XALT_EXECUTABLE_TRACKING" /* "yes": tracking on */
#define XALT_ENV_DIR           "XALT_DIR"                 /* install prefix (set for tracked runs) */
#define XALT_ENV_RUN_UUID      "XALT_RUN_UUID"            /* this run's uuid (set for tracked runs) */
#define XALT_ENV_SPOOL_DIR     "XALT_SPOOL_DIR"           /* this run's spool dir (set for PKGS runs) */
#define XALT_ENV_CONFIG        "XALT_CONFIG"              /* site config file */
#define XALT_ENV_TRANSMISSION  "XALT_TRANSMISSION_STYLE"  /* overrides config "transmission" */
#define XALT_ENV_FILE_PREFIX   "XALT_FILE_PREFIX"         /* overrides config "file_prefix" */
#define XALT_ENV_SAMPLING      "XALT_SAMPLING"            /* "no": record every run */
#define XALT_ENV_TRACING       "XALT_TRACING"             /* "yes": explain decisions on stderr */
#define XALT_ENV_SPOOL_BASE    "XALT_SPOOL_BASE"          /* overrides /dev/shm (tests) */
#define XALT_ENV_REPORT_SOURCE "XALT_REPORT_SOURCE"     /* "raw": reports read raw rows, not summaries (tests) */
#define XALT_ENV_R_PROFILE_CHAIN "XALT_R_PROFILE_CHAIN"   /* the user's own R_PROFILE, chained by our hook */

#define XALT_CONFIG_RELPATH    "etc/xalt.conf"            /* below XALT_DIR */
#define XALT_PRELOAD_RELPATH   "lib/libxalt_init.so"      /* below XALT_DIR */
#define XALT_SITE_RELPATH      "site"                     /* hooks, below XALT_DIR */

#define XALT_UUID_LEN 36                                  /* 8-4-4-4-12, no NUL */

#endif
