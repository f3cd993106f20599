/*
 * What kind of program an executable is, for exec.program in the record:
 * "python" for python, python3, python3.11 ...; "R" for R's binary (Debian's
 * is /usr/lib/R/bin/exec/R). Decided on the base name only: cheap, and
 * stable across install prefixes.
 */
#include "run.h"

#include <string.h>

const char *program_kind(const char *exe)
{
	const char *b = strrchr(exe, '/');

	b = b ? b + 1 : exe;
	if (!strncmp(b, "python", 6) && strspn(b + 6, "0123456789.") == strlen(b + 6))
		return "python";
	if (!strcmp(b, "R") || !strcmp(b, "Rscript"))
		return "R";
	return NULL;
}
