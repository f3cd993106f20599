#!/bin/bash
test_description='make install from a clean clone with DESTDIR staging: layout, modes, nothing outside the stage'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-modules.sh"

command -v git >/dev/null || { skip_all='git missing'; test_done; }

stage=$TRASH_DIRECTORY/stage
P=/opt/xalt-t5300-never-created

# The clone sees committed files only: that is the point (a file the
# Makefile needs but nobody committed fails here). It installs under umask
# 077, as root on a hardened system may: the modes checked below must come
# from the install itself, not from the caller's umask.
test_expect_success 'clean clone builds and installs into the stage' '
	git clone -q "$SRC_DIRECTORY" clone &&
	find "$TRASH_DIRECTORY" -path "$TRASH_DIRECTORY/clone" -prune -o -print | sort >before.list &&
	(cd clone && umask 077 && make -s -j2 install DESTDIR="$stage" PREFIX=$P B=build >../install.log 2>&1) &&
	test -d "$stage$P"
'

test_expect_success 'nothing written outside DESTDIR$PREFIX (and the build dir)' '
	test ! -e $P &&
	find "$TRASH_DIRECTORY" \( -path "$TRASH_DIRECTORY/clone" -o -path "$stage$P" \) -prune -o -print |
		grep -v -x -e "$TRASH_DIRECTORY/before.list" -e "$TRASH_DIRECTORY/install.log" |
		sort >after.list &&
	sed -e "\\|^$stage\$|d" -e "\\|^$stage/opt\$|d" after.list >after.trimmed &&
	grep -v -x -e "$TRASH_DIRECTORY/before.list" before.list >before.trimmed &&
	test_cmp before.trimmed after.trimmed &&
	(cd clone && git status --porcelain --ignored) | grep -v "^!! build/\$" >dirty;
	test ! -s dirty || { cat dirty; false; }
'

test_expect_success 'the documented layout is installed' '
	cd "$stage$P" &&
	for f in lib/libxalt_init.so bin/xalt libexec/xalt_record_pkg etc/xalt.conf \
		 share/modulefiles/xalt share/modulefiles-tcl/xalt \
		 share/man/man1/xalt.1 share/man/man1/xalt-doctor.1 share/man/man1/xalt-run.1 \
		 share/man/man1/xalt-config.1 share/man/man1/xalt-ingest.1 share/man/man1/xalt-db.1 \
		 share/man/man1/xalt-report.1 share/man/man1/xalt_record_pkg.1 \
		 share/man/man5/xalt.conf.5 share/doc/xalt/deploy.md share/doc/xalt/design.md; do
		test -e "$f" || { echo "missing: $f"; exit 1; }
	done &&
	ls share/modulefiles/xalt/*.lua &&
	ls share/modulefiles-tcl/xalt/*
'

test_expect_success 'modes: nothing world-writable, libraries and hooks world-readable, programs 755' '
	cd "$stage$P" &&
	find . -perm -o+w ! -type l >ww && test ! -s ww &&
	find . -type f ! -perm -o+r >unreadable && test ! -s unreadable &&
	find . -type d ! -perm 755 >baddirs && test ! -s baddirs &&
	test "$(stat -c %a lib/libxalt_init.so)" = 644 &&
	test "$(stat -c %a bin/xalt)" = 755 &&
	test "$(stat -c %a libexec/xalt_record_pkg)" = 755 &&
	find site share etc -type f ! -perm 644 >notdata && test ! -s notdata &&
	find . -type f -perm /6000 >setid && test ! -s setid
'

test_expect_success 'modulefiles name the final prefix, never the stage' '
	cd "$stage$P/share" &&
	grep -l "\"$P\"" modulefiles/xalt/*.lua &&
	grep -l "{$P}" modulefiles-tcl/xalt/* &&
	! grep -r "$stage" . &&
	! grep -r "@PREFIX@\\|@VERSION@" modulefiles modulefiles-tcl man
'

# Each modulefile with its own tool, when the machine has it (a machine has
# Environment Modules or Lmod, seldom both). The prefix does not exist here,
# so LD_PRELOAD is left alone.
test_expect_success MODULES_TCL 'the installed Tcl modulefile is valid for Environment Modules' '
	mf=$stage$P/share/modulefiles-tcl &&
	env -i PATH=/usr/bin:/bin HOME=$HOME bash --norc -c ". \"$MODULES_INIT\" && module use $mf && module load xalt && echo XALT=\$XALT_EXECUTABLE_TRACKING LD=\${LD_PRELOAD-unset}" >out 2>err &&
	echo "XALT=yes LD=unset" >expect && test_cmp expect out && test ! -s err
'

test_expect_success MODULES_LMOD 'the installed Lua modulefile is valid for Lmod' '
	mf=$stage$P/share/modulefiles &&
	env -i PATH=/usr/bin:/bin HOME=$HOME LMOD_PKG=$LMOD_PKG_DIR LMOD_DIR=$LMOD_PKG_DIR/libexec \
		bash --norc -c "module() { eval \"\$($LMOD_PKG_DIR/libexec/lmod bash \"\$@\")\"; }; module use $mf && module load xalt && echo XALT=\$XALT_EXECUTABLE_TRACKING LD=\${LD_PRELOAD-unset}" >out 2>err &&
	echo "XALT=yes LD=unset" >expect && test_cmp expect out && test ! -s err
'

# Issue 12 item 8: containers often set PYTHONDONTWRITEBYTECODE; the hook
# must still be installed byte-compiled for every interpreter the Makefile
# compiles for, or every Python start compiles it again (docs/python.md).
test_expect_success 'PYTHONDONTWRITEBYTECODE=1 in the environment: the hook is still byte-compiled' '
	(cd clone && HOME=$REAL_HOME PYTHONDONTWRITEBYTECODE=1 make -s install DESTDIR="$TRASH_DIRECTORY/stage2" PREFIX=$P B=build \
		>../install2.log 2>&1) &&
	site=$TRASH_DIRECTORY/stage2$P/site &&
	n=0 &&
	for py in /usr/bin/python3 "$REAL_HOME"/.pyenv/versions/*/bin/python; do
		test -x "$py" || continue
		pyc=$("$py" -c "import sys
try:
    from importlib.util import cache_from_source
    print(cache_from_source(sys.argv[1]))
except ImportError:
    print(sys.argv[1] + \"c\")" "$site/sitecustomize.py") &&
		test -s "$pyc" && test ! "$pyc" -ot "$site/sitecustomize.py" || { echo "no $pyc"; return 1; }
		n=$((n + 1))
	done &&
	test $n -ge 1
'

test_expect_success 'reinstalling keeps a site-edited config' '
	echo "# site edit" >>"$stage$P/etc/xalt.conf" &&
	(cd clone && make -s install DESTDIR="$stage" PREFIX=$P B=build >/dev/null 2>&1) &&
	tail -n1 "$stage$P/etc/xalt.conf" >actual &&
	echo "# site edit" >expect && test_cmp expect actual
'

test_done
