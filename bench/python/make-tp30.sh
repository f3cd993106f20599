#!/bin/bash
# The tp30 workload in DIR: 30 third-party packages in DIR/tp/lib/python/site-packages
# (a site-packages dir, so the shipped config keeps every one), each importing
# json and defining a function, and DIR/tp30.py importing them all. Prints
# the site-packages dir (for PYTHONPATH).
#
# usage: TP=$(bench/python/make-tp30.sh DIR)
set -eu
dir=${1:?usage: $0 DIR}
tp=$dir/tp/lib/python/site-packages
mkdir -p "$tp"
: >"$dir/tp30.py"
for i in $(seq -w 1 30); do
	mkdir -p "$tp/tpkg$i"
	printf 'import json\ndef f(x):\n    return x + 1\n' >"$tp/tpkg$i/__init__.py"
	echo "import tpkg$i" >>"$dir/tp30.py"
done
echo "$tp"
