/*
 * The corpus replay driver: the main() a fuzz harness gets when it is built
 * without libFuzzer. Each argument is a file or a directory of files (not
 * recursive); each file is one input, fed to LLVMFuzzerTestOneInput exactly
 * as libFuzzer would. Prints how many inputs ran; exits 1 if an argument
 * cannot be read (a harness's failed check aborts on its own).
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0, count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;

			while (d && (e = readdir(d))) {
				char p[4096];
				if (e->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
				rc |= run_file(p) < 0;
				count++;
			}
			if (d)
				closedir(d);
		} else {
			rc |= run_file(argv[i]) < 0;
			count++;
		}
	}
	printf("%d inputs\n", count);
	return rc;
}
