/*
 * Fuzz target: the regular-expression matcher (src/common/ere.c) against
 * glibc's regcomp(REG_EXTENDED|REG_NOSUB) + regexec, the oracle.
 *
 * Input: a pattern, then subjects, separated by NUL bytes ("pattern" alone
 * is matched against derived subjects only). Checked:
 *   - a pattern ere_compile accepts is accepted by glibc, and both give the
 *     same answer for each subject and for derived ones (empty, the pattern
 *     itself, each subject without its first or last byte, each subject
 *     followed by the pattern);
 *   - a rejected pattern comes with a message and an offset inside it;
 *   - the program fits the size ere_compile returned: it is copied into a
 *     buffer of exactly that size before matching (ASan sees any overread);
 *     compiling into that size again either works or runs out of room (the
 *     compiler may need more while it works: "a*{0}"), and into 8 bytes
 *     less runs out of room, without writing past the end.
 *
 * glibc sees only patterns we accept. Those with two quantifiers or more
 * go to glibc in a helper process with a deadline: its regcomp takes
 * minutes on some short patterns that nest quantifiers around word anchors
 * ("((\b\<x*\b)+\B)++": 232 s here) and expands "a+++++++++++++++++++++"
 * into millions of nodes. An input the helper cannot answer in time is not
 * compared (our side still runs). The others, most inputs, are asked in
 * this process, which is much faster.
 */
#include "ere.h"
#include "fuzz.h"

#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define ORACLE_MS 300

/* ---- the oracle: glibc in a helper process ------------------------------------- */

static pid_t oracle_pid;
static int oracle_in = -1, oracle_out = -1;   /* our ends: requests, answers */

static int read_all(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	for (size_t put = 0; put < n;) {
		ssize_t w = write(fd, (const char *)buf + put, n - put);

		if (w <= 0)
			return -1;
		put += (size_t)w;
	}
	return 0;
}

/*
 * The helper's loop. A request is a length, then the pattern and the
 * subjects, each NUL-terminated; the answer is 'E' (regcomp rejects) or one
 * '0'/'1' per subject.
 */
static void oracle_serve(int in, int out)
{
	uint32_t len;
	char *req, *ans;

	while (read_all(in, &len, sizeof(len)) == 0) {
		regex_t re;
		size_t n = 0;

		req = malloc(len);
		ans = malloc(len + 1);
		if (!req || !ans || read_all(in, req, len) < 0)
			_exit(1);
		if (regcomp(&re, req, REG_EXTENDED | REG_NOSUB) != 0) {
			ans[n++] = 'E';
		} else {
			for (size_t i = strlen(req) + 1; i < len; i += strlen(req + i) + 1)
				ans[n++] = regexec(&re, req + i, 0, NULL, 0) == 0 ? '1' : '0';
			regfree(&re);
		}
		if (write_all(out, ans, n) < 0)
			_exit(1);
		free(req);
		free(ans);
	}
	_exit(0);
}

static void oracle_stop(void)
{
	if (oracle_pid > 0) {
		kill(oracle_pid, SIGKILL);
		waitpid(oracle_pid, NULL, 0);
	}
	close(oracle_in);
	close(oracle_out);
	oracle_pid = 0;
	oracle_in = oracle_out = -1;
}

static int oracle_start(void)
{
	int req[2], ans[2];

	signal(SIGPIPE, SIG_IGN);       /* a dead helper is an error return, not our death */
	if (pipe(req) < 0 || pipe(ans) < 0)
		return -1;
	oracle_pid = fork();
	if (oracle_pid < 0)
		return -1;
	if (oracle_pid == 0) {
		close(req[1]);
		close(ans[0]);
		oracle_serve(req[0], ans[1]);
	}
	close(req[0]);
	close(ans[1]);
	oracle_in = req[1];
	oracle_out = ans[0];
	return 0;
}

/* At most one quantifier character: glibc compiles it fast, ask it here. */
static int tame(const char *re)
{
	int q = 0;

	for (; *re; re++)
		q += *re == '*' || *re == '+' || *re == '?' || *re == '{';
	return q <= 1;
}

/*
 * Ask glibc about the request req[0..len) (pattern and nsub subjects, each
 * NUL-terminated): fills ans with nsub answers and returns 1, returns 0 if
 * regcomp rejects the pattern, -1 if there is no answer within ORACLE_MS.
 */
static int oracle(const char *req, size_t len, size_t nsub, char *ans)
{
	uint32_t n = (uint32_t)len;
	size_t got = 0, want = nsub ? nsub : 1;

	if (tame(req)) {
		regex_t re;
		const char *s = req + strlen(req) + 1;

		if (regcomp(&re, req, REG_EXTENDED | REG_NOSUB) != 0)
			return 0;
		for (size_t k = 0; k < nsub; k++, s += strlen(s) + 1)
			ans[k] = regexec(&re, s, 0, NULL, 0) == 0 ? '1' : '0';
		regfree(&re);
		return 1;
	}
	if (!oracle_pid && oracle_start() < 0)
		abort();
	if (write_all(oracle_in, &n, sizeof(n)) < 0 || write_all(oracle_in, req, len) < 0)
		goto dead;
	while (got < want) {
		struct pollfd pfd = { oracle_out, POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, ORACLE_MS) <= 0)
			goto dead;
		r = read(oracle_out, ans + got, want - got);
		if (r <= 0)
			goto dead;
		got += (size_t)r;
		if (ans[0] == 'E')
			return 0;
	}
	return 1;
dead:
	oracle_stop();
	return -1;
}

/* ---- the checks ------------------------------------------------------------------------ */

/* A growing list of NUL-terminated strings: the request to the oracle. */
struct strs {
	char *data;
	size_t len, cap, n;
};

static void add(struct strs *l, const char *s, size_t n, const char *tail)
{
	size_t m = strlen(tail);

	if (l->len + n + m + 1 > l->cap) {
		l->cap = 2 * (l->len + n + m + 1);
		l->data = realloc(l->data, l->cap);
		if (!l->data)
			abort();
	}
	memcpy(l->data + l->len, s, n);
	memcpy(l->data + l->len + n, tail, m + 1);
	l->len += n + m + 1;
	l->n++;
}

/* s, s without its first byte, without its last, and s followed by the pattern. */
static void add_derived(struct strs *l, const char *s, const char *pattern)
{
	size_t n = strlen(s);

	add(l, s, n, "");
	if (n) {
		add(l, s + 1, n - 1, "");
		add(l, s, n - 1, "");
	}
	add(l, s, n, pattern);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *big = malloc(ERE_PROG_MAX), *exact, *ans;
	struct strs req = { NULL, 0, 0, 0 };
	struct ere_error err;
	const char *pattern, *s;
	long n;
	int r;

	if (!text || !big)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	pattern = text;
	n = ere_compile(big, ERE_PROG_MAX, pattern, &err);
	if (n < 0) {
		FUZZ_CHECK(err.msg && *err.msg && err.at <= strlen(pattern) && !err.no_room);
		goto out;
	}
	FUZZ_CHECK(n > 0 && n <= ERE_PROG_MAX && n % 8 == 0);
	exact = malloc((size_t)n);
	if (!exact)
		abort();
	if (ere_compile(exact, (size_t)n, pattern, &err) != n)
		FUZZ_CHECK(err.no_room);
	free(exact);
	exact = malloc((size_t)n - 8);
	if (!exact)
		abort();
	FUZZ_CHECK(ere_compile(exact, (size_t)n - 8, pattern, &err) == -1 && err.no_room);
	free(exact);
	exact = malloc((size_t)n);
	if (!exact)
		abort();
	memcpy(exact, big, (size_t)n);

	add(&req, pattern, strlen(pattern), "");
	add(&req, "", 0, "");
	add_derived(&req, pattern, pattern);
	for (size_t i = strlen(text) + 1; i <= size; i += strlen(text + i) + 1)
		add_derived(&req, text + i, pattern);
	ans = malloc(req.n);
	if (!ans)
		abort();
	r = oracle(req.data, req.len, req.n - 1, ans);
	if (r == 0) {
		fprintf(stderr, "pattern '%s': ere_compile accepts, regcomp rejects\n", pattern);
		FUZZ_CHECK(!"accepted a pattern glibc rejects");
	}
	s = req.data + strlen(pattern) + 1;
	for (size_t k = 0; k + 1 < req.n; k++, s += strlen(s) + 1) {
		int got = ere_match((struct ere *)exact, s);

		if (r == 1 && got != ans[k] - '0') {
			fprintf(stderr, "pattern '%s', subject '%s': ere_match %d, regexec %c\n",
				pattern, s, got, ans[k]);
			FUZZ_CHECK(got == ans[k] - '0');
		}
	}
	free(ans);
	free(exact);
	free(req.data);
out:
	free(big);
	free(text);
	return 0;
}
