/*
 * Run ids (see uuid.h). getrandom(GRND_NONBLOCK) is one system call (about
 * 1 µs) and never blocks: very early at boot the pool may not be ready, then
 * we fall back to mixing the clocks and the pid, which is enough to make a
 * collision between two runs unlikely (the run id is a key, not a secret).
 */
#include "uuid.h"
#include "fmt.h"
#include "sys.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int uuid_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	int eintr = 0;

	while (len) {
		ssize_t n = getrandom(p, len, GRND_NONBLOCK);

		if (n < 0) {
			if (errno == EINTR && eintr++ < SYS_EINTR_RETRIES)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Format 16 bytes as a v4 UUID (sets the version and variant bits). */
static void uuid_format(char out[37], unsigned char b[16])
{
	struct fmt f;

	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* variant 10 */
	fmt_init(&f, out, 37);       /* 8-4-4-4-12 */
	fmt_hex_bytes(&f, b, 4);
	fmt_char(&f, '-');
	fmt_hex_bytes(&f, b + 4, 2);
	fmt_char(&f, '-');
	fmt_hex_bytes(&f, b + 6, 2);
	fmt_char(&f, '-');
	fmt_hex_bytes(&f, b + 8, 2);
	fmt_char(&f, '-');
	fmt_hex_bytes(&f, b + 10, 6);
	fmt_end(&f);
}

/* splitmix64: spreads the weak fallback seed over all bits. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int uuid_v4(char out[37])
{
	unsigned char b[16];
	int rc = 0;

	if (uuid_random(b, sizeof(b)) < 0) {
		struct timespec r, m;
		uint64_t a, c;

		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m);
		a = mix((uint64_t)r.tv_sec * 1000000007ULL ^ (uint64_t)r.tv_nsec);
		c = mix(a ^ ((uint64_t)getpid() << 32) ^ (uint64_t)m.tv_nsec);
		memcpy(b, &a, 8);
		memcpy(b + 8, &c, 8);
		rc = -1;
	}
	uuid_format(out, b);
	return rc;
}

int uuid_valid(const char *s)
{
	if (!s)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;     /* a NUL ends it here too */
		}
	}
	return s[36] == '\0';
}
