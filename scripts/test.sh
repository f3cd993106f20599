#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependencies, the normal build's
# tests, the same with clang, then the same suite under ASan+UBSan, then valgrind on the CLI tools
# (make check-valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
make -j"$jobs"
make check PROVE_OPTS="-j$jobs"
make CC=clang B=build-clang check PROVE_OPTS="-j$jobs"   # the same suite built with clang
make check-asan PROVE_OPTS="-j$jobs"
make check-valgrind
