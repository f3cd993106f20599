# Test library for the end-to-end tests, after git's t/test-lib.sh.
#
# A test file sets test_description, sources this file, runs steps with
# test_expect_success, and ends with test_done. Each file gets its own trash
# directory (its cwd and $HOME), LANG=C and TZ=UTC, and an environment with no
# XALT_* variables but those set here. Output is TAP, for prove.
#
#   test_expect_success [PREREQ,...] 'description' 'shell body'
#   test_cmp expect actual         diff, shown on failure
#   test_must_fail cmd...          fails unless cmd exits 1..125 (a signal death fails)
#   test_set_prereq NAME / test_have_prereq NAME
#   skip_all='reason'; test_done   skip the whole file with a reason
#
# XALT helpers:
#   $XALT_PREFIX                   the installed tree under test (make check)
#   xalt_write_config [file]       the default test config (stdin appends lines)
#   xalt_tracked cmd...            run cmd tracked (through `xalt run`)
#   $XALT_LD_PRELOAD               LD_PRELOAD for the library alone (libasan first under ASan)
#   xalt_records                   list record files, oldest first
#   xalt_one_record                print the only record's path; fail unless exactly one
#   PY_DEBIAN, PY_VERSIONS         /usr/bin/python3 and the pyenv interpreters present

: "${XALT_TEST_PREFIX:?run the tests through 'make check'}"
XALT_PREFIX=$XALT_TEST_PREFIX
XALT_BUILD=${XALT_TEST_BUILD:-$(dirname "$XALT_PREFIX")}
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
SRC_DIRECTORY=$(dirname "$TEST_DIRECTORY")
this_test=${0##*/}
this_test=${this_test%.sh}
TRASH_DIRECTORY="$XALT_BUILD/trash/$this_test"
REAL_HOME=${HOME:-/root}

# A clean, predictable environment.
for v in $(env | sed -n 's/^\(XALT_[A-Za-z0-9_]*\)=.*/\1/p'); do
	case "$v" in XALT_TEST_*) ;; *) unset "$v" ;; esac
done
unset LD_PRELOAD PYTHONPATH R_PROFILE R_PROFILE_USER PYTHONSTARTUP
LANG=C LC_ALL=C TZ=UTC
export LANG LC_ALL TZ
# Files the tests make (configs, dirs other users must enter) get the modes
# the tests expect whatever the caller's umask: under 077, t5100, t4200 and
# t2000 failed on their own files, not on xalt's.
umask 022

if test "${XALT_TEST_ASAN:-0}" = 1; then
	# The sanitized preload library needs the ASan runtime loaded first.
	XALT_TEST_LIBASAN=$(${CC:-cc} -print-file-name=libasan.so)
	# handle_*=0: ASan's own handlers would keep the preload library's fatal
	# signal handlers from being installed (they are only installed over SIG_DFL).
	ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export XALT_TEST_LIBASAN ASAN_OPTIONS UBSAN_OPTIONS
fi

rm -rf "$TRASH_DIRECTORY"
mkdir -p "$TRASH_DIRECTORY" || exit 1
cd "$TRASH_DIRECTORY" || exit 1
HOME=$TRASH_DIRECTORY
export HOME

test_count=0
test_failure=0
test_skipped=0
satisfied_prereq=" "

say() { printf '%s\n' "$*"; }
say_err() { printf '# %s\n' "$*"; }

test_set_prereq() { satisfied_prereq="$satisfied_prereq$1 "; }
test_have_prereq() {
	local p
	for p in $(printf '%s' "$1" | tr ',' ' '); do
		case "$p" in
		!*) case "$satisfied_prereq" in *" ${p#!} "*) return 1 ;; esac ;;
		*) case "$satisfied_prereq" in *" $p "*) ;; *) return 1 ;; esac ;;
		esac
	done
	return 0
}

test_expect_success() {
	local prereq=
	test $# = 3 && { prereq=$1; shift; }
	test_count=$((test_count + 1))
	if test -n "$prereq" && ! test_have_prereq "$prereq"; then
		test_skipped=$((test_skipped + 1))
		say "ok $test_count # skip $1 (missing $prereq)"
		return 0
	fi
	local out rc
	out=$( (eval "$2") 2>&1 </dev/null)
	rc=$?
	if test $rc = 0; then
		say "ok $test_count - $1"
		test -n "${verbose:-}" && test -n "$out" && printf '%s\n' "$out" | sed 's/^/# /'
	else
		test_failure=$((test_failure + 1))
		say "not ok $test_count - $1"
		printf '%s\n' "$2" | sed 's/^/#	/'
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/# > /'
	fi
	return 0
}

test_cmp() { diff -u "$1" "$2"; }

# FILE exists and is empty; else its text goes to the test's output
test_must_be_empty() {
	test -f "$1" || { echo "# '$1' is missing"; return 1; }
	test -s "$1" || return 0
	echo "# '$1' is not empty:"; sed 's/^/# /' "$1"; return 1
}

test_must_fail() {
	"$@"
	local rc=$?
	if test $rc = 0; then
		say_err "test_must_fail: command succeeded: $*"
		return 1
	elif test $rc -gt 128 && test $rc -le 192; then
		say_err "test_must_fail: died by signal $((rc - 128)): $*"
		return 1
	elif test $rc = 127; then
		say_err "test_must_fail: command not found: $*"
		return 1
	fi
	return 0
}

test_done() {
	if test -n "${skip_all:-}" && test $test_count = 0; then
		say "1..0 # SKIP $skip_all"
		exit 0
	fi
	say "1..$test_count"
	if test $test_failure = 0; then
		cd / && rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	say_err "failed $test_failure of $test_count (trash kept: $TRASH_DIRECTORY)"
	exit 1
}

# --- XALT helpers -------------------------------------------------------------

# The test config: interpreters are PKGS, system tools SKIP, the rest KEEP.
# Lines on stdin (if any) go first, so they win.
xalt_write_config() {
	local f=${1:-$TRASH_DIRECTORY/xalt.conf}
	{
		test -t 0 || cat
		cat <<-\EOF
		syshost = name:testhost
		transmission = file
		path PKGS ^.*/python[0-9.]*$
		path PKGS ^.*/R$
		path SKIP ^/bin/
		path SKIP ^/usr/bin/
		path SKIP ^/usr/sbin/
		path SKIP ^/sbin/
		path SKIP ^/usr/lib/
		path KEEP .*
		env KEEP ^SLURM_
		env KEEP ^OMP_NUM_THREADS$
		env SKIP .*
		EOF
	} >"$f"
}

# Point tracking at the trash dir: config, records, spool.
xalt_setup() {
	xalt_write_config "$TRASH_DIRECTORY/xalt.conf" </dev/null
	XALT_CONFIG=$TRASH_DIRECTORY/xalt.conf
	XALT_FILE_PREFIX=$TRASH_DIRECTORY/records
	XALT_SPOOL_BASE=$TRASH_DIRECTORY/shm
	XALT_SAMPLING=no
	mkdir -p "$XALT_SPOOL_BASE"
	export XALT_CONFIG XALT_FILE_PREFIX XALT_SPOOL_BASE XALT_SAMPLING
}

# LD_PRELOAD value for running a program with the library directly (not via xalt run).
XALT_LIB=$XALT_PREFIX/lib/libxalt_init.so
XALT_LD_PRELOAD=${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}$XALT_LIB

xalt_tracked() {
	LD_PRELOAD="${XALT_TEST_LIBASAN:-}${LD_PRELOAD:+${XALT_TEST_LIBASAN:+:}$LD_PRELOAD}" \
		"$XALT_PREFIX/bin/xalt" run -- "$@"
}

xalt_records() {
	test -d "$XALT_FILE_PREFIX" || return 0
	find "$XALT_FILE_PREFIX" -name 'run.*.json' | sort
}

xalt_one_record() {
	local n
	n=$(xalt_records | wc -l)
	if test "$n" != 1; then
		say_err "expected exactly one record, found $n"
		xalt_records | sed 's/^/# /' >&2
		return 1
	fi
	xalt_records
}

# Interpreters, by absolute path (python3 on PATH is a slow pyenv shim).
PY_DEBIAN=
test -x /usr/bin/python3 && PY_DEBIAN=/usr/bin/python3 && test_set_prereq PYTHON
PY_VERSIONS=
for d in "$REAL_HOME"/.pyenv/versions/*/bin; do
	for p in "$d"/python3 "$d"/python2; do
		test -x "$p" && { PY_VERSIONS="$PY_VERSIONS $p"; break; }
	done
done
test -n "$PY_VERSIONS" && test_set_prereq PYENV
command -v Rscript >/dev/null 2>&1 && test_set_prereq R
command -v jq >/dev/null 2>&1 && test_set_prereq JQ
test "$(id -u)" = 0 && test_set_prereq ROOT
test "${XALT_TEST_ASAN:-0}" = 1 && test_set_prereq ASAN
test "${XALT_TEST_ASAN:-0}" = 1 || test_set_prereq NOASAN
