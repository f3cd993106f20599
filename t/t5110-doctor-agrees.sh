#!/bin/bash
test_description='xalt doctor and the library agree on whether and where a record is written, and where the spool goes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-modules.sh"

test_have_prereq JQ || { skip_all='jq reads doctor --format json'; test_done; }
test_have_prereq PRELOAD || { skip_all='the preload library is not installed'; test_done; }

# Each case sets up an environment, then asks both sides the same question:
#   doctor:  `xalt doctor --format json`: "none" when its destination (or
#            syslog) check fails, else the destination it names;
#   library: a tracked program: "none" when no record appeared anywhere in
#            the trash dir (HOME and every prefix live there), else the
#            directory of the one record.
# The answers must be equal. The spool cases compare doctor's spool check
# and base with the spool dir a tracked Python run gets.

xalt_setup
printf "int main(void) { return 0; }\n" >prog.c &&
cc -o prog prog.c || exit 1     # outside the SKIP'd system dirs: tracked (KEEP)
mkdir home && HOME=$TRASH_DIRECTORY/home

doctor_json() { "$XALT_PREFIX/bin/xalt" doctor --format json >doctor.json 2>doctor.err; test $? -le 1; }

doctor_record() {
	jq -r '(if .transmission == "syslog" then "syslog" else "destination" end) as $c |
		if [.checks[] | select(.name == $c and .status == "FAIL")] != [] then "none"
		elif .transmission == "file" then .destination
		else "syslog:" + .destination end' doctor.json | canonical
}

# A directory by its real name (a record found below a link is found under
# the link's target); other answers as they are.
canonical() {
	read -r a
	case $a in /*) realpath -m "$a" ;; *) echo "$a" ;; esac
}

library_record() {
	find "$TRASH_DIRECTORY" -name "run.*.json" -delete &&
	xalt_tracked ./prog &&
	find "$TRASH_DIRECTORY" -name "run.*.json" >found &&
	case $(wc -l <found) in
	0) echo none ;;
	1) dirname "$(cat found)" | canonical ;;
	*) echo "several records:"; cat found ;;
	esac
}

# agree EXPECTED: doctor and library give the same answer, and it is EXPECTED.
agree() {
	doctor_json && doctor_record >doctor.out &&
	library_record >library.out &&
	{ test_cmp doctor.out library.out || { jq -c ".checks[]" doctor.json; false; }; } &&
	echo "$1" >expect && test_cmp expect library.out
}

test_expect_success 'prefix unset: the config default ~/.xalt.d under HOME' '
	(unset XALT_FILE_PREFIX && agree "$HOME/.xalt.d")
'

test_expect_success 'prefix empty: the config default' '
	XALT_FILE_PREFIX= agree "$HOME/.xalt.d"
'

test_expect_success 'prefix absolute, missing: created' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/a/b/records agree "$TRASH_DIRECTORY/a/b/records"
'

test_expect_success 'prefix relative: refused by both' '
	XALT_FILE_PREFIX=rel/records agree none &&
	! test -e rel
'

test_expect_success 'prefix ~/recs: under HOME' '
	XALT_FILE_PREFIX="~/recs" agree "$HOME/recs"
'

test_expect_success 'prefix a symbolic link to a directory: refused by both' '
	mkdir real && ln -s real link &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/link agree none &&
	test -z "$(ls real)"
'

test_expect_success 'prefix below a symbolic link: the link is a parent, the prefix real' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/link/below agree "$TRASH_DIRECTORY/real/below"
'

test_expect_success 'prefix a regular file, or below one: refused by both' '
	echo x >afile &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/afile agree none &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/afile/records agree none
'

# Root writes into a mode 0555 directory, other users do not: both sides
# must say the same either way.
if test_have_prereq ROOT; then ro_answer() { echo "$1"; }; else ro_answer() { echo none; }; fi
test_expect_success 'prefix mode 0555, or to be made in one' '
	mkdir -m 555 locked &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/locked agree "$(ro_answer "$TRASH_DIRECTORY/locked")" &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/locked/records \
		agree "$(ro_answer "$TRASH_DIRECTORY/locked/records")"
'

test_expect_success ROOT 'prefix owned by another user (mode 0777): refused by both' '
	mkdir -m 777 foreign && chown nobody foreign &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/foreign agree none &&
	test -z "$(ls foreign)"
'

test_expect_success ROOT 'prefix a root-owned sticky drop box: written by both' '
	mkdir -m 1777 dropbox &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/dropbox agree "$TRASH_DIRECTORY/dropbox"
'

# A read-only tmpfs in the trash dir (root only), unmounted whatever happens.
unmount_rofs() { umount "$TRASH_DIRECTORY/rofs" 2>/dev/null; }
if test_have_prereq ROOT && mkdir rofs && mount -t tmpfs -o ro,size=64k tmpfs rofs 2>/dev/null; then
	test_set_prereq MOUNT
	trap unmount_rofs EXIT
fi
test_expect_success MOUNT 'prefix on a read-only file system, or to be made on one' '
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/rofs agree none &&
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/rofs/records agree none
'
unmount_rofs

test_expect_success 'HOME unset: ~/ prefixes are refused by both' '
	(unset HOME XALT_FILE_PREFIX && agree none) &&
	(unset HOME && XALT_FILE_PREFIX="~/recs" agree none)
'

test_expect_success 'HOME relative: refused by both' '
	(unset XALT_FILE_PREFIX && HOME=relhome agree none) &&
	! test -e relhome
'

test_expect_success 'HOME a regular file: refused by both' '
	(unset XALT_FILE_PREFIX && HOME=$TRASH_DIRECTORY/afile agree none)
'

test_expect_success 'HOME missing: created with the prefix below it' '
	(unset XALT_FILE_PREFIX && HOME=$TRASH_DIRECTORY/newhome agree "$TRASH_DIRECTORY/newhome/.xalt.d")
'

test_expect_success 'syslog without its socket: no record, both say so' '
	echo "syslog_socket = $TRASH_DIRECTORY/no.sock" >>xalt.conf &&
	XALT_TRANSMISSION_STYLE=syslog agree none
'

test_expect_success 'an unknown transmission: no record, both say so' '
	XALT_TRANSMISSION_STYLE=carrier-pigeon agree none
'

# ---- the spool ------------------------------------------------------------

# doctor: "none" when its spool check fails, else the spool base it names.
doctor_spool() {
	jq -r 'if [.checks[] | select(.name == "spool" and .status == "FAIL")] != [] then "none"
		else .spool_base end' doctor.json
}

# library: the spool base of a tracked Python run ("none": no spool dir, and
# then its record has no interpreter either: the hook had nowhere to write).
library_spool() {
	rm -rf "$XALT_FILE_PREFIX" &&
	xalt_tracked /usr/bin/python3 -c "import os; print(os.environ.get(\"XALT_SPOOL_DIR\", \"\"))" >spool.out &&
	rec=$(xalt_one_record) &&
	if test -s spool.out && test "$(cat spool.out)" != ""; then
		jq -e ".interpreter.program == \"python\"" "$rec" >/dev/null &&
		dirname "$(dirname "$(cat spool.out)")"
	else
		jq -e "(has(\"interpreter\") | not) and .packages_lost == true" "$rec" >/dev/null &&
		echo none
	fi
}

spool_agree() {
	doctor_json && doctor_spool >doctor.out &&
	library_spool >library.out &&
	{ test_cmp doctor.out library.out || { jq -c ".checks[]" doctor.json; false; }; } &&
	echo "$1" >expect && test_cmp expect library.out
}

test_expect_success PYTHON,PYHOOK 'spool: XALT_SPOOL_BASE, a private dir' '
	spool_agree "$XALT_SPOOL_BASE"
'

test_expect_success PYTHON,PYHOOK 'spool: XALT_SPOOL_BASE names a file: both fall back to /dev/shm' '
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/afile spool_agree /dev/shm
'

# A base passed over (issue 10 item 5): both go on to the next candidate.
test_expect_success PYTHON,PYHOOK 'spool: the user dir is a symbolic link: both fall back to /dev/shm' '
	mkdir shm2 elsewhere && ln -s ../elsewhere "shm2/xalt-$(id -u)" &&
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/shm2 spool_agree /dev/shm &&
	test -z "$(ls elsewhere)"
'

test_expect_success PYTHON,PYHOOK 'spool: the user dir is group-writable: both fall back to /dev/shm' '
	mkdir -p "shm3/xalt-$(id -u)" && chmod 770 "shm3/xalt-$(id -u)" &&
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/shm3 spool_agree /dev/shm
'

test_expect_success ROOT,PYTHON,PYHOOK 'spool: the user dir belongs to another user: both fall back to /dev/shm' '
	mkdir -p "shm4/xalt-$(id -u)" && chown 65534 "shm4/xalt-$(id -u)" &&
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/shm4 spool_agree /dev/shm
'

test_expect_success ROOT,PYTHON,PYHOOK 'spool: root and a base another user owns: both fall back to /dev/shm' '
	mkdir -p shm5 && chown 65534 shm5 &&
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/shm5 spool_agree /dev/shm &&
	test -z "$(ls -A shm5)"
'

if test_have_prereq ROOT && unshare -m --propagation private true 2>/dev/null; then
	test_set_prereq NS
fi
# /dev/shm itself read-only, in a private mount namespace (never seen by
# the machine): doctor and the program both run inside it.
cat >inns.sh <<\EOF
#!/bin/bash
# inns.sh MODE funcs: /dev/shm (and /tmp) as MODE says, in this namespace only.
case $1 in
ro)     mount -t tmpfs -o ro,size=64k tmpfs /dev/shm ;;
full)   mount -t tmpfs -o size=16k tmpfs /dev/shm &&
	{ dd if=/dev/zero of=/dev/shm/fill bs=4k 2>/dev/null; true; } ;;
allro)  mount -t tmpfs -o ro,size=64k tmpfs /dev/shm &&
	# not a tmpfs over /tmp itself: the build tree may be under /tmp
	mkdir -p -m 0700 /tmp/xalt-$(id -u) &&
	mount -t tmpfs -o ro,mode=0700,size=64k tmpfs /tmp/xalt-$(id -u) ;;
esac || exit 99
. "$2"
doctor_json && doctor_spool >doctor.out && library_spool >library.out
EOF
mkdir -p tmpdir
# in_ns_agree MODE TMPDIR EXPECTED
in_ns_agree() {
	declare -f doctor_json doctor_spool library_spool xalt_tracked xalt_one_record xalt_records \
		say_err >funcs.sh &&
	(unset XALT_SPOOL_BASE && export TMPDIR=$2 &&
	 XALT_PREFIX=$XALT_PREFIX unshare -m --propagation private bash inns.sh "$1" funcs.sh) &&
	test_cmp doctor.out library.out &&
	echo "$3" >expect && test_cmp expect library.out
}

test_expect_success NS,PYTHON,PYHOOK 'spool: /dev/shm read-only: both fall back to $TMPDIR' '
	in_ns_agree ro "$TRASH_DIRECTORY/tmpdir" "$TRASH_DIRECTORY/tmpdir"
'

test_expect_success NS,PYTHON,PYHOOK 'spool: /dev/shm full: both fall back to $TMPDIR' '
	in_ns_agree full "$TRASH_DIRECTORY/tmpdir" "$TRASH_DIRECTORY/tmpdir"
'

test_expect_success NS,PYTHON,PYHOOK 'spool: /dev/shm read-only, no TMPDIR: both fall back to /tmp' '
	in_ns_agree ro "" /tmp
'

test_expect_success NS,PYTHON,PYHOOK 'spool: nowhere (/dev/shm and /tmp/xalt-UID read-only): no spool, both say so' '
	in_ns_agree allro "" none
'

test_done
