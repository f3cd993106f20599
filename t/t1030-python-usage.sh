#!/bin/bash
test_description='Python: which packages were used, not just imported

Python 3.12+ tracks use with sys.monitoring (a tool id of its own): a
package whose function ran after its import is used, with the number of
distinct functions; one only imported is not; one whose only use is a C
callable (a C extension built here) is. Older Pythons say null. Also what
must not change: coverage.py measures the same lines, pdb works, a user'"'"'s
own sys.monitoring tool sees the same events, no fd is held.'

. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
MON_PY= OLD_PY=$PY_DEBIAN
for p in $PY_VERSIONS; do
	case $p in
	*/3.12*/*|*/3.13*/*) MON_PY="$MON_PY $p" ;;
	*/2.7*/*) OLD_PY="$OLD_PY $p" ;;
	esac
done
test -n "$MON_PY" && test_set_prereq MONITORING
test -n "${MON_PY// /}${OLD_PY// /}" || { skip_all='no Python interpreter'; test_done; }

xalt_setup
cat "$SRC_DIRECTORY/t/filter-cases.conf" >>"$XALT_CONFIG"
unset PYTHONDONTWRITEBYTECODE PYTHONNOUSERSITE
export PYTHONUSERBASE=$TRASH_DIRECTORY/ub

one_run() { cp "$(xalt_one_record)" rec.json && rm -rf "$XALT_FILE_PREFIX"; }
# tracked: xalt_tracked with no record left by an earlier (failed) test.
tracked() { rm -rf "$XALT_FILE_PREFIX"; xalt_tracked "$@"; }
# chained DIR SCRIPT: $PY SCRIPT tracked (stdout in out), with a site's own
# sitecustomize (stdin, written to DIR) behind the hook on PYTHONPATH.
chained() {
	mkdir -p "$1" && cat >"$1/sitecustomize.py" &&
	PYTHONPATH=$PWD/$1 tracked $PY "$2" >out
}

# usage: name, used, functions_used of our packages, by name.
usage() {
	jq -r '.packages[] | select(.name | test("^(pkg[a-z]|cext)$")) |
		[.name, .used, .functions_used] | map(tostring) | @tsv' rec.json | sort
}

# user_site PY: make PY's user site with pkga (two functions, one calling
# the other), pkgb (imported by pkga, never called), pkgc (a function run
# only during its own import), and cext when a C compiler and PY's headers
# are there (a C function, module cext._speed).
user_site() {
	us=$(PYTHONUSERBASE=$PYTHONUSERBASE $1 -c "import site; print(site.getusersitepackages())") &&
	rm -rf "$PYTHONUSERBASE" && mkdir -p "$us/pkga" "$us/pkgb" "$us/pkgc" "$us/cext" &&
	printf "import pkgb\ndef f(i):\n    return g(i)\ndef g(i):\n    return i\n" >"$us/pkga/__init__.py" &&
	printf "def h():\n    return 1\n" >"$us/pkgb/__init__.py" &&
	printf "def setup():\n    return 1\nsetup()\n" >"$us/pkgc/__init__.py" &&
	echo "from cext._speed import add" >"$us/cext/__init__.py" &&
	inc=$($1 -c "import sysconfig; print(sysconfig.get_paths()[\"include\"])") &&
	cat >speed.c <<-\EOF &&
	#define PY_SSIZE_T_CLEAN
	#include <Python.h>
	static PyObject *add(PyObject *self, PyObject *args)
	{
		long a, b;
		if (!PyArg_ParseTuple(args, "ll", &a, &b))
			return NULL;
		return PyLong_FromLong(a + b);
	}
	static PyMethodDef methods[] = { { "add", add, METH_VARARGS, NULL }, { NULL } };
	static struct PyModuleDef mod = { PyModuleDef_HEAD_INIT, "cext._speed", NULL, -1, methods };
	PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&mod); }
	EOF
	${CC:-cc} -shared -fPIC -I"$inc" -o "$us/cext/_speed.so" speed.c
}

test_expect_success 'setup: the user'"'"'s script' '
	cat >s.py <<-\EOF
	import pkga, pkgc, cext
	total = 0
	for i in range(1000):
	    total += pkga.f(i) + cext.add(i, 1)
	print(total)
	EOF
'

for PY in $MON_PY; do
	test_expect_success MONITORING "$PY: used, functions_used; imported only: false, 0; C callable: used" '
		user_site $PY &&
		tracked $PY s.py >out &&
		echo 1000000 >expect && test_cmp expect out &&
		one_run &&
		usage >actual &&
		cat >expect <<-\EOF &&
		cext	true	1
		pkga	true	2
		pkgb	false	0
		pkgc	false	0
		EOF
		test_cmp expect actual
	'

	# Usage tracking starts once site has run usercustomize (its last
	# start-up step): what a usercustomize runs is start-up, not use, and
	# site's function is its own again afterwards.
	test_expect_success MONITORING "$PY: a usercustomize's calls are start-up, not use" '
		us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())") &&
		printf "import pkga\npkga.f(0)\n" >"$us/usercustomize.py" &&
		printf "import site, pkgb\nprint(pkgb.h(), site.execusercustomize.__module__)\n" >uc.py &&
		{ tracked $PY uc.py >out; rc=$?; rm -f "$us/usercustomize.py"; test $rc = 0; } &&
		echo "1 site" >expect && test_cmp expect out &&
		one_run && usage >actual &&
		printf "pkga\tfalse\t0\npkgb\ttrue\t1\n" >expect && test_cmp expect actual &&
		jq -r ".packages[] | select(.name == \"pkga\") | .startup" rec.json >actual &&
		echo true >expect && test_cmp expect actual
	'

	test_expect_success MONITORING "$PY: without a user site (-s) usage tracking starts at once" '
		us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())") &&
		rm -rf nous && mkdir -p nous/site-packages &&
		cp -r "$us/pkga" "$us/pkgb" nous/site-packages/ &&
		printf "import sys, pkga\nprint(pkga.f(1), sys.flags.no_user_site)\n" >ns.py &&
		PYTHONPATH=$PWD/nous/site-packages tracked $PY -s ns.py >out &&
		echo "1 1" >expect && test_cmp expect out &&
		one_run && usage >actual &&
		printf "pkga\ttrue\t2\npkgb\tfalse\t0\n" >expect && test_cmp expect actual
	'

	# Code exec'd from text has the file name <string> whatever module runs
	# it: its package is asked each time, never remembered by file name.
	# Each package's <string> function runs only from the package's own
	# code (a call from the user's code would count it anyway).
	test_expect_success MONITORING "$PY: <string> code is its own package's use" '
		us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())") &&
		mkdir -p "$us/pkgd" "$us/pkge" &&
		cat >"$us/pkgd/__init__.py" <<-\EOF &&
		exec("def f():\n    return 1\n")
		def run():
		    return f()
		EOF
		cat >"$us/pkge/__init__.py" <<-\EOF &&
		exec("def g():\n    return 2\n")
		def run():
		    return g()
		EOF
		printf "import pkgd, pkge\nprint(pkgd.run() + pkge.run())\n" >de.py &&
		tracked $PY de.py >out &&
		echo 3 >expect && test_cmp expect out &&
		one_run &&
		jq -r ".packages[] | select(.name | test(\"^pkg[de]$\")) | [.name, .used, .functions_used] | map(tostring) | @tsv" rec.json | sort >actual &&
		printf "pkgd\ttrue\t2\npkge\ttrue\t2\n" >expect && test_cmp expect actual &&
		rm -rf "$us/pkgd" "$us/pkge"
	'

	# The import system (importlib, zipimport's path hook) runs for every
	# import: its code is never a use, nor is the hook's finder (it carries
	# importlib's frozen file name); a
	# function of importlib the program calls is. Once importlib is
	# imported, the frozen modules are named importlib._bootstrap*.
	test_expect_success MONITORING "$PY: the import system and the hook's finder are never a use, importlib.import_module is" '
		cat >own.py <<-\EOF &&
		import sys, importlib
		st = sys.meta_path[0]._xalt_module._st
		import json, email.mime.text, xml.dom.minidom
		importlib.import_module("csv")
		codes = [c for c in st.counted.values() if c is not None]
		print(len([c for c in codes if c.co_filename.startswith(("<frozen importlib", "<frozen zipimport"))]),
		      len([c for c in codes if c.co_name == "import_module"]),
		      st.uses.get("_frozen_importlib", 0), st.uses.get("_frozen_importlib_external", 0),
		      st.uses.get("zipimport", 0))
		EOF
		tracked $PY own.py >out &&
		echo "0 1 0 0 0" >expect && test_cmp expect out
	'

	test_expect_success MONITORING "$PY: a killed run keeps the first use (U line written at once)" '
		printf "import os, pkga\npkga.f(1)\nos.kill(os.getpid(), 9)\n" >kill.py &&
		d=$XALT_SPOOL_BASE/xalt-$(id -u) &&
		rm -rf "$d"/* &&
		{ tracked $PY kill.py; test $? = 137; } &&
		grep -h "^U	python	pkga	1\$" "$d"/*/pkgs &&
		grep -h "^M	python	on\$" "$d"/*/pkgs &&
		! grep -h "^U	python	pkgb	" "$d"/*/pkgs &&
		rm -rf "$d"/*
	'

	test_expect_success MONITORING "$PY: no free tool id: used is null, the user's tools keep theirs" '
		printf "import sys\nimport pkga\npkga.f(1)\nprint(sys.monitoring.get_tool(3), sys.monitoring.get_tool(4))\n" >b.py &&
		chained busy b.py <<-\EOF &&
		import sys
		sys.monitoring.use_tool_id(3, "site tool 3")
		sys.monitoring.use_tool_id(4, "site tool 4")
		EOF
		echo "site tool 3 site tool 4" >expect && test_cmp expect out &&
		one_run && usage >actual &&
		printf "pkga\tnull\tnull\npkgb\tnull\tnull\n" >expect && test_cmp expect actual
	'

	# At exit, after the last U lines, usage tracking ends and the tool id
	# is given back (held callbacks kept the hook's module alive into the
	# last stage of finalization): an exit handler registered before ours,
	# by a site's own sitecustomize, finds it free.
	test_expect_success MONITORING "$PY: at exit the counts are written, then the tool id is given back" '
		printf "import sys, pkga\npkga.f(1)\nprint(sys.monitoring.get_tool(4))\n" >late.py &&
		chained late late.py <<-\EOF &&
		import atexit, sys
		atexit.register(lambda: print("at exit:", sys.monitoring.get_tool(4), sys.monitoring.get_tool(3)))
		EOF
		printf "xalt\nat exit: None None\n" >expect && test_cmp expect out &&
		one_run && usage >actual &&
		printf "pkga\ttrue\t2\npkgb\tfalse\t0\n" >expect && test_cmp expect actual
	'
done

for PY in $OLD_PY; do
	test_expect_success "$PY: no sys.monitoring: used and functions_used are null" '
		us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())") &&
		rm -rf "$PYTHONUSERBASE" && mkdir -p "$us/pkga" "$us/pkgb" &&
		printf "import pkgb\ndef f(i):\n    return i\n" >"$us/pkga/__init__.py" && : >"$us/pkgb/__init__.py" &&
		tracked $PY -c "import pkga; pkga.f(1)" &&
		one_run && usage >actual &&
		printf "pkga\tnull\tnull\npkgb\tnull\tnull\n" >expect && test_cmp expect actual
	'
done

# What must not change. A user's own tool (the profiler's id) counting
# PY_START and CALL events, never disabling them: the same counts.
test_expect_success MONITORING 'a user'"'"'s own sys.monitoring tool sees the same events' '
	PY=${MON_PY##* } && user_site $PY &&
	cat >tool.py <<-\EOF &&
	import sys
	m = sys.monitoring
	E = m.events
	n = {"start": 0, "call": 0}
	def mine(code):
	    return code.co_filename.endswith(("tool.py", "pkga/__init__.py"))
	def start(code, off):
	    if mine(code):
	        n["start"] += 1
	def call(code, off, f, a):
	    if mine(code):
	        n["call"] += 1
	m.use_tool_id(m.PROFILER_ID, "mine")
	m.register_callback(m.PROFILER_ID, E.PY_START, start)
	m.register_callback(m.PROFILER_ID, E.CALL, call)
	m.set_events(m.PROFILER_ID, E.PY_START | E.CALL)
	import pkga
	for i in range(100):
	    pkga.f(i)
	m.set_events(m.PROFILER_ID, 0)
	print(n)
	EOF
	$PY tool.py >expect &&
	tracked $PY tool.py >actual &&
	test_cmp expect actual &&
	one_run &&
	test "$(jq -r ".packages[] | select(.name == \"pkga\") | .used" rec.json)" = true
'

test_expect_success MONITORING 'usage tracking holds no file descriptor' '
	PY=${MON_PY##* } &&
	printf "import os, pkga\npkga.f(1)\nprint(sorted(os.listdir(\"/proc/self/fd\")))\nprint(os.open(\"/dev/null\", 0))\n" >fds.py &&
	$PY fds.py >expect &&
	tracked $PY fds.py >actual &&
	test_cmp expect actual &&
	one_run && test "$(jq -r ".packages[] | select(.name == \"pkga\") | .used" rec.json)" = true
'

# Debian'"'"'s coverage.py (6.5: the settrace tracer on 3.12+, its C tracer on
# 3.11), the same report with the hook on as off.
for PY in $PY_DEBIAN $MON_PY; do
	test_expect_success PYTHON "$PY: coverage.py measures the same lines with the hook on and off" '
		test -d /usr/lib/python3/dist-packages/coverage || {
			say "# python3-coverage is not installed: nothing to compare"; return 0; } &&
		mkdir -p covonly && ln -sfn /usr/lib/python3/dist-packages/coverage covonly/coverage &&
		printf "def f(x):\n    if x:\n        return 1\n    return 2\nf(1)\nimport json\njson.dumps(1)\n" >c.py &&
		PYTHONPATH=$PWD/covonly $PY -m coverage run --data-file=off.cov c.py &&
		PYTHONPATH=$PWD/covonly tracked $PY -m coverage run --data-file=on.cov c.py &&
		one_run &&
		PYTHONPATH=$PWD/covonly $PY -m coverage report -m --data-file=off.cov >expect &&
		PYTHONPATH=$PWD/covonly $PY -m coverage report -m --data-file=on.cov >actual &&
		test_cmp expect actual &&
		grep "^c.py  *7  *1  *86%  *4\$" actual
	'
done

for PY in $PY_DEBIAN $MON_PY; do
	test_expect_success PYTHON "$PY: pdb breaks, prints and continues as without the hook" '
		printf "import json\nx = json.dumps([1, 2])\ny = len(x)\nprint(y)\n" >p.py &&
		printf "b 3\nc\np x\nc\n" >cmds &&
		$PY -m pdb p.py <cmds >expect 2>&1 &&
		tracked $PY -m pdb p.py <cmds >actual 2>&1 &&
		test_cmp expect actual &&
		grep -F "[1, 2]" actual
	'
done

test_done
