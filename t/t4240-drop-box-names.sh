#!/bin/bash
test_description='a shared drop box: a record whose final name another user took still goes out, under another name'
. "$(dirname "$0")/test-lib.sh"

# Issue 12 item 2, the writer's side. In a root-owned sticky drop box
# another user can create the file name a victim's record is about to get
# (they see the victim's ".run.*.json.tmp"); rename(2) then fails with
# EPERM and the record was dropped. The writer must never replace what is
# there, and must write under another unique name instead.
#
# The race is made certain with a test-only shim preloaded next to the
# library: the victim's first link() or rename() to a "run.*" name writes
# that name into a handshake dir and waits until the attacker has planted a
# file under it.

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
. "$TEST_DIRECTORY/lib-users.sh"

xalt_setup
T=$TRASH_DIRECTORY
chmod 755 "$T"
chmod 1777 "$XALT_SPOOL_BASE"
chmod 644 "$XALT_CONFIG"

as() {
	u=$1; shift
	HOME=$T setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups "$@"
}

test_expect_success 'setup: a root-owned sticky drop box, the victim program, the handshake shim' '
	mkdir -m 1777 box hs &&
	echo "int main(void) { return 0; }" >prog.c && cc -o prog prog.c &&
	cat >shim.c <<-\EOF &&
	#include <dlfcn.h>
	#include <fcntl.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	/* The first link/rename to a "run.*" name: publish it, wait for the plant. */
	static int done;
	static void handshake(const char *to)
	{
		const char *hs = getenv("SHIM_HANDSHAKE"), *base = strrchr(to, 47);
		char p[4096];
		int fd;
		if (done || !hs || !base || strncmp(base + 1, "run.", 4)) return;
		done = 1;
		snprintf(p, sizeof(p), "%s/name", hs);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) return;
		write(fd, to, strlen(to));
		close(fd);
		snprintf(p, sizeof(p), "%s/planted", hs);
		for (int i = 0; i < 1000 && access(p, F_OK); i++) usleep(10000);
	}
	int link(const char *from, const char *to)
	{
		int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
		handshake(to);
		return real(from, to);
	}
	int rename(const char *from, const char *to)
	{
		int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
		handshake(to);
		return real(from, to);
	}
	EOF
	cc -shared -fPIC -o shim.so shim.c -ldl
'

test_expect_success 'the victim record goes out under another name; the planted file is left as it is' '
	rm -f hs/name hs/planted &&
	{ as $VICTIM env LD_PRELOAD="$XALT_LD_PRELOAD:$T/shim.so" XALT_EXECUTABLE_TRACKING=yes \
		XALT_FILE_PREFIX="$T/box" SHIM_HANDSHAKE="$T/hs" ./prog & } &&
	pid=$! &&
	for i in $(seq 500); do test -s hs/name && break; sleep 0.02; done &&
	final=$(cat hs/name) &&
	case "$final" in "$T"/box/run.*.json) ;; *) false ;; esac &&
	as $ATTACKER sh -c "echo forged >\"$final\"" &&
	touch hs/planted &&
	wait $pid &&
	echo forged >expect && test_cmp expect "$final" &&
	test "$(stat -c %U "$final")" = $ATTACKER &&
	find "$T/box" -name "run.*.json" ! -path "$final" >others &&
	test "$(wc -l <others)" = 1 &&
	rec=$(cat others) &&
	test "$(stat -c "%U %a" "$rec")" = "$VICTIM 600" &&
	uuid=$(jq -r .run_uuid "$rec") &&
	case "${rec##*/}" in "${final##*/}") false ;; "$(basename "$final" .json)".????????.json) ;; *) false ;; esac &&
	case "$final" in *"$uuid"*) ;; *) false ;; esac &&
	test -z "$(find box -name ".run.*.tmp")"
'

test_done
