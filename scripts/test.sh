#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependencies, the normal build's
# tests (and a clang build), then the same suite under ASan+UBSan, then valgrind on the CLI tools
# (make check-valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
make -j"$jobs"
make CC=clang B=build-clang -j"$jobs"     # must build warning-free with clang too
make check PROVE_OPTS="-j$jobs"
make check-asan PROVE_OPTS="-j$jobs"
make check-valgrind
