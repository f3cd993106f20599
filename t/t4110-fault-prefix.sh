#!/bin/bash
test_description='faults: record dir unwritable, read-only, or out of space during the write'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

# Small file systems are tmpfs mounts in the trash dir (root only), made
# here, outside the test bodies, and unmounted at the end whatever happens.
MOUNTS=
unmount_all() { for m in $MOUNTS; do umount "$m" 2>/dev/null; done; MOUNTS=; }
trap unmount_all EXIT
mount_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$TRASH_DIRECTORY/$1" &&
	MOUNTS="$MOUNTS $TRASH_DIRECTORY/$1"
}
if test_have_prereq ROOT &&
   mount_tmpfs ro-dir ro,size=64k 2>/dev/null &&
   mount_tmpfs small size=8k &&
   mount_tmpfs noinode size=64k,nr_inodes=1; then
	test_set_prereq MOUNT
fi

test_expect_success 'setup: a program with output and a status' '
	cat >prog.c <<-\EOF &&
	#include <stdio.h>
	int main(int argc, char **argv)
	{
		puts("out");
		fputs("err\n", stderr);
		return argc + 40;
	}
	EOF
	cc -o prog prog.c
'

# check_same: prog ran as if untracked (status 42 with one argument).
check_same() {
	test $1 = 42 &&
	echo out >expect && test_cmp expect out &&
	echo err >expect && test_cmp expect err
}

test_expect_success MOUNT 'record dir on a read-only file system: same behaviour, nothing written' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/ro-dir xalt_tracked ./prog x >out 2>err; check_same $? &&
	test -z "$(ls -A ro-dir)"
'

test_expect_success !ROOT 'record dir mode 0500: same behaviour, nothing written' '
	mkdir -p locked && chmod 500 locked &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/locked xalt_tracked ./prog x >out 2>err; check_same $? &&
	test -z "$(ls -A locked)"
'

test_expect_success 'record dir is a regular file: same behaviour' '
	echo data >plainfile &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/plainfile xalt_tracked ./prog x >out 2>err; check_same $? &&
	echo data >expect && test_cmp expect plainfile
'

test_expect_success 'record dir is relative: refused, same behaviour' '
	XALT_FILE_PREFIX=relative/records xalt_tracked ./prog x >out 2>err; check_same $? &&
	! test -e relative
'

# The disk fills during the write: a Python record with many packages and
# libraries (~40 KiB) does not fit in an 8 KiB file system. The temporary
# file is removed; no file named run.*.json, complete or not, is left.
test_expect_success MOUNT,PYTHON 'out of space during the record write: no half record, no temp file' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/small xalt_tracked /usr/bin/python3 -c \
		"import numpy, email, json, http.client, decimal, asyncio; print(\"out\"); exit(42)" >out 2>err;
	test $? = 42 && echo out >expect && test_cmp expect out && test_cmp /dev/null err &&
	test -z "$(ls -A small)"
'

test_expect_success MOUNT 'a record that fits the same small file system is written whole' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/small xalt_tracked ./prog x >out 2>err; check_same $? &&
	rec=$(ls small/run.*.json) &&
	jq -e ".exit.status == 42" "$rec" &&
	test -z "$(ls -A small | grep -v "^run\..*\.json$")"
'

test_expect_success MOUNT 'a full file system (no inode left): same behaviour, nothing written' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/noinode xalt_tracked ./prog x >out 2>err; check_same $? &&
	test -z "$(ls -A noinode)"
'

unmount_all
test_done
