/*
 * gen-year: a year (or any slice of it) of a large centre's run records,
 * schema xalt-run/1 with the optional fields of issues 10 and 11, for the
 * site-scale benchmarks of issue 13 (bench/site-baseline.sh, docs/database.md
 * "Schema 2 (proposed)").
 *
 * usage: gen-year [--days N] [--first-day D] [--runs-per-day R] [--seed S]
 *                 [--start EPOCH] [--users U] [--py-packages P] [--r-packages Q]
 *                 [--apps A] [--out DIR | --ndjson]
 *
 * --out DIR writes DIR/YYYY-MM-DD/NNN/run.<time>.<uuid>.json (1000 files per
 * NNN directory, what `xalt ingest DIR/YYYY-MM-DD` reads today); without it
 * (or with --ndjson) the records go to stdout, one per line: the stream a
 * loader of concatenated records reads. Counts go to stderr.
 *
 * Deterministic: the world (users, packages, their dependency graph and
 * releases, environments, scripts, applications) depends on the seed only,
 * and each day's runs on (seed, day) only, so `--first-day 30 --days 1` is
 * byte for byte day 30 of a whole year, and a year can be made and loaded a
 * day at a time.
 *
 * The shape (defaults; every rate is a constant below, named):
 *  - 100,000 runs a day (weekdays 1.12x, weekends 0.7x), 4,000 users with a
 *    Zipf-like share of runs (a few heavy hitters), most active all year,
 *    some joining or leaving during it; four clusters of different sizes;
 *  - about 55 % Python runs, 10 % R, 35 % other executables (site
 *    applications with module versions installed during the year, and users'
 *    own builds, rebuilt every few days: a new executable each time);
 *  - users run "scripts": a fixed program, environment and list of direct
 *    imports, created and retired through the year, so runs repeat (the same
 *    package set, library set and versions) the way a centre's do;
 *  - Python interpreters system / venv / conda (NERSC: most Python runs come
 *    from users' own conda envs), Python 3.8-3.13 with newer ones in newer
 *    envs; `used`/`functions_used` only on 3.12+ (issue 11), else null;
 *  - 3,000 Python and 600 R packages, Zipf-like popularity, real names and
 *    real dependencies at the head; a package's dependencies are imported with
 *    it (`direct` false, `imported_by` the package that pulled it in); a few
 *    start-up packages imported by .pth files (`startup` true);
 *  - releases every few weeks to months per package; an environment is
 *    updated every few months, so a new release is adopted gradually;
 *  - Slurm jobs holding several runs, MPI task counts, workflow chains
 *    (`parent_run_uuid`), signals, recovered runs (`exit.how = "recovered"`,
 *    status null), a few `packages_lost`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* === knobs ================================================================= */

#define SHARE_PY 0.55            /* of all runs, roughly (users' mixes decide) */
#define SHARE_R 0.10
#define DIRECT_MAX 8             /* direct imports of a script */
#define DEPS_MAX 12
#define RUN_PKGS_MAX 256
#define USED_DIRECT 0.85         /* P(used) of a direct import (3.12+) */
#define USED_DEP 0.45            /* ... of a package pulled in by another */
#define USED_STARTUP 0.05        /* ... of a start-up (.pth) import */
#define P_CHAIN 0.15             /* a run started by a tracked run of its job */
#define P_SIGNAL 0.015
#define P_RECOVERED 0.005
#define P_LOST 0.0002            /* PKGS runs with packages_lost */
#define P_NOVERSION 0.04         /* packages without a version attribute */
#define WORLD_DAYS 1100          /* releases and scripts are made this far; later days reuse the last */

/* === random numbers ======================================================= */

struct rng { uint64_t s[4]; };

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static uint64_t rnd64(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
	return res;
}

static double u01(struct rng *r) { return (rnd64(r) >> 11) * (1.0 / 9007199254740992.0); }
static int rint_(struct rng *r, int n) { return (int)(u01(r) * n); }
static int chance(struct rng *r, double p) { return u01(r) < p; }
static double rexp(struct rng *r, double mean) { return -mean * log(1.0 - u01(r)); }

static double rnorm(struct rng *r)
{
	double u = 1.0 - u01(r), v = u01(r);
	return sqrt(-2.0 * log(u)) * cos(2 * M_PI * v);
}

static double rlognorm(struct rng *r, double median, double sigma)
{
	return median * exp(sigma * rnorm(r));
}

/* A weighted choice: cumulative weights, picked by binary search. */
struct cdf { int n; double *c; };

static void cdf_build(struct cdf *t, const double *w, int n)
{
	double s = 0;
	t->c = realloc(t->c, (n ? n : 1) * sizeof(double));
	t->n = n;
	for (int i = 0; i < n; i++)
		t->c[i] = s += w[i];
}

static int cdf_pick(const struct cdf *t, struct rng *r)
{
	double x = u01(r) * t->c[t->n - 1];
	int lo = 0, hi = t->n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (t->c[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void *xcalloc(size_t n, size_t s)
{
	void *p = calloc(n ? n : 1, s);
	if (!p) {
		fprintf(stderr, "gen-year: out of memory\n");
		exit(1);
	}
	return p;
}

/* === the world ============================================================= */

enum { PY, RL };                          /* package languages */
enum { K_SYSTEM, K_VENV, K_CONDA };       /* interpreter kinds */
enum { S_PY, S_R, S_APP, S_BUILD };       /* what a script runs */

static const char *const kind_name[] = { "system", "venv", "conda" };

struct release { int day; short major, minor, patch; };

struct package {
	char name[40];
	int lang;
	int ndeps, deps[DEPS_MAX];
	int nso;                 /* extension modules (.so) it loads, 0 if pure */
	double imp_ms;           /* median import time */
	int noversion;           /* no __version__: version null */
	int first_day;           /* its first release */
	int nrel;
	struct release *rel;     /* by day */
};

struct env {
	int kind, lang;
	int syshost;             /* system envs: the cluster's own install */
	int minor;               /* Python 3.<minor>; R 4.<minor> */
	char prefix[112], exe[136], site[160], name[24];
	int created, period, phase;  /* updated every period days (from phase) */
	int nstartup, startup[3];    /* .pth start-up imports */
	int64_t exe_size, exe_inode;
};

struct app {
	char name[24], exe[24];
	int nver, ver_day[6];
	char ver[6][24];   /* "%d.%d" of two ints: 23 bytes at most */
	int mpi;
	int nlib, lib[14];       /* library pool indices */
};

struct script {
	int kind, env, app;
	int ndirect, direct[DIRECT_MAX];
	int created, retired;
	int ver;                 /* app version chosen at creation */
	int ntasks;
	double w;
	int nlib, lib[12];       /* user builds: their libraries */
};

struct user {
	char name[16], group[12], account[24];
	int uid;
	double w;
	double p_day;            /* chance of running at all on a given day */
	int join, leave;
	int home, second;
	double p_second;
	int nscripts;
	struct script *scripts;   /* by creation day */
	int nenvs, envs[4];
};

struct syshost {
	const char *name;
	int nodes;
	double share;            /* of users whose home this is */
	int py_env, r_env;       /* the system installs */
};

static struct syshost clusters[] = {
	{ "frontera", 8008, 0.45, -1, -1 }, { "stampede3", 1858, 0.30, -1, -1 },
	{ "lonestar6", 560, 0.15, -1, -1 }, { "vista", 600, 0.10, -1, -1 },
};
#define NCLUSTERS 4

static struct {
	uint64_t seed;
	int ndays, first_day, users, npy, nr, napps;
	long runs_per_day;
	time_t start;
	struct package *pk;
	int npk;
	struct cdf pop[2];        /* direct-choice popularity, per language */
	int *by_lang[2], nby_lang[2];
	struct env *env;
	int nenv, aenv;
	struct user *us;
	struct app *apps;
	struct cdf app_pop;
	int startup_pkgs[6], nstartup_pkgs;
} W;

/* Real names at the head of the popularity list, with real dependencies
 * (by name; resolved after all names exist). Order = popularity rank. */
static const char *const py_head[][12] = {
	{ "numpy" }, { "scipy", "numpy" },
	{ "pandas", "numpy", "dateutil", "pytz", "tzdata" }, { "dateutil", "six" },
	{ "matplotlib", "numpy", "PIL", "pyparsing", "cycler", "kiwisolver", "packaging",
	  "fontTools", "contourpy", "dateutil" },
	{ "yaml" }, { "requests", "urllib3", "idna", "certifi", "charset_normalizer" },
	{ "h5py", "numpy" }, { "mpi4py" }, { "tqdm" },
	{ "torch", "typing_extensions", "sympy", "networkx", "jinja2", "filelock", "fsspec", "numpy" },
	{ "sklearn", "numpy", "scipy", "joblib", "threadpoolctl" },
	{ "xarray", "numpy", "pandas", "packaging" }, { "netCDF4", "numpy", "cftime", "certifi" },
	{ "seaborn", "numpy", "pandas", "matplotlib" }, { "numba", "numpy", "llvmlite" },
	{ "sympy", "mpmath" }, { "networkx" }, { "jinja2", "markupsafe" }, { "click" },
	{ "dask", "yaml", "cloudpickle", "fsspec", "toolz", "packaging", "partd", "click" },
	{ "tensorflow", "numpy", "google", "absl", "h5py", "keras", "wrapt", "opt_einsum",
	  "gast", "termcolor", "grpc" },
	{ "transformers", "numpy", "tokenizers", "huggingface_hub", "yaml", "regex",
	  "requests", "tqdm", "safetensors", "packaging", "filelock" },
	{ "jax", "numpy", "scipy", "ml_dtypes", "opt_einsum", "jaxlib" },
	{ "astropy", "numpy", "erfa", "yaml", "packaging" },
	{ "statsmodels", "numpy", "scipy", "pandas", "patsy", "packaging" },
	{ "PIL" }, { "six" }, { "packaging" }, { "pytz" }, { "tzdata" }, { "urllib3" },
	{ "idna" }, { "certifi" }, { "charset_normalizer" }, { "pyparsing" }, { "cycler" },
	{ "kiwisolver" }, { "fontTools" }, { "contourpy", "numpy" }, { "typing_extensions" },
	{ "filelock" }, { "fsspec" }, { "joblib" }, { "threadpoolctl" }, { "cftime", "numpy" },
	{ "llvmlite" }, { "mpmath" }, { "markupsafe" }, { "cloudpickle" }, { "toolz" },
	{ "partd", "locket", "toolz" }, { "locket" }, { "google" }, { "absl" },
	{ "keras", "numpy", "absl", "h5py", "ml_dtypes" }, { "wrapt" }, { "opt_einsum" },
	{ "gast" }, { "termcolor" }, { "grpc" }, { "tokenizers", "huggingface_hub" },
	{ "huggingface_hub", "filelock", "fsspec", "requests", "tqdm", "yaml", "packaging" },
	{ "regex" }, { "safetensors" }, { "ml_dtypes", "numpy" }, { "jaxlib", "numpy", "scipy" },
	{ "erfa", "numpy" }, { "patsy", "numpy" }, { "mpl_toolkits" }, { "zope" },
	{ "psutil" }, { "pytest" }, { "setuptools" }, { "Cython" }, { "numexpr", "numpy" },
	{ "tables", "numpy", "numexpr", "packaging" }, { "pyarrow", "numpy" },
	{ "boto3", "botocore", "jmespath", "s3transfer" }, { "botocore", "jmespath", "urllib3" },
	{ "jmespath" }, { "s3transfer", "botocore" }, { "lxml" }, { "bs4", "soupsieve" },
	{ "soupsieve" }, { "cffi", "pycparser" }, { "pycparser" }, { "zmq" },
	{ "ipykernel", "zmq", "tornado", "traitlets", "jupyter_client" }, { "tornado" },
	{ "traitlets" }, { "jupyter_client", "zmq", "tornado", "traitlets", "dateutil" },
	{ "flax", "jax", "numpy", "optax", "yaml" }, { "optax", "jax", "numpy" },
	{ "pydantic", "typing_extensions" }, { "rich", "pygments" }, { "pygments" },
	{ "ase", "numpy", "scipy", "matplotlib" }, { "pymatgen", "numpy", "scipy", "pandas", "sympy" },
	{ "MDAnalysis", "numpy", "scipy", "tqdm" }, { "Bio", "numpy" }, { "skimage", "numpy", "scipy", "networkx", "PIL" },
	{ "cv2", "numpy" }, { "plotly", "packaging" }, { "numcodecs", "numpy" },
	{ "zarr", "numpy", "numcodecs", "fsspec" }, { "pyvista", "numpy", "matplotlib" },
	{ "vtk" }, { "pyscf", "numpy", "scipy", "h5py" }, { "qiskit", "numpy", "scipy", "sympy" },
	{ "lightgbm", "numpy", "scipy" }, { "xgboost", "numpy", "scipy" },
	{ "shapely", "numpy" }, { "pyproj", "certifi" }, { "geopandas", "pandas", "shapely", "pyproj" },
	{ "cartopy", "numpy", "shapely", "pyproj", "matplotlib" }, { "wandb", "click", "requests", "yaml", "psutil" },
	{ "mlflow", "click", "requests", "yaml", "pandas" }, { "snakemake", "yaml", "requests" },
	{ "parsl", "dill", "requests" }, { "dill" }, { "ray", "click", "yaml", "requests", "filelock" },
	{ "cupy", "numpy", "fastrlock" }, { "fastrlock" },
};
static const char *const r_head[][14] = {
	{ "ggplot2", "cli", "glue", "gtable", "isoband", "lifecycle", "MASS", "mgcv", "rlang",
	  "scales", "tibble", "vctrs", "withr" },
	{ "dplyr", "cli", "generics", "glue", "lifecycle", "magrittr", "pillar", "R6", "rlang",
	  "tibble", "tidyselect", "vctrs" },
	{ "data.table" }, { "Rcpp" },
	{ "tidyr", "cli", "dplyr", "glue", "lifecycle", "magrittr", "purrr", "rlang", "stringr",
	  "tibble", "tidyselect", "vctrs", "cpp11" },
	{ "readr", "cli", "clipr", "crayon", "hms", "lifecycle", "R6", "rlang", "tibble", "vroom" },
	{ "stringr", "cli", "glue", "lifecycle", "magrittr", "rlang", "stringi", "vctrs" },
	{ "jsonlite" }, { "Matrix", "lattice" }, { "lme4", "Matrix", "MASS", "lattice", "minqa", "nloptr", "Rcpp" },
	{ "survival", "Matrix" }, { "caret", "ggplot2", "lattice", "foreach", "plyr" },
	{ "randomForest" }, { "xgboost", "Matrix", "data.table", "jsonlite" }, { "foreach", "codetools", "iterators" },
	{ "doParallel", "foreach", "iterators" }, { "purrr", "cli", "lifecycle", "magrittr", "rlang", "vctrs" },
	{ "tibble", "fansi", "lifecycle", "magrittr", "pillar", "pkgconfig", "rlang", "vctrs" },
	{ "lubridate", "generics", "timechange" }, { "shiny", "httpuv", "mime", "jsonlite", "R6", "htmltools" },
	{ "knitr", "evaluate", "highr", "xfun", "yaml" }, { "rmarkdown", "knitr", "htmltools", "jsonlite", "xfun", "yaml" },
	{ "cli" }, { "glue" }, { "gtable" }, { "isoband" }, { "lifecycle", "cli", "glue", "rlang" },
	{ "MASS" }, { "mgcv", "Matrix" }, { "rlang" }, { "scales", "farver", "labeling", "lifecycle", "munsell", "R6", "RColorBrewer", "rlang", "viridisLite" },
	{ "vctrs", "cli", "glue", "lifecycle", "rlang" }, { "withr" }, { "generics" }, { "magrittr" },
	{ "pillar", "cli", "fansi", "glue", "lifecycle", "rlang", "utf8", "vctrs" }, { "R6" },
	{ "tidyselect", "cli", "glue", "lifecycle", "rlang", "vctrs", "withr" }, { "cpp11" },
	{ "clipr" }, { "crayon" }, { "hms", "lifecycle", "pkgconfig", "rlang", "vctrs" }, { "vroom" },
	{ "stringi" }, { "lattice" }, { "minqa", "Rcpp" }, { "nloptr" }, { "plyr", "Rcpp" },
	{ "codetools" }, { "iterators" }, { "fansi" }, { "pkgconfig" }, { "timechange", "cpp11" },
	{ "httpuv", "Rcpp", "R6", "promises", "later" }, { "mime" }, { "htmltools", "digest", "base64enc", "rlang" },
	{ "evaluate" }, { "highr", "xfun" }, { "xfun" }, { "yaml" }, { "farver" }, { "labeling" },
	{ "munsell", "colorspace" }, { "RColorBrewer" }, { "viridisLite" }, { "utf8" }, { "promises", "R6", "Rcpp", "later", "rlang", "magrittr" },
	{ "later", "Rcpp", "rlang" }, { "digest" }, { "base64enc" }, { "colorspace" },
	{ "sf", "classInt", "DBI", "magrittr", "Rcpp", "s2", "units" }, { "classInt" }, { "DBI" }, { "s2", "Rcpp", "wk" }, { "wk" }, { "units", "Rcpp" },
	{ "terra", "Rcpp" }, { "raster", "sp", "Rcpp", "terra" }, { "sp", "lattice" }, { "igraph", "magrittr", "Matrix", "rlang" },
	{ "Seurat", "ggplot2", "Matrix", "Rcpp", "dplyr", "igraph" }, { "BiocGenerics" }, { "S4Vectors", "BiocGenerics" },
	{ "DESeq2", "S4Vectors", "BiocGenerics", "Rcpp", "ggplot2" }, { "edgeR", "limma", "Rcpp" }, { "limma" },
	{ "brms", "Rcpp", "rstan", "ggplot2" }, { "rstan", "Rcpp", "ggplot2", "inline" }, { "inline" },
};

static int pkg_find(int lang, const char *name)
{
	for (int i = 0; i < W.nby_lang[lang]; i++)
		if (!strcmp(W.pk[W.by_lang[lang][i]].name, name))
			return W.by_lang[lang][i];
	return -1;
}

/* Releases of p from its first one to past the end of the generated span. */
static void make_releases(struct package *p, struct rng *r, int rank)
{
	/* popular packages release more often: every 20-60 days at the head,
	 * 40-400 in the tail */
	double mean = rank < 50 ? 20 + 40 * u01(r) : 40 + 360 * u01(r) * u01(r) + 20 * u01(r);
	int day = p->first_day, cap = 8;
	short major = (short)rint_(r, 4), minor = (short)rint_(r, 20), patch = 0;

	p->rel = xcalloc(cap, sizeof(*p->rel));
	p->nrel = 0;
	while (day <= WORLD_DAYS) {
		if (p->nrel == cap)
			p->rel = realloc(p->rel, (cap *= 2) * sizeof(*p->rel));
		p->rel[p->nrel++] = (struct release){ day, major, minor, patch };
		day += 1 + (int)rexp(r, mean);
		double x = u01(r);
		if (x < 0.04) {
			major++; minor = 0; patch = 0;
		} else if (x < 0.35) {
			minor++; patch = 0;
		} else {
			patch++;
		}
	}
}

static void build_packages(struct rng *r)
{
	int nhead[2] = { (int)(sizeof(py_head) / sizeof(py_head[0])), (int)(sizeof(r_head) / sizeof(r_head[0])) };
	int want[2] = { W.npy, W.nr };
	double *w;

	for (int l = 0; l < 2; l++)
		if (want[l] < nhead[l])
			want[l] = nhead[l];
	W.npk = want[0] + want[1];
	W.pk = xcalloc(W.npk, sizeof(*W.pk));
	w = xcalloc(W.npk, sizeof(*w));
	for (int l = 0, k = 0; l < 2; l++) {
		W.by_lang[l] = xcalloc(want[l], sizeof(int));
		W.nby_lang[l] = want[l];
		for (int i = 0; i < want[l]; i++, k++) {
			struct package *p = &W.pk[k];
			W.by_lang[l][i] = k;
			p->lang = l;
			if (i < nhead[l])
				snprintf(p->name, sizeof(p->name), "%s", l == PY ? py_head[i][0] : r_head[i][0]);
			else if (l == PY)
				snprintf(p->name, sizeof(p->name), "pylib%04d", i);
			else
				snprintf(p->name, sizeof(p->name), "rlib%04d", i);
		}
	}
	for (int l = 0; l < 2; l++) {
		for (int i = 0; i < want[l]; i++) {
			struct package *p = &W.pk[W.by_lang[l][i]];
			/* the tail: 8 % of it first released during the generated
			 * span, so its adoption grows over the year */
			p->first_day = -3000 + rint_(r, 2900);
			if (i >= nhead[l] && chance(r, 0.08))
				p->first_day = rint_(r, 365);
			p->nso = chance(r, l == PY ? 0.35 : 0.45) ? 1 + rint_(r, 3) : 0;
			p->imp_ms = exp(log(0.5) + u01(r) * (log(400.0) - log(0.5)));
			if (!strcmp(p->name, "torch") || !strcmp(p->name, "tensorflow"))
				p->imp_ms = 1800;
			p->noversion = chance(r, P_NOVERSION);
			make_releases(p, r, i);
		}
	}
	/* dependencies: the head's real ones; the tail's drawn with a skew
	 * towards popular packages (they are everyone's dependencies) */
	for (int l = 0; l < 2; l++) {
		int n = want[l];
		double *dw = xcalloc(n, sizeof(*dw));
		struct cdf dc = { 0 };
		for (int i = 0; i < n; i++)
			dw[i] = 1.0 / pow(i + 1, 1.2);
		cdf_build(&dc, dw, n);
		for (int i = 0; i < n; i++) {
			struct package *p = &W.pk[W.by_lang[l][i]];
			if (i < nhead[l]) {
				const char *const *d = l == PY ? py_head[i] : r_head[i];
				int max = l == PY ? 12 : 14;
				for (int j = 1; j < max && d[j] && p->ndeps < DEPS_MAX; j++) {
					int q = pkg_find(l, d[j]);
					if (q < 0) {
						fprintf(stderr, "gen-year: internal: unknown dependency %s\n", d[j]);
						exit(1);
					}
					p->deps[p->ndeps++] = q;
				}
				continue;
			}
			int nd = (int)rexp(r, 2.6);
			for (int j = 0; j < nd && p->ndeps < 8; j++) {
				int q = W.by_lang[l][cdf_pick(&dc, r)];
				if (q != W.by_lang[l][i])
					p->deps[p->ndeps++] = q;
			}
		}
		free(dw);
		free(dc.c);
	}
	/* direct-choice popularity: Zipf-like over the rank */
	for (int l = 0; l < 2; l++) {
		int n = want[l];
		for (int i = 0; i < n; i++)
			w[i] = 1.0 / pow(i + 1, 1.05);
		cdf_build(&W.pop[l], w, n);
	}
	free(w);
	static const char *const su[] = { "mpl_toolkits", "google", "zope" };
	for (int i = 0; i < 3; i++)
		W.startup_pkgs[W.nstartup_pkgs++] = pkg_find(PY, su[i]);
}

/* The release of p in use in an environment last updated on day d. */
static const struct release *pkg_release(const struct package *p, int d)
{
	int lo = 0, hi = p->nrel - 1;

	if (d < p->first_day)
		d = p->first_day;   /* installed when first needed */
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (p->rel[mid].day <= d)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &p->rel[lo];
}

static int env_add(void)
{
	if (W.nenv == W.aenv) {
		W.aenv = W.aenv ? 2 * W.aenv : 1024;
		W.env = realloc(W.env, W.aenv * sizeof(*W.env));
	}
	memset(&W.env[W.nenv], 0, sizeof(W.env[0]));
	return W.nenv++;
}

/* Python 3.<minor> of an environment created on day c: newer envs, newer Pythons. */
static int py_minor(struct rng *r, int c)
{
	double shift = c / 365.0;  /* 0 at the start, 1 a year later */
	if (shift < 0)
		shift = 0;
	double w[6] = { 0.04, 0.08, 0.20, 0.28, 0.26 + 0.05 * shift, 0.14 + 0.20 * shift };
	struct cdf t = { 0 };
	cdf_build(&t, w, 6);
	int m = 8 + cdf_pick(&t, r);
	free(t.c);
	return m;
}

static void build_system_envs(struct rng *r)
{
	for (int c = 0; c < NCLUSTERS; c++) {
		int e = env_add();
		struct env *v = &W.env[e];
		v->kind = K_SYSTEM;
		v->lang = PY;
		v->syshost = c;
		v->minor = 9 + c % 3;
		snprintf(v->prefix, sizeof(v->prefix), "/opt/apps/python/3.%d.%d", v->minor, 2 + c);
		snprintf(v->exe, sizeof(v->exe), "%s/bin/python3.%d", v->prefix, v->minor);
		snprintf(v->site, sizeof(v->site), "%s/lib/python3.%d/site-packages", v->prefix, v->minor);
		v->created = -400;
		v->period = 120;        /* the site's maintenance windows */
		v->phase = 30 * c;
		v->nstartup = 1;        /* a site install with matplotlib: its nspkg .pth */
		v->startup[0] = W.startup_pkgs[0];
		v->exe_size = 6831704 + c;
		v->exe_inode = 880000 + c;
		clusters[c].py_env = e;

		e = env_add();
		v = &W.env[e];
		v->kind = K_SYSTEM;
		v->lang = RL;
		v->syshost = c;
		v->minor = 2 + c % 3;
		snprintf(v->prefix, sizeof(v->prefix), "/opt/apps/R/4.%d.1/lib/R", v->minor);
		snprintf(v->exe, sizeof(v->exe), "%s/bin/exec/R", v->prefix);
		snprintf(v->site, sizeof(v->site), "/opt/apps/R/4.%d.1/site-library", v->minor);
		v->created = -400;
		v->period = 180;
		v->phase = 45 * c;
		v->exe_size = 40000 + c;
		v->exe_inode = 990000 + c;
		clusters[c].r_env = e;
	}
	(void)r;
}

static int user_env(struct user *u, struct rng *r, int lang, int created)
{
	int e = env_add();
	struct env *v = &W.env[e];
	double x = u01(r);

	v->lang = lang;
	v->created = created;
	v->phase = created;
	if (lang == RL) {
		v->kind = K_SYSTEM;   /* R: the site install with the user's own library */
		v->minor = 3;
		snprintf(v->prefix, sizeof(v->prefix), "/opt/apps/R/4.3.1/lib/R");
		snprintf(v->exe, sizeof(v->exe), "%s/bin/exec/R", v->prefix);
		snprintf(v->site, sizeof(v->site), "/home1/%s/%s/R/x86_64-pc-linux-gnu-library/4.3",
			 u->group, u->name);
		v->period = 60 + rint_(r, 300);
		v->exe_size = 40000;
		v->exe_inode = 990100;
		return e;
	}
	/* NERSC: most Python runs come from users' own conda envs */
	v->kind = x < 0.62 ? K_CONDA : K_VENV;
	v->minor = py_minor(r, created);
	snprintf(v->name, sizeof(v->name), "%s%d", v->kind == K_CONDA ? "env" : "venv", u->nenvs);
	if (v->kind == K_CONDA)
		snprintf(v->prefix, sizeof(v->prefix), "/work/%s/%s/miniconda3/envs/%s",
			 u->group, u->name, v->name);
	else
		snprintf(v->prefix, sizeof(v->prefix), "/work/%s/%s/%s", u->group, u->name, v->name);
	snprintf(v->exe, sizeof(v->exe), "%s/bin/python3.%d", v->prefix, v->minor);
	snprintf(v->site, sizeof(v->site), "%s/lib/python3.%d/site-packages", v->prefix, v->minor);
	v->period = 30 + rint_(r, 200);
	v->nstartup = 0;
	if (chance(r, 0.30))
		v->startup[v->nstartup++] = W.startup_pkgs[1 + rint_(r, 2)];
	if (chance(r, 0.15))
		v->startup[v->nstartup++] = W.startup_pkgs[0];
	v->exe_size = 5000000 + rint_(r, 2000000);
	v->exe_inode = 1000000 + (int64_t)e * 7;
	return e;
}

/* The day environment e was last updated, at or before day d. */
static int env_updated(const struct env *v, int d)
{
	if (d < v->phase)
		return v->created;
	return v->phase + (d - v->phase) / v->period * v->period;
}

/* --- libraries: one pool of paths, sets of indices ------------------------- */

static char **libpool;
static int nlibpool, alibpool;

static int lib_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int lib_add(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (nlibpool == alibpool) {
		alibpool = alibpool ? 2 * alibpool : 256;
		libpool = realloc(libpool, alibpool * sizeof(*libpool));
	}
	libpool[nlibpool] = strdup(buf);
	return nlibpool++;
}

static int base_libs[10], nbase;
static int mpi_libs[6], nmpi;
static int math_libs[24], nmath;

static void build_libs(void)
{
	static const char *const base[] = { "libc.so.6", "libm.so.6", "libpthread.so.0",
		"libdl.so.2", "librt.so.1", "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1" };
	static const char *const mpi[] = { "libmpi.so.12", "libmpifort.so.12", "libfabric.so.1",
		"libucp.so.0", "libucs.so.0", "libnuma.so.1" };
	static const char *const math[] = { "libmkl_intel_lp64.so.2", "libmkl_core.so.2",
		"libmkl_intel_thread.so.2", "libiomp5.so", "libgfortran.so.5", "libquadmath.so.0",
		"libgomp.so.1", "libhdf5.so.310", "libhdf5_hl.so.310", "libnetcdf.so.19",
		"libfftw3.so.3", "libfftw3f.so.3", "libopenblas.so.0", "liblapack.so.3",
		"libpng16.so.16", "libjpeg.so.62", "libxml2.so.2", "libcurl.so.4", "libssl.so.3",
		"libcrypto.so.3", "libcudart.so.12", "libcublas.so.12", "libnccl.so.2", "libpetsc.so.3.20" };

	for (size_t i = 0; i < sizeof(base) / sizeof(*base); i++)
		base_libs[nbase++] = lib_add("/lib64/%s", base[i]);
	for (size_t i = 0; i < sizeof(mpi) / sizeof(*mpi); i++)
		mpi_libs[nmpi++] = lib_add("/opt/intel/oneapi/mpi/2021.9.0/lib/%s", mpi[i]);
	for (size_t i = 0; i < sizeof(math) / sizeof(*math); i++)
		math_libs[nmath++] = lib_add("/opt/apps/%s/lib/%s", i < 4 ? "intel/oneapi/mkl" :
					     i < 7 ? "gcc/13.2.0" : "libs", math[i]);
}

/* --- applications ------------------------------------------------------------ */

static void build_apps(struct rng *r)
{
	static const char *const names[] = { "gromacs", "lammps", "namd", "vasp", "quantum-espresso",
		"openfoam", "wrf", "cp2k", "amber", "nwchem", "abinit", "siesta", "gaussian",
		"orca", "cesm", "mfix", "su2", "deal.ii", "petsc-app", "julia" };
	static const char *const exes[] = { "gmx_mpi", "lmp", "namd2", "vasp_std", "pw.x",
		"simpleFoam", "wrf.exe", "cp2k.psmp", "pmemd.MPI", "nwchem", "abinit", "siesta",
		"g16", "orca", "cesm.exe", "mfixsolver", "SU2_CFD", "step-40", "ex19", "julia" };
	double *w = xcalloc(W.napps, sizeof(*w));

	W.apps = xcalloc(W.napps, sizeof(*W.apps));
	for (int i = 0; i < W.napps; i++) {
		struct app *a = &W.apps[i];
		if (i < 20) {
			snprintf(a->name, sizeof(a->name), "%s", names[i]);
			snprintf(a->exe, sizeof(a->exe), "%s", exes[i]);
		} else {
			snprintf(a->name, sizeof(a->name), "app%03d", i);
			snprintf(a->exe, sizeof(a->exe), "app%03d.x", i);
		}
		a->mpi = chance(r, 0.8);
		/* module versions: 1-2 before the span, more installed during it */
		a->nver = 1 + rint_(r, 2);
		for (int v = 0; v < a->nver; v++)
			a->ver_day[v] = -700 + 300 * v + rint_(r, 200);
		while (a->nver < 6 && chance(r, 0.5))
			a->ver_day[a->nver] = a->ver_day[a->nver - 1] + 60 + rint_(r, 200), a->nver++;
		for (int v = 0; v < a->nver; v++)
			snprintf(a->ver[v], sizeof(a->ver[v]), "%d.%d", 2020 + (a->ver_day[v] + 1200) / 365,
				 1 + v);
		a->nlib = 0;
		for (int k = 0; k < nbase; k++)
			a->lib[a->nlib++] = base_libs[k];
		int extra = 1 + rint_(r, 5);
		for (int k = 0; k < extra && a->nlib < 14; k++)
			a->lib[a->nlib++] = math_libs[rint_(r, nmath)];
		w[i] = 1.0 / pow(i + 1, 1.1);
	}
	cdf_build(&W.app_pop, w, W.napps);
	free(w);
}

/* --- users and their scripts ------------------------------------------------- */

/* Direct imports for a new script of language l created on day c. */
static void pick_direct(struct script *s, struct rng *r, int l, int c)
{
	int n = 1 + (int)rexp(r, 3.0);
	if (n > DIRECT_MAX)
		n = DIRECT_MAX;
	s->ndirect = 0;
	for (int tries = 0; s->ndirect < n && tries < 40; tries++) {
		int p = W.by_lang[l][cdf_pick(&W.pop[l], r)], dup = 0;
		if (W.pk[p].first_day > c)
			continue;   /* not released yet */
		for (int j = 0; j < s->ndirect; j++)
			dup |= s->direct[j] == p;
		if (!dup)
			s->direct[s->ndirect++] = p;
	}
	/* imports at the top of a script: popular (low index) first, mostly */
	for (int i = 1; i < s->ndirect; i++)
		for (int j = i; j > 0 && s->direct[j] < s->direct[j - 1] && !chance(r, 0.2); j--) {
			int t = s->direct[j];
			s->direct[j] = s->direct[j - 1];
			s->direct[j - 1] = t;
		}
}

static void make_script(struct user *u, struct script *s, struct rng *r, double mix[3], int c)
{
	double x = u01(r) * (mix[0] + mix[1] + mix[2]);

	memset(s, 0, sizeof(*s));
	s->created = c;
	s->retired = c + 20 + (int)rexp(r, 150);
	s->w = 1.0 / pow(1 + rint_(r, 8), 1.3);
	s->ntasks = 1;
	if (x < mix[0]) {
		s->kind = S_PY;
		/* a user's envs; the cluster's system Python a fifth of the time */
		if (u->nenvs == 0 || (u->nenvs < 4 && chance(r, 0.15)))
			u->envs[u->nenvs++] = user_env(u, r, PY, c - rint_(r, 200));
		int k = rint_(r, u->nenvs);
		s->env = chance(r, 0.2) ? -1 : u->envs[k];
		if (s->env >= 0 && W.env[s->env].lang != PY)
			s->env = -1;
		pick_direct(s, r, PY, c);
		if (chance(r, 0.05))
			s->ntasks = 2 << rint_(r, 6);   /* mpi4py */
	} else if (x < mix[0] + mix[1]) {
		s->kind = S_R;
		int e = -1;
		for (int k = 0; k < u->nenvs; k++)
			if (W.env[u->envs[k]].lang == RL)
				e = u->envs[k];
		if (e < 0 && u->nenvs < 4)
			e = u->envs[u->nenvs++] = user_env(u, r, RL, c - rint_(r, 200));
		s->env = e;
		pick_direct(s, r, RL, c);
	} else if (chance(r, 0.7)) {
		s->kind = S_APP;
		s->app = cdf_pick(&W.app_pop, r);
		const struct app *a = &W.apps[s->app];
		s->ver = 0;
		for (int v = 0; v < a->nver; v++)
			if (a->ver_day[v] <= c)
				s->ver = v;
		s->ntasks = a->mpi ? 1 << rint_(r, 12) : 1;
	} else {
		s->kind = S_BUILD;
		s->ntasks = chance(r, 0.6) ? 1 << rint_(r, 10) : 1;
		s->nlib = 0;
		for (int k = 0; k < nbase; k++)
			s->lib[s->nlib++] = base_libs[k];
		for (int k = rint_(r, 3); k > 0 && s->nlib < 12; k--)
			s->lib[s->nlib++] = math_libs[rint_(r, nmath)];
	}
}

static void build_users(struct rng *r)
{
	double *w = xcalloc(W.users, sizeof(*w));

	W.us = xcalloc(W.users, sizeof(*W.us));
	for (int i = 0; i < W.users; i++) {
		struct user *u = &W.us[i];
		double mix[3], x = u01(r);
		/* i * 7919 mod 90000 is one-to-one: unique, unordered names */
		snprintf(u->name, sizeof(u->name), "u%05ld", 10000 + (long)i * 7919 % 90000);
		snprintf(u->group, sizeof(u->group), "%05d", 1000 + i / 50);
		snprintf(u->account, sizeof(u->account), "TG-%s%04d", i % 3 ? "CHE" : "AST", 100 + i / 30);
		u->uid = 800000 + i;
		u->w = 1.0 / pow(i + 1, 1.0);
		/* heavy hitters run every day, the tail now and then */
		u->p_day = i < 100 ? 0.95 : 0.15 + 0.6 * u01(r) * u01(r);
		u->join = -400;
		u->leave = 100000;
		if (chance(r, 0.35)) {   /* comes and goes during the year */
			int a = rint_(r, 365), b = a + 30 + rint_(r, 300);
			if (chance(r, 0.5))
				u->join = a;
			else
				u->leave = b;
		}
		double cw[NCLUSTERS];
		for (int c = 0; c < NCLUSTERS; c++)
			cw[c] = clusters[c].share;
		struct cdf cc = { 0 };
		cdf_build(&cc, cw, NCLUSTERS);
		u->home = cdf_pick(&cc, r);
		u->second = cdf_pick(&cc, r);
		u->p_second = u->second == u->home ? 0 : chance(r, 0.3) ? 0.25 : 0;
		free(cc.c);
		/* kind of user: Python, R, applications, or a mix */
		if (x < 0.45)
			mix[0] = 0.85, mix[1] = 0.02, mix[2] = 0.13;
		else if (x < 0.53)
			mix[0] = 0.25, mix[1] = 0.65, mix[2] = 0.10;
		else if (x < 0.85)
			mix[0] = 0.12, mix[1] = 0.0, mix[2] = 0.88;
		else
			mix[0] = 0.45, mix[1] = 0.10, mix[2] = 0.45;
		/* scripts: a few before the span, then new ones through it */
		int n0 = 2 + rint_(r, 5), cap = n0 + 40;
		u->scripts = xcalloc(cap, sizeof(*u->scripts));
		for (int k = 0; k < n0; k++)
			make_script(u, &u->scripts[u->nscripts++], r, mix, -rint_(r, 200));
		for (int d = -200; u->nscripts < cap; ) {
			d += 1 + (int)rexp(r, 25);
			if (d >= WORLD_DAYS)
				break;
			make_script(u, &u->scripts[u->nscripts++], r, mix, d);
		}
		w[i] = u->w;
	}
	free(w);
}

/* === one day =============================================================== */

struct out {
	char *buf;
	size_t len, cap;
};

static void o_grow(struct out *o, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		while (o->len + n + 1 > o->cap)
			o->cap = o->cap ? 2 * o->cap : 65536;
		o->buf = realloc(o->buf, o->cap);
	}
}

static void o_str(struct out *o, const char *s)
{
	size_t n = strlen(s);
	o_grow(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void o_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void o_fmt(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	o_grow(o, 256);
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if ((size_t)n >= o->cap - o->len) {
		o_grow(o, n);
		va_start(ap, fmt);
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
	}
	o->len += n;
}

/* A JSON string: every text we write is plain ASCII without " or \. */
static void o_q(struct out *o, const char *s)
{
	o_grow(o, strlen(s) + 2);
	o->buf[o->len++] = '"';
	o_str(o, s);
	o->buf[o->len++] = '"';
}

static void uuid4(struct rng *r, char out[37])
{
	uint64_t a = rnd64(r), b = rnd64(r);
	a = (a & ~0xf000ULL) | 0x4000ULL;                      /* version 4 */
	b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
	snprintf(out, 37, "%08x-%04x-%04x-%04x-%012" PRIx64, (unsigned)(a >> 32),
		 (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xffff), (unsigned)(b >> 48),
		 (uint64_t)(b & 0xffffffffffffULL));
}

struct run_pkg {
	int p, direct, startup, by;   /* by: package that pulled it in, or -1 */
};

/* Depth-first: p's dependencies after p, each package once. */
static void add_closure(struct run_pkg *v, int *n, char *seen, int p, int by, int direct)
{
	if (seen[p] || *n >= RUN_PKGS_MAX)
		return;
	seen[p] = 1;
	v[(*n)++] = (struct run_pkg){ p, direct, 0, by };
	for (int i = 0; i < W.pk[p].ndeps; i++)
		add_closure(v, n, seen, W.pk[p].deps[i], p, 0);
}

struct counts {
	long runs, pkgs, py, r, other, used_known, chained, recovered;
};

struct job {
	long id;
	int cluster, node, left;
	char first_uuid[37];
	int first_is_driver;
};

static long job_seq[NCLUSTERS];

static void emit_packages(struct out *o, struct rng *r, const struct user *u, const struct script *s,
			  const struct env *v, int day, struct counts *cnt)
{
	static char *seen;
	struct run_pkg pk[RUN_PKGS_MAX];
	int n = 0, upd = env_updated(v, day), knows_used = v->lang == PY && v->minor >= 12;

	if (!seen)
		seen = xcalloc(W.npk, 1);
	for (int i = 0; i < v->nstartup; i++)
		if (!seen[v->startup[i]]) {
			seen[v->startup[i]] = 1;
			pk[n++] = (struct run_pkg){ v->startup[i], 0, 1, -1 };
		}
	for (int i = 0; i < s->ndirect; i++)
		add_closure(pk, &n, seen, s->direct[i], -1, 1);
	if (chance(r, 0.1)) {        /* an extra import this time */
		int l = v->lang, p = W.by_lang[l][cdf_pick(&W.pop[l], r)];
		if (W.pk[p].first_day <= day)
			add_closure(pk, &n, seen, p, -1, 1);
	}
	o_str(o, ",\"packages\":[");
	for (int i = 0; i < n; i++) {
		const struct package *p = &W.pk[pk[i].p];
		const struct release *rel = pkg_release(p, upd);
		double it = rlognorm(r, p->imp_ms, 0.5) / 1000.0;
		seen[pk[i].p] = 0;
		o_fmt(o, "%s{\"program\":\"%s\",\"name\":\"%s\",", i ? "," : "",
		      v->lang == PY ? "python" : "R", p->name);
		if (p->noversion)
			o_str(o, "\"version\":null,");
		else
			o_fmt(o, "\"version\":\"%d.%d.%d\",", rel->major, rel->minor, rel->patch);
		o_fmt(o, "\"path\":\"%s/%s\",\"import_time\":%.6f,\"direct\":%s,\"imported_by\":",
		      v->site, p->name, it, pk[i].direct ? "true" : "false");
		if (pk[i].by >= 0)
			o_q(o, W.pk[pk[i].by].name);
		else
			o_str(o, "null");
		o_fmt(o, ",\"startup\":%s,\"used\":", pk[i].startup ? "true" : "false");
		if (knows_used) {
			double pu = pk[i].startup ? USED_STARTUP : pk[i].direct ? USED_DIRECT : USED_DEP;
			int used = chance(r, pu);
			int fn = used ? 1 + (int)rlognorm(r, pk[i].direct ? 12 : 4, 1.0) : 0;
			o_fmt(o, "%s,\"functions_used\":%d}", used ? "true" : "false", fn);
		} else {
			o_str(o, "null,\"functions_used\":null}");
		}
	}
	o_str(o, "]");
	cnt->pkgs += n;
	if (knows_used)
		cnt->used_known += n;
	/* the libraries: the interpreter's, then each extension module loaded */
	o_str(o, ",\"libraries\":[");
	for (int k = 0; k < nbase; k++)
		o_fmt(o, "%s{\"path\":\"%s\"}", k ? "," : "", libpool[base_libs[k]]);
	if (v->lang == PY)
		o_fmt(o, ",{\"path\":\"%s/lib/libpython3.%d.so.1.0\"}", v->prefix, v->minor);
	else
		o_fmt(o, ",{\"path\":\"%s/lib/libR.so\"}", v->prefix);
	for (int i = 0; i < n; i++) {
		const struct package *p = &W.pk[pk[i].p];
		for (int k = 0; k < p->nso; k++)
			if (v->lang == PY)
				o_fmt(o, ",{\"path\":\"%s/%s/_ext%d.cpython-3%d-x86_64-linux-gnu.so\"}",
				      v->site, p->name, k, v->minor);
			else
				o_fmt(o, ",{\"path\":\"%s/%s/libs/%s%s.so\"}", v->site, p->name,
				      p->name, k ? "_aux" : "");
	}
	o_str(o, "]");
	(void)u;
}

/* The records of day d, written through put(). */
static void gen_day(int d, struct counts *cnt, void (*put)(const char *rec, size_t len,
							    double start, const char *uuid, int d))
{
	struct rng r;
	struct out o = { 0 };
	static struct cdf upick;
	static double *uw;
	static int *uidx;
	static struct job *jobs;
	int nact = 0;
	time_t t0 = W.start + (time_t)d * 86400;
	int wday = (int)((t0 / 86400 + 4) % 7);   /* 1970-01-01 was a Thursday */
	long nruns = (long)(W.runs_per_day * (wday == 0 || wday == 6 ? 0.7 : 1.12) + 0.5);

	rng_seed(&r, W.seed, (uint64_t)d + 1000003);
	if (!uw) {
		uw = xcalloc(W.users, sizeof(*uw));
		uidx = xcalloc(W.users, sizeof(*uidx));
		jobs = xcalloc(W.users, sizeof(*jobs));
	}
	for (int i = 0; i < W.users; i++) {
		const struct user *u = &W.us[i];
		jobs[i].left = 0;
		if (u->join <= d && d < u->leave && chance(&r, u->p_day)) {
			/* some days a user does not run at all; heavy hitters mostly do */
			uw[nact] = u->w * (0.5 + u01(&r));
			uidx[nact++] = i;
		}
	}
	cdf_build(&upick, uw, nact);
	for (int c = 0; c < NCLUSTERS; c++)
		job_seq[c] = 1000000L * (c + 1) * 10 + (long)d * 30000;

	for (long k = 0; k < nruns; k++) {
		int ui = uidx[cdf_pick(&upick, &r)];
		const struct user *u = &W.us[ui];
		struct job *j = &jobs[ui];
		const struct script *s = NULL;
		char uuid[37];
		double sw = 0, x;
		int chained = 0;

		/* a script active today, weighted; newest scripts count a bit more */
		for (int pass = 0; pass < 2 && !s; pass++) {
			sw = 0;
			for (int i = 0; i < u->nscripts; i++)
				if (u->scripts[i].created <= d && d < u->scripts[i].retired)
					sw += u->scripts[i].w;
			if (sw <= 0)
				break;
			x = u01(&r) * sw;
			for (int i = 0; i < u->nscripts && !s; i++)
				if (u->scripts[i].created <= d && d < u->scripts[i].retired &&
				    (x -= u->scripts[i].w) <= 0)
					s = &u->scripts[i];
		}
		if (!s) {   /* nothing active: the user's latest script before today */
			for (int i = 0; i < u->nscripts; i++)
				if (u->scripts[i].created <= d)
					s = &u->scripts[i];
			if (!s)
				s = &u->scripts[0];
		}

		/* the job: carry on the user's open one or submit a new one */
		if (j->left > 0 && chance(&r, 0.85)) {
			j->left--;
			chained = j->first_is_driver && chance(&r, P_CHAIN / 0.3);
		} else {
			j->cluster = chance(&r, u->p_second) ? u->second : u->home;
			j->id = job_seq[j->cluster]++;
			j->node = rint_(&r, clusters[j->cluster].nodes);
			j->left = (int)rexp(&r, 6);
			j->first_is_driver = chance(&r, 0.3);
			j->first_uuid[0] = 0;
		}
		uuid4(&r, uuid);
		if (!j->first_uuid[0]) {
			memcpy(j->first_uuid, uuid, 37);
			chained = 0;
		}

		/* time of day: a daytime bump over a flat base */
		double tod = chance(&r, 0.6) ? fmod(13 * 3600 + rnorm(&r) * 4 * 3600 + 86400 * 2, 86400)
					     : u01(&r) * 86400;
		double start = (double)t0 + tod, rt;
		x = u01(&r);
		if (x < 0.15)
			rt = exp(log(0.2) + u01(&r) * (log(60) - log(0.2)));
		else if (x < 0.50)
			rt = exp(log(60) + u01(&r) * (log(1800) - log(60)));
		else
			rt = exp(log(1800) + u01(&r) * (log(48 * 3600) - log(1800)));
		double prob = rt < 60 ? 0.0001 : rt < 1800 ? 0.01 : 1.0;

		const struct env *v = NULL;
		const struct app *a = NULL;
		char exe[200], cwd[160];
		int64_t esize, emtime, einode;
		const char *program = NULL;
		if (s->kind == S_PY || s->kind == S_R) {
			int e = s->env >= 0 ? s->env : s->kind == S_PY ? clusters[j->cluster].py_env
								      : clusters[j->cluster].r_env;
			v = &W.env[e];
			if (v->kind == K_SYSTEM && v->lang == PY && v->syshost != j->cluster)
				v = &W.env[clusters[j->cluster].py_env];
			snprintf(exe, sizeof(exe), "%s", v->exe);
			esize = v->exe_size;
			emtime = (int64_t)W.start + (int64_t)v->created * 86400;
			einode = v->exe_inode;
			program = v->lang == PY ? "python" : "R";
			*(v->lang == PY ? &cnt->py : &cnt->r) += 1;
		} else if (s->kind == S_APP) {
			a = &W.apps[s->app];
			snprintf(exe, sizeof(exe), "/opt/apps/%s/%s/bin/%s", a->name, a->ver[s->ver], a->exe);
			esize = 20000000 + s->app * 1000 + s->ver;
			emtime = (int64_t)W.start + (int64_t)a->ver_day[s->ver] * 86400;
			einode = 5000000 + s->app * 16 + s->ver;
			cnt->other++;
		} else {
			int si = (int)(s - u->scripts);
			/* rebuilt every few days: a new binary (size, mtime, inode) */
			int build = (d - s->created) / (3 + si % 5);
			snprintf(exe, sizeof(exe), "/work/%s/%s/proj%d/bin/%s", u->group, u->name, si,
				 si % 3 ? "a.out" : "solver");
			esize = 100000 + si * 100 + build % 97;
			emtime = (int64_t)W.start + (int64_t)(s->created + build * (3 + si % 5)) * 86400;
			einode = 70000000 + (int64_t)ui * 1000 + si * 37 + build;
			cnt->other++;
		}
		snprintf(cwd, sizeof(cwd), "/scratch/%s/%s/run%d", u->group, u->name, (int)(s - u->scripts));

		o.len = 0;
		o_fmt(&o, "{\"schema\":\"xalt-run/1\",\"run_uuid\":\"%s\",\"syshost\":\"%s\","
		      "\"host\":\"c%03d-%03d.%s.tacc.utexas.edu\",\"user\":\"%s\",\"uid\":%d,",
		      uuid, clusters[j->cluster].name, j->node / 100 + 100, j->node % 100 + 1,
		      clusters[j->cluster].name, u->name, u->uid);
		o_fmt(&o, "\"exec\":{\"path\":\"%s\",\"size\":%" PRId64 ",\"mtime\":%" PRId64
		      ",\"inode\":%" PRId64 ",\"sha1\":null,\"program\":", exe, esize, emtime, einode);
		if (program)
			o_q(&o, program);
		else
			o_str(&o, "null");
		o_fmt(&o, ",\"track\":\"%s\"},\"cwd\":\"%s\",\"cmdline\":[", program ? "PKGS" : "KEEP", cwd);
		if (s->kind == S_PY)
			o_fmt(&o, "\"python3\",\"step%d.py\",\"--case\",\"%d\"]", (int)(s - u->scripts),
			      rint_(&r, 1000));
		else if (s->kind == S_R)
			o_fmt(&o, "\"R\",\"--no-echo\",\"--no-restore\",\"--file=analysis%d.R\"]",
			      (int)(s - u->scripts));
		else
			o_fmt(&o, "\"%s\",\"-in\",\"input%d.dat\"]", exe, rint_(&r, 50));

		/* how it ended */
		const char *how = "exit";
		int status = chance(&r, 0.96) ? 0 : 1 + rint_(&r, 3), sig = 0;
		double end = start + rt;
		x = u01(&r);
		if (x < P_RECOVERED) {
			how = "recovered";
			end = start + rt * u01(&r);   /* the spool's last change */
			cnt->recovered++;
		} else if (x < P_RECOVERED + P_SIGNAL) {
			static const int sigs[] = { 15, 15, 15, 15, 15, 15, 11, 11, 6, 2 };
			how = "signal";
			sig = sigs[rint_(&r, 10)];
		}
		o_fmt(&o, ",\"start_time\":%.6f,\"end_time\":%.6f,\"run_time\":%.6f,"
		      "\"exit\":{\"how\":\"%s\",\"status\":", start, end, end - start, how);
		if (!strcmp(how, "exit"))
			o_fmt(&o, "%d", status);
		else
			o_str(&o, "null");
		o_fmt(&o, ",\"signal\":%d},\"sampling\":{\"probability\":%g,\"forced\":false},", sig, prob);
		int ntasks = s->ntasks;
		o_fmt(&o, "\"job\":{\"scheduler\":\"slurm\",\"id\":\"%ld\",\"ntasks\":%d,\"nnodes\":%d,"
		      "\"rank\":0},", j->id, ntasks, (ntasks + 55) / 56);
		int omp = ntasks > 1 ? 1 : s->kind == S_APP ? 56 : 0;
		if (omp)
			o_fmt(&o, "\"omp_num_threads\":\"%d\",", omp);
		static const char *const parts[] = { "normal", "normal", "normal", "development", "large", "gpu-a100" };
		o_fmt(&o, "\"env\":{");
		if (v && v->kind == K_CONDA)
			o_fmt(&o, "\"CONDA_DEFAULT_ENV\":\"%s\",", v->name);
		if (omp)
			o_fmt(&o, "\"OMP_NUM_THREADS\":\"%d\",", omp);
		o_fmt(&o, "\"SLURM_JOB_ACCOUNT\":\"%s\",\"SLURM_JOB_NAME\":\"job%d\","
		      "\"SLURM_JOB_PARTITION\":\"%s\"}", u->account, (int)(s - u->scripts),
		      parts[(ui + j->cluster) % 6]);
		if (v) {
			o_fmt(&o, ",\"interpreter\":{\"program\":\"%s\",\"version\":\"%s%d.%d\","
			      "\"kind\":\"%s\",\"prefix\":\"%s\"}", program,
			      v->lang == PY ? "3." : "4.", v->minor, v->lang == PY ? 2 + v->minor % 5 : 1,
			      kind_name[v->kind], v->prefix);
			if (chance(&r, P_LOST)) {
				o_str(&o, ",\"packages\":[],\"packages_lost\":true,\"libraries\":[]");
			} else {
				emit_packages(&o, &r, u, s, v, d, cnt);
			}
		} else {
			o_str(&o, ",\"libraries\":[");
			const int *lib = a ? a->lib : s->lib;
			int nlib = a ? a->nlib : s->nlib;
			for (int i = 0; i < nlib; i++)
				o_fmt(&o, "%s{\"path\":\"%s\"}", i ? "," : "", libpool[lib[i]]);
			if (ntasks > 1)
				for (int i = 0; i < nmpi; i++)
					o_fmt(&o, ",{\"path\":\"%s\"}", libpool[mpi_libs[i]]);
			if (a)
				o_fmt(&o, ",{\"path\":\"/opt/apps/%s/%s/lib/lib%s.so\"}", a->name, a->ver[s->ver],
				      a->name);
			o_str(&o, "],\"packages\":[]");
		}
		if (chained) {
			o_fmt(&o, ",\"parent_run_uuid\":\"%s\"", j->first_uuid);
			cnt->chained++;
		}
		o_str(&o, "}");
		put(o.buf, o.len, start, uuid, d);
		cnt->runs++;
	}
	free(o.buf);
}

/* === output ================================================================ */

static const char *outdir;
static char daydir[4096];
static long day_files;

static void mkdir_p(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	if (mkdir(tmp, 0755) && errno != EEXIST) {
		fprintf(stderr, "gen-year: cannot create '%s': %s\n", tmp, strerror(errno));
		exit(1);
	}
}

static void put_stream(const char *rec, size_t len, double start, const char *uuid, int d)
{
	(void)start; (void)uuid; (void)d;
	if (fwrite(rec, 1, len, stdout) != len || putchar('\n') == EOF) {
		fprintf(stderr, "gen-year: cannot write the stream: %s\n", strerror(errno));
		exit(1);
	}
}

static void put_file(const char *rec, size_t len, double start, const char *uuid, int d)
{
	char path[4300];
	time_t sec = (time_t)start;
	struct tm tm;
	FILE *f;

	(void)d;
	if (day_files % 1000 == 0) {
		char sub[4200];
		snprintf(sub, sizeof(sub), "%s/%03ld", daydir, day_files / 1000);
		mkdir_p(sub);
	}
	gmtime_r(&sec, &tm);
	snprintf(path, sizeof(path), "%s/%03ld/run.%04d%02d%02dT%02d%02d%02d.%06dZ.%s.json", daydir,
		 day_files / 1000, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)((start - (double)sec) * 1e6), uuid);
	if (!(f = fopen(path, "w")) || fwrite(rec, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "gen-year: cannot write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	day_files++;
}

static const char usage[] =
	"usage: gen-year [--days N] [--first-day D] [--runs-per-day R] [--seed S]\n"
	"                [--start EPOCH] [--users U] [--py-packages P] [--r-packages Q]\n"
	"                [--apps A] [--out DIR | --ndjson]\n"
	"\n"
	"A year (or the days [D, D+N)) of a large centre's xalt-run/1 records.\n"
	"  --days N           days to generate (default 365)\n"
	"  --first-day D      first day, 0 = the --start day (default 0)\n"
	"  --runs-per-day R   mean runs a day (default 100000; weekends fewer)\n"
	"  --seed S           the world and every day derive from it (default 1)\n"
	"  --start EPOCH      day 0 at 00:00 UTC (default 1767225600, 2026-01-01)\n"
	"  --users U          users (default 4000)\n"
	"  --py-packages P, --r-packages Q   distinct packages (default 3000, 600)\n"
	"  --apps A           site applications (default 400)\n"
	"  --out DIR          files DIR/YYYY-MM-DD/NNN/run.*.json (1000 per NNN)\n"
	"  --ndjson           one record per line on stdout (the default)\n"
	"Counts go to stderr: days, runs, package records, and the mix.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "days", 1, 0, 'n' }, { "first-day", 1, 0, 'f' }, { "runs-per-day", 1, 0, 'r' },
		{ "seed", 1, 0, 's' }, { "start", 1, 0, 't' }, { "users", 1, 0, 'u' },
		{ "py-packages", 1, 0, 'p' }, { "r-packages", 1, 0, 'q' }, { "apps", 1, 0, 'a' },
		{ "out", 1, 0, 'o' }, { "ndjson", 0, 0, 'j' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct counts cnt = { 0 };
	struct rng r;
	int c;

	W.ndays = 365;
	W.runs_per_day = 100000;
	W.seed = 1;
	W.start = 1767225600;
	W.users = 4000;
	W.npy = 3000;
	W.nr = 600;
	W.napps = 400;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': W.ndays = atoi(optarg); break;
		case 'f': W.first_day = atoi(optarg); break;
		case 'r': W.runs_per_day = atol(optarg); break;
		case 's': W.seed = strtoull(optarg, NULL, 10); break;
		case 't': W.start = (time_t)strtoll(optarg, NULL, 10); break;
		case 'u': W.users = atoi(optarg); break;
		case 'p': W.npy = atoi(optarg); break;
		case 'q': W.nr = atoi(optarg); break;
		case 'a': W.napps = atoi(optarg); break;
		case 'o': outdir = optarg; break;
		case 'j': outdir = NULL; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc || W.ndays < 0 || W.first_day < 0 || W.runs_per_day < 0 ||
	    W.users < 1 || W.napps < 20 || W.npy < 1 || W.nr < 1) {
		fputs(usage, stderr);
		return 2;
	}
	if (W.users > 90000) {
		fputs("gen-year: at most 90000 users\n", stderr);
		return 2;
	}
	/* the world depends on the seed only, never on the slice generated */
	rng_seed(&r, W.seed, 0);
	build_libs();
	build_packages(&r);
	build_system_envs(&r);
	build_apps(&r);
	build_users(&r);

	for (int d = W.first_day; d < W.first_day + W.ndays; d++) {
		if (outdir) {
			time_t t0 = W.start + (time_t)d * 86400;
			struct tm tm;
			gmtime_r(&t0, &tm);
			snprintf(daydir, sizeof(daydir), "%s/%04d-%02d-%02d", outdir, tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday);
			mkdir_p(daydir);
			day_files = 0;
		}
		gen_day(d, &cnt, outdir ? put_file : put_stream);
	}
	if (!outdir && fflush(stdout)) {
		fprintf(stderr, "gen-year: cannot write the stream: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "days %d runs %ld packages %ld python %ld R %ld other %ld"
		" used_known %ld chained %ld recovered %ld\n", W.ndays, cnt.runs, cnt.pkgs, cnt.py,
		cnt.r, cnt.other, cnt.used_known, cnt.chained, cnt.recovered);
	return 0;
}
