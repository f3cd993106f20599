/*
 * Fuzz target: building the record's packages from a hostile spool file
 * (src/preload/pkgs.c and the reader it calls, src/common/spool-read.c: the
 * spool line parser for P, U, M and I lines, unescaper, site filters and
 * per-name merge). The input is the whole `pkgs` file; the result, wrapped
 * in an object, must be JSON that jansson parses, with every package entry
 * carrying string program and name, direct/startup/used true, false or
 * null, imported_by a string or null (null when direct), functions_used an
 * integer or null (null exactly when used is), pure ASCII throughout.
 */
#include "fuzz.h"
#include "json-out.h"
#include "record.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

static struct xalt_run run;
static char outmem[64 << 20];
static struct fuzz_buf ob = { outmem, sizeof(outmem), 0 };

/* The sample config's package rules (etc/xalt.conf). */
static const char rules[] =
	"pkg * SKIP path ^([^/]|$)\n"
	"pkg * SKIP name ^_\n"
	"pkg * SKIP name \\.\n"
	"pkg * KEEP path site-packages/\n"
	"pkg * KEEP path dist-packages/\n"
	"pkg python SKIP path ^/usr/lib/python3\\.[0-9]+/\n"
	"pkg * KEEP path .*\n";

static int setup(void)
{
	char base[] = "/tmp/fuzz-pkgs.XXXXXX";

	if (!mkdtemp(base))
		return -1;
	snprintf(run.spool, sizeof(run.spool), "%s", base);
	memcpy(run.cfgtext, rules, sizeof(rules));
	if (config_parse(&run.cfg, run.cfgtext, "rules", 1, NULL, NULL))
		return -1;
	run.track = XALT_PKGS;
	return 0;
}

static int bool_or_null(json_t *v)
{
	return json_is_boolean(v) || json_is_null(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static char buf[64 * 1024];
	char path[SPOOL_PATH_MAX + 8];
	struct json_out j;
	json_t *v, *pk, *by, *fu;
	size_t i;
	int fd;

	if (!ready) {
		FUZZ_CHECK(setup() == 0);
		ready = 1;
	}
	snprintf(path, sizeof(path), "%s/pkgs", run.spool);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);

	ob.len = 0;
	json_out_init(&j, buf, sizeof(buf), fuzz_sink, &ob);
	json_out_begin_object(&j, NULL);
	record_packages(&j, &run);
	json_out_end_object(&j);
	FUZZ_CHECK(json_out_finish(&j) == 0);
	for (i = 0; i < ob.len; i++)
		FUZZ_CHECK(ob.data[i] >= 0x20 && ob.data[i] < 0x7f);
	v = json_loadb(ob.data, ob.len, 0, NULL);
	FUZZ_CHECK(v != NULL);
	pk = json_object_get(v, "packages");
	FUZZ_CHECK(json_is_array(pk));
	for (i = 0; i < json_array_size(pk); i++) {
		json_t *p = json_array_get(pk, i);
		FUZZ_CHECK(json_is_string(json_object_get(p, "program")));
		FUZZ_CHECK(json_is_string(json_object_get(p, "name")));
		FUZZ_CHECK(bool_or_null(json_object_get(p, "direct")));
		FUZZ_CHECK(bool_or_null(json_object_get(p, "startup")));
		FUZZ_CHECK(bool_or_null(json_object_get(p, "used")));
		by = json_object_get(p, "imported_by");
		FUZZ_CHECK(json_is_null(by) || (json_is_string(by) &&
			   !json_is_true(json_object_get(p, "direct"))));
		fu = json_object_get(p, "functions_used");
		FUZZ_CHECK(json_is_integer(fu) || json_is_null(fu));
		FUZZ_CHECK(json_is_null(fu) == json_is_null(json_object_get(p, "used")));
	}
	json_decref(v);
	return 0;
}
