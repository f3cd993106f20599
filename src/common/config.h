/*
 * The site config (etc/xalt.conf, format in docs/config.md): parsed at every
 * tracked exec inside the user's program, so libc only and no malloc. The
 * parser works in place on a caller-owned copy of the file text and points
 * into it; `struct xalt_config` is plain data with fixed-size storage.
 *
 * First matching pattern wins in every table. Regexes are POSIX ERE compiled
 * lazily (filter.c, ere.h), and not at all when their text decides (pure
 * literals, ".*"), so the SKIP path usually compiles nothing.
 */
#ifndef XALT_CONFIG_H
#define XALT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_BYTES    (64 * 1024)  /* larger files are an error */
#define CONFIG_MAX_PATTERNS 128          /* per table */
#define CONFIG_MAX_SAMPLES  16
#define CONFIG_PROG_BYTES   (64 * 1024)  /* compiled regexes per config */

enum xalt_action { XALT_SKIP = 0, XALT_KEEP = 1, XALT_PKGS = 2 };
enum pattern_kind { PATTERN_NAME = 0, PATTERN_PATH = 1 };   /* pkg tables */
enum record_args { ARGS_KEEP = 0, ARGS_DROP = 1, ARGS_HASH = 2 };

/*
 * filter.c's reading of a pattern's text, made on its first use: which
 * strings it can decide without compiling, and which literals every match must
 * contain. Offsets and lengths are into `regex` ("raw": as written, escapes
 * included; "len": the bytes they stand for). All zero: not analysed yet.
 */
struct xalt_shortcut {
	unsigned char kind;       /* filter.c's SC_* (0: not analysed yet) */
	uint16_t head_raw, head_len;  /* literal right after a leading '^': a prefix */
	uint16_t tail_off, tail_raw, tail_len;  /* literal right before a final '$': a suffix */
	uint16_t mid_off, mid_raw, mid_len;     /* a literal every match contains */
};

/*
 * Where a config's regexes are compiled to (filter.c): one program after
 * another, in the order they are first needed, never freed (no malloc).
 */
struct xalt_progs {
	size_t used;              /* bytes of buf in use */
	unsigned char *buf;       /* the config's progbuf, CONFIG_PROG_BYTES */
};

struct xalt_pattern {
	enum xalt_action action;  /* what a match means */
	enum pattern_kind kind;   /* pkg tables only: match name or path */
	char program[16];         /* pkg tables only: "python", "R" or "*" */
	const char *regex;        /* points into the config text */
	int line;                 /* line number in the file, for messages */
	int state;                /* 0 not compiled, 1 compiled, -1 bad regex */
	struct xalt_shortcut sc;  /* filter.c's fast paths, filled on first use */
	uint32_t prog;            /* its compiled program: offset in progs->buf (state 1) */
	struct xalt_progs *progs; /* where it is compiled to: its config's, set with the
	                           * pattern; NULL: never compiled (never matches) */
};

struct xalt_table {
	int n;                    /* patterns in use */
	int cap;                  /* room at pat (at most CONFIG_MAX_PATTERNS) */
	struct xalt_pattern *pat; /* this table's slice of the config's pool */
};

struct xalt_sample {
	double min_s, max_s;      /* [min_s, max_s) run time in seconds; max may be INFINITY */
	double prob;              /* 0..1 */
};

struct xalt_config {
	const char *file;             /* the file it came from (renamed from `path`: it clashed with the path table) */
	/* scalar settings (docs/config.md lists defaults) */
	const char *syshost;          /* "nth:N", "name:STRING", or "hostname" */
	const char *transmission;     /* "file" or "syslog" */
	const char *file_prefix;      /* may start with "~/" */
	const char *syslog_socket;    /* unix datagram socket, default /dev/log */
	const char *syslog_tag;       /* default "xalt" */
	int syslog_chunk;             /* payload bytes per syslog message */
	enum record_args record_args; /* keep, drop or hash command-line arguments */
	int hash_users;               /* hash user names in what leaves the node */
	int allow_opt_out;            /* users may set XALT_EXECUTABLE_TRACKING=no */
	int sha1;                     /* hash executables (slow; off by default) */
	const char *hash_key;         /* key of the user/argument hashes ("": syshost rule) */
	/* tables */
	struct xalt_table host, path, env, pkg;
	struct xalt_sample sample[CONFIG_MAX_SAMPLES];
	int nsample;
	struct xalt_progs progs;      /* its compiled regexes, in progbuf */
	/*
	 * The tables' patterns. config_parse gives each table a slice just big
	 * enough for its lines, one after the other, so the ~40 patterns of a
	 * site config sit in 2-3 pages next to the settings instead of one page
	 * per 17 KB table: each page first touched costs a fault of 1-3 µs at
	 * every exec (SKIP'd ones included). config_defaults gives each table
	 * CONFIG_MAX_PATTERNS slots, for tables built by hand. Do not copy a
	 * struct xalt_config: the tables point into its own pool.
	 */
	struct xalt_pattern pool[4 * CONFIG_MAX_PATTERNS];
	/* the compiled regexes (progs): last, so a page here is touched only
	 * by a compilation, never on a SKIP decided by the patterns' text */
	_Alignas(8) unsigned char progbuf[CONFIG_PROG_BYTES];
};

/* Called once per problem found by config_parse: line 0 means the whole file. */
typedef void (*config_error_fn)(void *ctx, const char *path, int line, const char *msg);

/*
 * Parse `text` (NUL-terminated, modified in place; must outlive cfg) into cfg,
 * after filling cfg with defaults. Every error is reported through `err` (may
 * be NULL) and parsing goes on to find the next. Returns the number of errors:
 * 0 means cfg is usable. Regexes are checked (filter_pattern_check, the
 * matcher's own compiler) only when `check_regex` is set (the CLI does; the
 * preload compiles lazily, and a regex that does not compile never matches).
 */
int config_parse(struct xalt_config *cfg, char *text, const char *path,
		 int check_regex, config_error_fn err, void *ctx);

/*
 * Read the file at `path` into buf (size cap, NUL-terminated) with open/read;
 * no stdio, no malloc. Returns the length, or -1 with errno (EFBIG if larger
 * than cap - 1).
 */
long config_read_file(const char *path, char *buf, size_t cap);

/* Fill cfg with the defaults documented in docs/config.md. */
void config_defaults(struct xalt_config *cfg);

/*
 * The config file's own words for enum values: "SKIP", "KEEP", "PKGS";
 * "keep", "drop", "hash". One table each, which the parser reads too; "?"
 * for a value out of range. These functions can't fail.
 */
const char *config_action_word(enum xalt_action a);
const char *config_args_word(enum record_args a);

#endif
