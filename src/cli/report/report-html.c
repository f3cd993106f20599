/*
 * `xalt report html OUT.html`: every report on one self-contained page.
 *
 * The page must open on an air-gapped admin node: no script, no web font,
 * no CDN. Charts are inline SVG bars drawn here; styles are one inline
 * <style>. Every string from the database is shown visibly (visible.h) and
 * HTML-escaped (user, package and path names are chosen by users, some of
 * them hostile).
 *
 * The file is written to a temporary name beside OUT and renamed, so a
 * failed run never leaves half a page.
 */
#include "cli.h"
#include "db.h"
#include "report.h"
#include "visible.h"
#include "xbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Text from the database, shown visibly (visible.h: control bytes, C1, bidi
 * controls and invalid UTF-8 as \x.. / \u....), then HTML-escaped. */
static void esc(FILE *out, const char *s)
{
	struct xbuf sb = XBUF_INIT;

	if (!s) {
		fputs("&ndash;", out);
		return;
	}
	visible_add(&sb, s, strlen(s));
	for (const char *p = sb.buf; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*p, out);
		}
	}
	xbuf_release(&sb);
}

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2933;"
	"background:#f5f7fa;margin:0}"
	"header{background:#243b53;color:#fff;padding:20px 32px}"
	"header h1{margin:0;font-size:22px;font-weight:600}"
	"header p{margin:4px 0 0;color:#bcccdc;font-size:13px}"
	"main{max-width:1100px;margin:0 auto;padding:16px 32px 40px}"
	".cards{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0 8px}"
	".card{background:#fff;border-radius:8px;padding:12px 18px;min-width:120px;"
	"box-shadow:0 1px 3px rgba(0,0,0,.08)}"
	".card b{display:block;font-size:24px;color:#102a43}.card span{color:#627d98;font-size:12px}"
	"section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;"
	"box-shadow:0 1px 3px rgba(0,0,0,.08)}"
	"h2{font-size:17px;margin:0 0 10px;color:#102a43}"
	"table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}"
	"th{text-align:left;color:#486581;border-bottom:2px solid #d9e2ec;padding:4px 8px}"
	"td{border-bottom:1px solid #f0f4f8;padding:3px 8px;word-break:break-all}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".empty{color:#829ab1;font-style:italic}"
	"svg text{font:12px system-ui,sans-serif;fill:#334e68}";

/* Horizontal bars of column vcol labelled by column lcol (first max rows). */
static void bars(FILE *out, const struct report_table *t, int lcol, int vcol, size_t max,
		 const char *color)
{
	size_t n = t->nrows < max ? t->nrows : max;
	double top = 0;
	const int lw = 260, bw = 560, rh = 22;

	if (!n)
		return;
	for (size_t r = 0; r < n; r++) {
		double v = strtod(report_cell(t, r, vcol) ? report_cell(t, r, vcol) : "0", NULL);
		if (v > top)
			top = v;
	}
	fprintf(out, "<svg role=\"img\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\">",
		lw + bw + 80, n * rh + 4, lw + bw + 80, n * rh + 4);
	for (size_t r = 0; r < n; r++) {
		const char *label = report_cell(t, r, lcol), *val = report_cell(t, r, vcol);
		double v = strtod(val ? val : "0", NULL);
		int w = top > 0 ? (int)(bw * v / top + 0.5) : 0;
		struct xbuf short_label = XBUF_INIT;

		/* long paths: keep the tail, which names the file */
		if (label && strlen(label) > 38)
			xbuf_addf(&short_label, "\xe2\x80\xa6%s", label + strlen(label) - 36);
		else
			xbuf_addstr(&short_label, label ? label : "-");
		fprintf(out, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", lw - 8, r * rh + 15);
		esc(out, short_label.buf);
		fprintf(out, "</text><rect x=\"%d\" y=\"%zu\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\"/>",
			lw, r * rh + 3, w < 1 ? 1 : w, rh - 6, color);
		fprintf(out, "<text x=\"%d\" y=\"%zu\">", lw + (w < 1 ? 1 : w) + 6, r * rh + 15);
		esc(out, val);
		fputs("</text>", out);
		xbuf_release(&short_label);
	}
	fputs("</svg>\n", out);
}

static void table(FILE *out, const struct report_table *t, const char *id)
{
	if (!t->nrows) {
		fputs("<p class=\"empty\">no data</p>\n", out);
		return;
	}
	fprintf(out, "<table id=\"%s\"><thead><tr>", id);
	for (int c = 0; c < t->ncols; c++)
		fprintf(out, "<th%s>%s</th>", t->coltype[c] == RC_TEXT ? "" : " class=\"n\"", t->colname[c]);
	fputs("</tr></thead><tbody>\n", out);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs("<tr>", out);
		for (int c = 0; c < t->ncols; c++) {
			fputs(t->coltype[c] == RC_TEXT ? "<td>" : "<td class=\"n\">", out);
			esc(out, report_cell(t, r, c));
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

/* One section: a title, a chart of vcol by lcol, and the table. */
static int section(FILE *out, struct db *db, const char *kind, const struct report_filter *f,
		   const char *title, const char *id, int lcol, int vcol, const char *color)
{
	struct report_table t;

	if (report_run(db, kind, f, &t))
		return -1;
	fprintf(out, "<section id=\"sec-%s\"><h2>", id);
	esc(out, title);
	fputs("</h2>\n", out);
	bars(out, &t, lcol, vcol, 15, color);
	table(out, &t, id);
	fputs("</section>\n", out);
	report_table_release(&t);
	return 0;
}

/* Interpreter kinds summed over users: a three-bar chart above the table. */
static int conda_section(FILE *out, struct db *db, const struct report_filter *f)
{
	struct report_table t, tot;
	static const char *const names[] = { "system", "venv", "conda" };

	if (report_run(db, "conda", f, &t))
		return -1;
	memset(&tot, 0, sizeof(tot));
	tot.ncols = 2;
	tot.colname[0] = "kind";
	tot.colname[1] = "runs";
	tot.coltype[1] = RC_INT;
	tot.nrows = tot.arows = 3;
	tot.cells = xcalloc(6, sizeof(char *));
	for (int k = 0; k < 3; k++) {
		long long sum = 0;
		struct xbuf sb = XBUF_INIT;
		for (size_t r = 0; r < t.nrows; r++)
			sum += strtoll(report_cell(&t, r, k + 1), NULL, 10);
		tot.cells[2 * k] = xstrdup(names[k]);
		xbuf_addf(&sb, "%lld", sum);
		tot.cells[2 * k + 1] = xbuf_detach(&sb, NULL);
	}
	fputs("<section id=\"sec-conda\"><h2>Python interpreters: system, venv, conda</h2>\n", out);
	bars(out, &tot, 0, 1, 3, "#d9822b");
	table(out, &t, "conda");
	fputs("</section>\n", out);
	report_table_release(&t);
	report_table_release(&tot);
	return 0;
}

static int write_page(FILE *out, struct db *db, const struct report_filter *f)
{
	struct report_table s;
	struct report_filter pf = *f;
	char when[64];
	time_t now = time(NULL);
	static const char *const card[] = { "runs", "users", "hosts", "executables", "packages" };

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	if (report_run(db, "summary", f, &s))
		return -1;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\">"
	      "<title>XALT usage report</title><style>", out);
	fputs(css, out);
	fputs("</style></head><body>\n<header><h1>XALT usage report</h1><p>", out);
	fprintf(out, "generated %s from the %s database", when, db_kind(db));
	if (f->user || f->host || f->syshost || f->has_since || f->has_until || f->program) {
		fputs(" &middot; filters:", out);
		const char *k[] = { "program", "user", "host", "syshost" };
		const char *v[] = { f->program, f->user, f->host, f->syshost };
		for (int i = 0; i < 4; i++)
			if (v[i]) {
				fprintf(out, " %s=", k[i]);
				esc(out, v[i]);
			}
		if (f->has_since)
			fprintf(out, " since=%.0f", f->since);
		if (f->has_until)
			fprintf(out, " until=%.0f", f->until);
	}
	fputs("</p></header>\n<main>\n<div class=\"cards\" id=\"summary\">", out);
	for (int c = 0; c < 5; c++)
		fprintf(out, "<div class=\"card\" id=\"card-%s\"><b>%s</b><span>%s</span></div>",
			card[c], s.nrows ? report_cell(&s, 0, c) : "0", card[c]);
	fputs("</div>\n", out);
	report_table_release(&s);

	if (!f->program || !strcmp(f->program, "python")) {
		pf.program = "python";
		if (section(out, db, "packages", &pf, "Python packages: runs", "packages-python",
			    1, 2, "#2f80ed"))
			return -1;
		/* issue 11: what users chose (direct imports) against all imports
		 * above, and what was imported but never used */
		pf.direct = 1;
		if (section(out, db, "packages", &pf, "Python packages chosen by users: direct imports",
			    "packages-direct", 1, 2, "#f2994a") ||
		    section(out, db, "unused", &pf, "Imported but not used (runs that can tell: Python >= 3.12)",
			    "unused", 1, 4, "#828282"))
			return -1;
		pf.direct = 0;
	}
	if (!f->program || !strcmp(f->program, "R")) {
		pf.program = "R";
		if (section(out, db, "packages", &pf, "R packages: runs", "packages-R", 1, 2, "#27ae60"))
			return -1;
	}
	if (conda_section(out, db, f) ||
	    section(out, db, "import-time", f, "Import time: total seconds by package",
		    "import-time", 1, 3, "#9b51e0") ||
	    section(out, db, "executables", f, "Executables: runs", "executables", 0, 1, "#eb5757") ||
	    section(out, db, "libraries", f, "Shared libraries: runs", "libraries", 0, 1, "#56a3a6"))
		return -1;
	fputs("</main></body></html>\n", out);
	return 0;
}

int report_html(struct db *db, const struct report_filter *f, const char *path)
{
	struct xbuf tmp = XBUF_INIT;
	FILE *out;
	int rc;

	xbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!(out = fopen(tmp.buf, "wx"))) {
		rc = error_errno("cannot create '%s'", tmp.buf);
		xbuf_release(&tmp);
		return rc;
	}
	rc = write_page(out, db, f);
	if (fclose(out) && !rc)
		rc = error_errno("cannot write '%s'", tmp.buf);
	if (!rc && rename(tmp.buf, path))
		rc = error_errno("cannot rename '%s' to '%s'", tmp.buf, path);
	if (rc)
		unlink(tmp.buf);
	xbuf_release(&tmp);
	return rc;
}
