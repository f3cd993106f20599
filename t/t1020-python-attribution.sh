#!/bin/bash
test_description='Python: who chose each package (direct, imported_by, startup)

Real interpreters under `xalt run`: a user site (PYTHONUSERBASE) holds
packages that import each other and a .pth file that imports one at
start-up; a shadowed sitecustomize imports another. The record says which
ones the user'"'"'s code imported (direct), which package pulled the others
in (imported_by), and which came before the user'"'"'s code began
(startup). Each case is decided from where the import statement is, so the
expectations below follow from the files this test writes.'

. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
# Debian's, one Python 2, and the two with sys.monitoring (3.12, 3.13)
SOME_PY=$PY_DEBIAN
for p in $PY_VERSIONS; do
	case $p in */2.7*/*|*/3.12*/*|*/3.13*/*) SOME_PY="$SOME_PY $p" ;; esac
done
test -n "${SOME_PY// /}" || { skip_all='no Python interpreter'; test_done; }

xalt_setup
cat "$SRC_DIRECTORY/t/filter-cases.conf" >>"$XALT_CONFIG"
unset PYTHONDONTWRITEBYTECODE PYTHONNOUSERSITE
export PYTHONUSERBASE=$TRASH_DIRECTORY/ub

one_run() { cp "$(xalt_one_record)" rec.json && rm -rf "$XALT_FILE_PREFIX"; }

# attr: name, direct, imported_by, startup of our packages, by name.
attr() {
	jq -r '.packages[] | select(.name | test("^(pkg[a-z]|startpkg|chain[a-z]+)$")) |
		[.name, .direct, .imported_by, .startup] | map(tostring) | @tsv' rec.json | sort
}

# The user's script and a module of theirs (outside every prefix and site dir).
test_expect_success 'setup: the user'"'"'s script and module' '
	cat >s.py <<-\EOF &&
	import pkga
	import mymod
	import importlib
	importlib.import_module("pkge")
	pkga.later()
	EOF
	echo "import pkgc" >mymod.py
'

for PY in $SOME_PY; do
	test_expect_success "$PY: direct, pulled in, lazy, import_module and .pth start-up" '
		us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())") &&
		rm -rf "$PYTHONUSERBASE" && mkdir -p "$us" &&
		for p in pkga pkgb pkgc pkgd pkge startpkg; do mkdir "$us/$p" || return 1; done &&
		printf "import pkgb\ndef later():\n    import pkgd\n" >"$us/pkga/__init__.py" &&
		for p in pkgb pkgc pkgd pkge startpkg; do : >"$us/$p/__init__.py" || return 1; done &&
		echo "import startpkg" >"$us/start.pth" &&
		xalt_tracked $PY s.py &&
		one_run &&
		attr >actual &&
		cat >expect <<-\EOF &&
		pkga	true	null	false
		pkgb	false	pkga	false
		pkgc	true	null	false
		pkgd	false	pkga	false
		pkge	true	null	false
		startpkg	false	null	true
		EOF
		test_cmp expect actual
	'
done

test_expect_success PYENV 'a shadowed sitecustomize and what it imports are start-up; -c, -m and what its __main__ imports are direct' '
	PY=${PY_VERSIONS##* } &&
	us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())") &&
	rm -rf "$PYTHONUSERBASE" chain && mkdir -p "$us/chainpkg" "$us/chaindep" "$us/pkgm" chain &&
	echo "import chainpkg" >chain/sitecustomize.py &&
	echo "import chaindep" >"$us/chainpkg/__init__.py" &&
	: >"$us/chaindep/__init__.py" &&
	echo "import pkga" >"$us/pkgm/__main__.py" && : >"$us/pkgm/__init__.py" &&
	mkdir "$us/pkga" && : >"$us/pkga/__init__.py" &&
	PYTHONPATH=$PWD/chain xalt_tracked $PY -c "import pkga" &&
	one_run && attr >actual &&
	printf "chaindep\tfalse\tnull\ttrue\nchainpkg\tfalse\tnull\ttrue\npkga\ttrue\tnull\tfalse\n" >expect &&
	test_cmp expect actual &&
	xalt_tracked $PY -m pkgm &&
	one_run && attr >actual &&
	printf "pkga\ttrue\tnull\tfalse\npkgm\ttrue\tnull\tfalse\n" >expect &&
	test_cmp expect actual
'

test_expect_success PYTHON 'Debian: mpl_toolkits, imported by a .pth file, is start-up, not chosen' '
	test -f /usr/lib/python3/dist-packages/matplotlib-*-nspkg.pth || {
		say "# no matplotlib nspkg .pth file here: nothing to check"; return 0; } &&
	xalt_tracked $PY_DEBIAN -c pass &&
	one_run &&
	jq -r ".packages[] | select(.name == \"mpl_toolkits\") | [.direct, .startup] | @tsv" rec.json >actual &&
	printf "false\ttrue\n" >expect && test_cmp expect actual
'

test_done
