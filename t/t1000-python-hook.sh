#!/bin/bash
test_description='Python hook (site/sitecustomize.py), standalone

The hook alone, without the preload library: a shell makes the run spool
<base>/xalt-<uid>/<uuid>.<pid> and execs the interpreter, so the pid matches
as it does under the preload library. Every pyenv Python present and
Debian'"'"'s /usr/bin/python3, by absolute path. Expected values come from the
interpreter itself run untracked, or from dpkg, never typed in here.'

. "$(dirname "$0")/test-lib.sh"

SITE=$XALT_PREFIX/site
UDIR=$TRASH_DIRECTORY/shm/xalt-$(id -u)
UUID=0a4c3e52-7a9e-4f0b-9a53-6a1f2de0c1b7
ALL_PY="$PY_DEBIAN $PY_VERSIONS"
test -n "${ALL_PY// /}" || { skip_all='no Python interpreter'; test_done; }
mkdir -p -m 700 "$UDIR"
unset PYTHONDONTWRITEBYTECODE

# py_tracked PY ARGS...: run PY tracked; its spool dir's path goes to ./spool.
# Extra environment for the interpreter comes from $EXTRA_PYTHONPATH.
py_tracked() {
	bash -c 'd=$1/$2.$$; shift 2; mkdir -m 700 "$d" && echo "$d" >spool &&
		XALT_RUN_UUID=$U XALT_SPOOL_DIR=$d \
		PYTHONPATH=$S${EXTRA_PYTHONPATH:+:$EXTRA_PYTHONPATH} exec "$@"' \
		x "$UDIR" "$UUID" "$@"
}
export U=$UUID S=$SITE

# pkgs: the P/I lines of the last tracked run.
pkgs() { cat "$(cat spool)/pkgs"; }

# field NAME COL: column COL (1-based) of the P line of NAME.
field() { pkgs | awk -F'\t' -v n="$1" -v c="$2" '$1 == "P" && $3 == n { print $c; exit }'; }

# untracked PY CODE: what the interpreter itself says, without our hook.
untracked() { "$1" -c "$2"; }

# is_py2 PY
is_py2() { "$1" -c 'import sys; sys.exit(sys.version_info[0] != 2)'; }

# holds PY: a library's import holds lines there (3.7+: os.register_at_fork)
holds() { "$1" -c 'import os; os.register_at_fork'; } 2>/dev/null

# hold_tracked PY SCRIPT: run hold/mine/SCRIPT tracked from hold/mine, with
# the library dir hold/lib/site-packages on the path; its spool goes to ./spool.
hold_tracked() {
	(cd hold/mine && EXTRA_PYTHONPATH=$TRASH_DIRECTORY/hold/lib/site-packages \
		py_tracked "$1" "$2") && mv hold/mine/spool spool
}

# once NAME...: the last tracked run wrote exactly one P line for each NAME.
once() {
	for n in "$@"; do
		test "$(pkgs | grep -c "^P	python	$n	")" = 1 || return 1
	done
}

test_expect_success 'the hook is installed' '
	test -f "$SITE/sitecustomize.py"
'

# The hook's own dirname (fewer calls per import) must be os.path.dirname:
# every path of up to 6 of "/", "a", ".", as str and bytes (2.7: unicode).
# The file is run by path (Debian's Python has a sitecustomize of its own,
# which ours chains to).
test_expect_success 'the hook'"'"'s _dirname is os.path.dirname, on every Python' '
	for PY in $ALL_PY; do
		$PY -S -c "
import itertools, os
f = \"$SITE/sitecustomize.py\"
g = {\"__name__\": \"xalt_hook\", \"__file__\": f}
exec(compile(open(f).read(), f, \"exec\"), g)
d = g[\"_dirname\"]
for n in range(7):
    for t in itertools.product(\"/a.\", repeat=n):
        p = \"\".join(t)
        for q in (p, p.encode(\"ascii\"), p.decode(\"ascii\") if bytes is str else p):
            assert d(q) == os.path.dirname(q), repr(q)
" || return 1
	done
'

# The hook takes its directory off sys.path once loaded (each import would
# look into it first); the environment keeps it, for child Pythons.
for PY in $ALL_PY; do
	test_expect_success "$PY: sys.path as without XALT, tracked or not; PYTHONPATH kept" '
		mkdir -p pp &&
		PYTHONPATH=$PWD/pp $PY -c "import sys; print(sys.path)" >expect &&
		EXTRA_PYTHONPATH=$PWD/pp py_tracked $PY -c "import sys; print(sys.path)" >actual &&
		test_cmp expect actual &&
		PYTHONPATH=$SITE:$PWD/pp $PY -c "import sys; print(sys.path)" >actual &&
		test_cmp expect actual &&
		EXTRA_PYTHONPATH=$PWD/pp py_tracked $PY -c "import os; print(os.environ[\"PYTHONPATH\"])" >actual &&
		echo "$SITE:$PWD/pp" >expect && test_cmp expect actual
	'
done

for PY in $ALL_PY; do
	test_expect_success "$PY: I line, json and submodules recorded, silently" '
		py_tracked $PY -c "import json; print(json.dumps(1))" >out 2>err &&
		echo 1 >expect && test_cmp expect out && test ! -s err &&
		ver=$(untracked $PY "import sys; print(sys.version.split()[0])") &&
		prefix=$(untracked $PY "import sys; print(sys.prefix)") &&
		printf "I\tpython\t%s\tsystem\t%s\n" "$ver" "$prefix" >expect &&
		pkgs | grep "^I" >actual && test_cmp expect actual &&
		jdir=$(untracked $PY "import os, json; print(os.path.dirname(json.__file__))") &&
		test "$(field json 5)" = "$jdir" &&
		test "$(field json 4)" = "" &&
		test "$(field json.decoder 5)" = "$jdir/decoder.py" &&
		test "$(pkgs | grep -c "^P	python	json	")" = 1 &&
		if is_py2 $PY; then test "$(field json 6)" = ""
		else field json 6 | grep -E "^[0-9]+$"; fi
	'

	# A .pth file in the user site imports a module before the hook runs;
	# what is compiled into the interpreter (built in, frozen: on 3.11+
	# os, io, site...) is not swept, the standard library's files are.
	test_expect_success "$PY: modules imported before the hook are swept, but not those compiled in" '
		us=$(PYTHONUSERBASE=$PWD/ub2 PYTHONNOUSERSITE= $PY -c "import site; print(site.getusersitepackages())") &&
		mkdir -p "$us" &&
		printf "X = 1\n" >"$us/early_mod.py" &&
		printf "import early_mod\n" >"$us/early.pth" &&
		untracked $PY "import sys; print(\"sys\" in sys.modules and \"sys\" in sys.builtin_module_names)" >out &&
		echo True >expect && test_cmp expect out &&
		PYTHONUSERBASE=$PWD/ub2 PYTHONNOUSERSITE= py_tracked $PY -c pass &&
		test "$(field early_mod 5)" = "$us/early_mod.py" &&
		test "$(field early_mod 9)" = 1 &&
		! pkgs | grep "^P	python	sys	" &&
		if ! is_py2 $PY; then
			# (on 2.7 the chain imports imp, a built-in, while starting)
			pkgs | awk -F"\t" "\$1 == \"P\" && \$9 == 1 && (\$5 == \"built-in\" || \$5 == \"frozen\")" >compiled_in &&
			test ! -s compiled_in &&
			test "$(field encodings 9)" = 1
		fi &&
		rm -rf ub2
	'

	test_expect_success "$PY: errors, warnings and output as without the hook" '
		mkdir -p m &&
		printf "x = 1\nraise ValueError(\"boom\")\n" >m/broken.py &&
		printf "import warnings\nwarnings.warn(\"old\", DeprecationWarning, stacklevel=2)\n" >m/warny.py &&
		printf "import broken\n" >m/t1.py &&
		printf "import no_such_module_xyz\n" >m/t2.py &&
		printf "import warnings\nwarnings.simplefilter(\"always\")\nimport warny\nfrom json import nosuchname\n" >m/t3.py &&
		for s in t1 t2 t3; do
			(cd m && test_must_fail $PY $s.py >../out.a 2>../err.a) &&
			(cd m && test_must_fail py_tracked $PY $s.py >../out.b 2>../err.b) &&
			test_cmp out.a out.b && test_cmp err.a err.b || return 1
		done
	'

	# Start-up ends after site's usercustomize step: the hook stands in for
	# site.execusercustomize meanwhile, and must not show in what a
	# usercustomize's warnings, exits and stack say (3.x). Its frame, like
	# the finder's, carries importlib's name: the stack is compared without
	# importlib's frames.
	test_expect_success "$PY: a usercustomize's warnings, exit and stack as without the hook" '
		us=$(PYTHONUSERBASE=$PWD/ub $PY -c "import site; print(site.getusersitepackages())") &&
		rm -rf ub && mkdir -p "$us" &&
		cat >"$us/usercustomize.py" <<-\EOF &&
		import os, sys, traceback, warnings
		warnings.warn("from usercustomize", stacklevel=3)
		print([f[2] for f in traceback.extract_stack() if "importlib" not in f[0]])
		if os.environ.get("UC_EXIT"):
		    sys.exit(3)
		EOF
		for e in "" 1; do
			{ UC_EXIT=$e PYTHONUSERBASE=$PWD/ub PYTHONNOUSERSITE= $PY -c "print(1)" >out.a 2>err.a; echo $? >>out.a; } &&
			{ UC_EXIT=$e PYTHONUSERBASE=$PWD/ub PYTHONNOUSERSITE= py_tracked $PY -c "print(1)" >out.b 2>err.b; echo $? >>out.b; } &&
			grep "from usercustomize" err.a &&
			test_cmp out.a out.b && test_cmp err.a err.b || return 1
		done &&
		rm -rf ub
	'

	test_expect_success "$PY: a top-level module whose code fails is not recorded" '
		(cd m && test_must_fail py_tracked $PY t1.py 2>/dev/null) &&
		grep "^I	python	" "$(cat m/spool)/pkgs" &&
		! grep "^P	python	broken	" "$(cat m/spool)/pkgs"
	'

	test_expect_success "$PY: loader and __spec__ unchanged after import" '
		py_tracked $PY -c "
import json, sys
assert json.__loader__ is json.__spec__.loader if sys.version_info[0] > 2 else True
name = type(getattr(json, \"__loader__\", None)).__name__
print(name)" >out.b &&
		$PY -c "
import json
print(type(getattr(json, \"__loader__\", None)).__name__)" >out.a &&
		test_cmp out.a out.b
	'

	test_expect_success "$PY: a sitecustomize after ours on the path still runs" '
		mkdir -p other &&
		printf "import os\nopen(os.environ[\"MARK\"], \"w\").write(__name__)\nflag = 42\n" >other/sitecustomize.py &&
		rm -f mark && MARK=$PWD/mark EXTRA_PYTHONPATH=$PWD/other py_tracked $PY -c "
import sitecustomize, os
import sys
sys.stdout.write(\"%d %s\\n\" % (sitecustomize.flag, os.path.basename(os.path.dirname(sitecustomize.__file__))))" >out &&
		echo "42 other" >expect && test_cmp expect out &&
		printf sitecustomize >expect && test_cmp expect mark &&
		rm -f mark && MARK=$PWD/mark PYTHONPATH=$SITE:$PWD/other $PY -c pass &&
		test_cmp expect mark
	'

	test_expect_success "$PY: errors in the chained sitecustomize read as without us" '
		mkdir -p bad &&
		printf "raise ValueError(\"site boom\")\n" >bad/sitecustomize.py &&
		PYTHONPATH=$PWD/bad $PY -c "print(1)" >out.a 2>err.a &&
		EXTRA_PYTHONPATH=$PWD/bad py_tracked $PY -c "print(1)" >out.b 2>err.b &&
		PYTHONPATH=$SITE:$PWD/bad $PY -c "print(1)" >out.c 2>err.c &&
		test_cmp out.a out.b && test_cmp err.a err.b &&
		test_cmp out.a out.c && test_cmp err.a err.c &&
		test -s err.a
	'

	test_expect_success "$PY: a fork()ed child goes on recording into the run's spool" '
		py_tracked $PY -c "
import os
pid = os.fork()
if pid == 0:
    import fractions
    os._exit(0)
os.waitpid(pid, 0)
import decimal" &&
		test "$(field decimal 3)" = decimal &&
		test "$(field fractions 3)" = fractions &&
		test "$(pkgs | grep -c "^P	python	fractions	")" = 1
	'

	# A library's import holds the lines of what it imports until the
	# outermost library import ends (one write); the user's own modules
	# write theirs at once (a module may run the whole job in its body); a
	# library whose code fails still writes what it imported, and fails as
	# without us. Each line once.
	test_expect_success "$PY: a library's imports are written once it is loaded, the user's own at once" '
		if ! holds $PY; then return 0; fi &&
		L=hold/lib/site-packages &&
		rm -rf hold && mkdir -p $L/libpkg $L/lib2 $L/badlib hold/mine/minepkg &&
		cat >hold/mine/peek.py <<-\EOF &&
		import os
		def peek(name):
		    with open(os.environ["XALT_SPOOL_DIR"] + "/pkgs", "rb") as f:
		        data = f.read()
		    n = name.encode("ascii")
		    print("%s %s %s" % (name, b"\tpython\t" + n + b".a\t" in data, b"\tpython\t" + n + b"\t" in data))
		EOF
		for p in $L/libpkg:libpkg $L/lib2:lib2 hold/mine/minepkg:minepkg; do
			printf "import %s.a\nimport peek\npeek.peek(\"%s\")\n" ${p#*:} ${p#*:} >${p%:*}/__init__.py &&
			: >${p%:*}/a.py || return 1
		done &&
		printf "import lib2\n" >>$L/libpkg/__init__.py &&
		printf "import peek\npeek.peek(\"lib2\")\n" >>$L/libpkg/__init__.py &&
		printf "import badlib.a\nraise ValueError(\"boom\")\n" >$L/badlib/__init__.py &&
		: >$L/badlib/a.py &&
		printf "import peek, minepkg, libpkg\npeek.peek(\"libpkg\")\npeek.peek(\"lib2\")\ntry:\n    import badlib\nexcept ValueError:\n    pass\npeek.peek(\"badlib\")\n" >hold/mine/t.py &&
		hold_tracked $PY t.py >actual &&
		printf "%s\n" "minepkg True False" "libpkg False False" "lib2 False False" "lib2 False False" \
			"libpkg True True" "lib2 True True" "badlib True False" >expect &&
		test_cmp expect actual &&
		once minepkg minepkg.a libpkg libpkg.a lib2 lib2.a badlib.a &&
		printf "import badlib\n" >hold/mine/t2.py &&
		(cd hold/mine && test_must_fail env PYTHONPATH=$TRASH_DIRECTORY/$L $PY t2.py) 2>expect &&
		test_must_fail hold_tracked $PY t2.py 2>actual &&
		test_cmp expect actual
	'

	# fork() while an import holds lines: a library that forks in its own
	# code, and a thread holding while another forks. The child writes its
	# own imports (it holds nothing: a worker may end with os._exit), the
	# parent what was held; each line once.
	test_expect_success "$PY: fork() during a library's import: each line written once" '
		if ! holds $PY; then return 0; fi &&
		L=hold/lib/site-packages &&
		rm -rf hold && mkdir -p $L/forklib $L/slowlib hold/mine &&
		printf "import forklib.a, os\npid = os.fork()\nif pid == 0:\n    import fractions\n    os._exit(0)\nos.waitpid(pid, 0)\nimport forklib.b\n" >$L/forklib/__init__.py &&
		: >$L/forklib/a.py && : >$L/forklib/b.py &&
		printf "import threading\nstarted = threading.Event()\ngo = threading.Event()\n" >hold/mine/ctl.py &&
		printf "import slowlib.a, ctl\nctl.started.set()\nctl.go.wait()\n" >$L/slowlib/__init__.py &&
		: >$L/slowlib/a.py &&
		cat >hold/mine/t.py <<-\EOF &&
		import os, threading, warnings
		warnings.simplefilter("ignore")
		import ctl, forklib
		t = threading.Thread(target=__import__, args=("slowlib",))
		t.start()
		ctl.started.wait()
		pid = os.fork()
		if pid == 0:
		    import colorsys
		    os._exit(0)
		os.waitpid(pid, 0)
		ctl.go.set()
		t.join()
		EOF
		hold_tracked $PY t.py &&
		once forklib forklib.a forklib.b fractions slowlib slowlib.a colorsys
	'

	# A daemon thread is stuck in a library's import when the program
	# ends: what was held meanwhile is written at exit.
	test_expect_success "$PY: lines held when the program exits are written" '
		if ! holds $PY; then return 0; fi &&
		L=hold/lib/site-packages &&
		rm -rf hold && mkdir -p $L/stuck hold/mine &&
		printf "import threading\nstarted = threading.Event()\nnever = threading.Event()\n" >hold/mine/ctl.py &&
		printf "import stuck.a, ctl\nctl.started.set()\nctl.never.wait()\n" >$L/stuck/__init__.py &&
		: >$L/stuck/a.py &&
		printf "import threading, ctl\nt = threading.Thread(target=__import__, args=(\"stuck\",))\nt.daemon = True\nt.start()\nctl.started.wait()\nimport colorsys\n" >hold/mine/t.py &&
		hold_tracked $PY t.py &&
		once colorsys stuck.a &&
		! pkgs | grep "^P	python	stuck	"
	'

	test_expect_success "$PY: the spool of another pid is left alone" '
		d=$UDIR/$UUID.1 && mkdir -p -m 700 $d &&
		XALT_RUN_UUID=$UUID XALT_SPOOL_DIR=$d PYTHONPATH=$SITE $PY -c "import json" &&
		test ! -e $d/pkgs && rmdir $d
	'

	test_expect_success "$PY: spool missing, not a dir, or pkgs a symlink: program unaffected" '
		$PY -c "import json; print(2)" >expect 2>&1 &&
		bash -c "XALT_RUN_UUID=$UUID XALT_SPOOL_DIR=$UDIR/gone.\$\$ PYTHONPATH=$SITE exec $PY -c \"import json; print(2)\"" >out 2>&1 &&
		test_cmp expect out &&
		bash -c ": >$UDIR/file.\$\$; XALT_RUN_UUID=$UUID XALT_SPOOL_DIR=$UDIR/file.\$\$ PYTHONPATH=$SITE exec $PY -c \"import json; print(2)\"" >out 2>&1 &&
		test_cmp expect out &&
		: >victim &&
		bash -c "mkdir -m 700 $UDIR/link.\$\$ && ln -s $PWD/victim $UDIR/link.\$\$/pkgs && XALT_RUN_UUID=$UUID XALT_SPOOL_DIR=$UDIR/link.\$\$ PYTHONPATH=$SITE exec $PY -c \"import json; print(2)\"" >out 2>&1 &&
		test_cmp expect out && test ! -s victim
	'
done

# --- names that need escaping, versions, kinds, chaining on Debian -----------

test_expect_success PYTHON 'names with TAB, backslash and non-UTF-8 bytes are escaped, raw bytes kept' '
	mkdir -p odd &&
	: >"odd/tab	x.py" && : >"odd/back\\y.py" && : >"$(printf "odd/bad\\377z.py")" &&
	EXTRA_PYTHONPATH=$PWD/odd py_tracked $PY_DEBIAN -c "
import importlib, os
importlib.import_module(\"tab\\tx\")
importlib.import_module(\"back\\\\y\")
importlib.import_module(os.fsdecode(b\"bad\\xffz\"))" &&
	pkgs | grep -F "	tab\\tx	" &&
	pkgs | grep -F "	back\\\\y	" &&
	pkgs | grep -a "$(printf "\tbad\377z\t")"
'

test_expect_success PYTHON 'Debian numpy and PyYAML: the versions dpkg installed' '
	npv=$(dpkg-query -W -f="\${Version}" python3-numpy) &&
	npv=${npv#*:} && npv=${npv%-*} &&
	yv=$(dpkg-query -W -f="\${Version}" python3-yaml) &&
	yv=${yv#*:} && yv=${yv%-*} &&
	py_tracked $PY_DEBIAN -c "import numpy, yaml" &&
	test "$(field numpy 4)" = "$npv" &&
	test "$(field yaml 4)" = "$yv" &&
	test "$(field numpy 5)" = /usr/lib/python3/dist-packages/numpy &&
	field numpy 6 | grep -E "^[0-9]+$" &&
	test "$(field numpy.core 4)" = ""
'

test_expect_success PYTHON 'Debian: its apport sitecustomize is chained' '
	mkdir -p apport &&
	printf "def install():\n    open(\"apport-mark\", \"w\").write(\"installed\")\n" \
		>apport/apport_python_hook.py &&
	rm -f apport-mark &&
	EXTRA_PYTHONPATH=$PWD/apport py_tracked $PY_DEBIAN -c "
import sitecustomize; print(sitecustomize.__file__)" >out &&
	echo /usr/lib/python3.11/sitecustomize.py >expect && test_cmp expect out &&
	echo installed >expect && printf "\n" >>apport-mark && test_cmp expect apport-mark
'

# A venv from the first Python 3 with the venv module; a conda-like one is a
# venv with a conda-meta directory (what conda checks for, and so do we).
VPY=
for p in $PY_VERSIONS $PY_DEBIAN; do
	is_py2 $p && continue
	$p -m venv --without-pip venvprobe >/dev/null 2>&1 && { VPY=$p; break; }
done
rm -rf venvprobe
test -n "$VPY" && test_set_prereq VENV

test_expect_success VENV 'a venv is classified venv, with its own prefix' '
	$VPY -m venv --without-pip v1 &&
	py_tracked v1/bin/python -c pass &&
	printf "venv\t%s\n" "$PWD/v1" >expect &&
	pkgs | awk -F"\t" "\$1 == \"I\" { print \$4 \"\t\" \$5 }" >actual &&
	test_cmp expect actual
'

test_expect_success VENV 'a prefix with conda-meta/ is classified conda' '
	$VPY -m venv --without-pip c1 && mkdir c1/conda-meta &&
	py_tracked c1/bin/python -c pass &&
	printf "conda\t%s\n" "$PWD/c1" >expect &&
	pkgs | awk -F"\t" "\$1 == \"I\" { print \$4 \"\t\" \$5 }" >actual &&
	test_cmp expect actual
'

test_expect_success VENV 'a conda-like env'"'"'s own sitecustomize (site-packages) is chained' '
	sp=$(c1/bin/python -c "import sysconfig; print(sysconfig.get_paths()[\"purelib\"])") &&
	printf "import os\nopen(os.environ[\"MARK\"], \"w\").write(\"env\")\n" >"$sp/sitecustomize.py" &&
	rm -f mark && MARK=$PWD/mark py_tracked c1/bin/python -c pass &&
	printf env >expect && test_cmp expect mark &&
	pkgs | grep "^I	python	.*	conda	$PWD/c1\$" &&
	rm "$sp/sitecustomize.py"
'

test_expect_success VENV 'a package in a venv: version from its dist-info, or __version__' '
	sp=$(v1/bin/python -c "import sysconfig; print(sysconfig.get_paths()[\"purelib\"])") &&
	mkdir -p "$sp/foo_pkg" "$sp/Foo_Pkg-1.2.3.dist-info" "$sp/bar" "$sp/Other-0.9.dist-info" \
		"$sp/baz" &&
	: >"$sp/foo_pkg/__init__.py" &&
	echo "bar" >"$sp/Other-0.9.dist-info/top_level.txt" && : >"$sp/bar/__init__.py" &&
	echo "__version__ = \"4.5\"" >"$sp/baz/__init__.py" &&
	py_tracked v1/bin/python -c "import foo_pkg, bar, baz" &&
	test "$(field foo_pkg 4)" = 1.2.3 &&
	test "$(field bar 4)" = 0.9 &&
	test "$(field baz 4)" = 4.5
'

test_expect_success VENV 'no version in the metadata'"'"'s name: Version: read from its file' '
	sp=$(v1/bin/python -c "import sysconfig; print(sysconfig.get_paths()[\"purelib\"])") &&
	mkdir -p "$sp/eggy" "$sp/wheely" "$sp/Wheely.dist-info" &&
	: >"$sp/eggy/__init__.py" && : >"$sp/wheely/__init__.py" &&
	printf "Metadata-Version: 1.1\nName: eggy\nVersion: 7.8\n\nVersion: 0\n" >"$sp/eggy.egg-info" &&
	printf "Metadata-Version: 2.1\nName: Wheely\nVersion: 2.0rc1\n" >"$sp/Wheely.dist-info/METADATA" &&
	py_tracked v1/bin/python -c "import eggy, wheely" &&
	test "$(field eggy 4)" = 7.8 &&
	test "$(field wheely 4)" = 2.0rc1
'

# The metadata index (_dist_index, _dist_find) on a listing given in a set
# order: whole normalised names (not qux_extra), metadata dirs only (not
# qux-stubs, listed first), the first listed of a name, no version in the
# name, case and dots normalised; top_level.txt read in listing order.
for PY in $ALL_PY; do
	test_expect_success "$PY: metadata index: whole names, metadata dirs only, first listed" '
		cat >idx.py <<-\EOF &&
		import sys
		hook = sys.argv[1] + "/sitecustomize.py"  # by path: Debian has its own
		if sys.version_info[0] == 2:
		    import imp
		    m = imp.load_source("xalt_hook", hook)
		else:
		    import importlib.util as u
		    spec = u.spec_from_file_location("xalt_hook", hook)
		    m = u.module_from_spec(spec)
		    spec.loader.exec_module(m)
		m._st = m._State("/dev/null")
		listing = ["qux-stubs", "Qux_Extra-9.9.dist-info", "qux", "qux-0.5.dist-info",
		           "qux-0.4.dist-info", "Zed.Lib-3.1.egg-info", "plain.dist-info",
		           "bad\nname-1.dist-info", "late-2.dist-info", "Other-1.dist-info"]
		m.os.listdir = lambda d: listing
		idx = m._dist_index("/x")
		print(" ".join(str(m._dist_find(idx, k)) for k in
		               ("qux", "qux_extra", "zed_lib", "plain", "bad", "quux", "late")))
		info, cur, infos = None, 0, []
		while True:
		    info, cur = m._dist_info_after(idx, cur)
		    if info is None:
		        break
		    infos.append(info)
		print(" ".join(infos))
		EOF
		$PY idx.py "$SITE" >actual &&
		cat >expect <<-\EOF &&
		qux-0.5.dist-info Qux_Extra-9.9.dist-info Zed.Lib-3.1.egg-info plain.dist-info None None late-2.dist-info
		Qux_Extra-9.9.dist-info qux-0.5.dist-info qux-0.4.dist-info Zed.Lib-3.1.egg-info plain.dist-info late-2.dist-info Other-1.dist-info
		EOF
		test_cmp expect actual
	'
done

test_expect_success VENV 'top_level.txt: each name gets its own dist'"'"'s version, in any order read' '
	sp=$(v1/bin/python -c "import sysconfig; print(sysconfig.get_paths()[\"purelib\"])") &&
	for d in Alpha-1.1 Beta-2.2 Gamma-3.3; do mkdir "$sp/$d.dist-info" || return 1; done &&
	printf "a_one\n" >"$sp/Alpha-1.1.dist-info/top_level.txt" &&
	printf "b_one\n\nb_two\n" >"$sp/Beta-2.2.dist-info/top_level.txt" &&
	printf "c_one\n" >"$sp/Gamma-3.3.dist-info/top_level.txt" &&
	for m in a_one b_one b_two c_one; do mkdir "$sp/$m" && : >"$sp/$m/__init__.py" || return 1; done &&
	py_tracked v1/bin/python -c "import c_one, b_two, a_one, b_one, baz" &&
	printf "%s\n" 1.1 2.2 2.2 3.3 4.5 >expect &&
	for m in a_one b_one b_two c_one baz; do field $m 4 || return 1; done >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON 'XALT_TRACING=yes explains, one xalt: line per decision' '
	XALT_TRACING=yes py_tracked $PY_DEBIAN -c pass 2>err &&
	grep "^xalt: python hook: recording imports into $UDIR/$UUID\." err &&
	d=$UDIR/$UUID.1 && mkdir -p -m 700 $d &&
	XALT_TRACING=yes XALT_RUN_UUID=$UUID XALT_SPOOL_DIR=$d PYTHONPATH=$SITE $PY_DEBIAN -c pass 2>err &&
	grep "^xalt: python hook: spool .* is not this process" err &&
	rmdir $d &&
	test $(grep -vc "^xalt: " err) = 0
'

test_expect_success PYTHON 'the first write fails (pkgs a symlink): no finder, and tracing says why' '
	printf "import sys\nprint([f for f in sys.meta_path if hasattr(f, \"_xalt_module\")])\n" >mp.py &&
	bash -c "mkdir -m 700 $UDIR/nof.\$\$ && ln -s $PWD/victim2 $UDIR/nof.\$\$/pkgs &&
		XALT_TRACING=yes XALT_RUN_UUID=$UUID XALT_SPOOL_DIR=$UDIR/nof.\$\$ PYTHONPATH=$SITE \
		exec $PY_DEBIAN mp.py" >out 2>err &&
	echo "[]" >expect && test_cmp expect out &&
	grep "^xalt: python hook: cannot write spool .*/nof\.[0-9]*: " err &&
	! grep "recording imports" err && test ! -e victim2
'

test_expect_success PYTHON 'importlib.util.find_spec probes return the finders'"'"' own loader' '
	py_tracked $PY_DEBIAN -c "
import importlib.util
s = importlib.util.find_spec(\"fractions\")
print(type(s.loader).__name__)" >out &&
	echo SourceFileLoader >expect && test_cmp expect out
'

test_done
