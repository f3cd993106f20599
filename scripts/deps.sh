#!/usr/bin/env bash
# Install the Debian 12 packages that building, testing and the demo need.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail
pkgs=(
	build-essential clang make pkg-config git
	libjansson-dev libsqlite3-dev sqlite3 libpq-dev postgresql uuid-dev
	libcmocka-dev valgrind jq bc strace                         # t3000: strace, which commits sync
	python3 python3-numpy python3-yaml
	r-base-core r-cran-jsonlite r-cran-digest r-cran-magrittr r-cran-r6
	r-cran-r.oo r-cran-tibble                                   # t2100: dependencies
	r-cran-boot r-cran-class r-cran-nnet r-cran-spatial r-cran-codetools   # bench-r
	rsyslog chromium environment-modules scdoc man-db
	lua5.3 lua-posix lua-filesystem lua-term tcl
	slurm-wlm munge                                             # t4160: a private Slurm cluster
	python3-coverage python3-matplotlib                         # t1030: coverage.py on and off; t1020: a .pth at start-up
	python3-pandas                                              # t1050: a real scientific stack; bench npwork
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get update -q
	${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Lmod, for t/t5010-modules-lmod.sh. The Debian package conflicts with
# environment-modules (both own the `module` command), so it is unpacked into
# a private tree instead of installed; its dependencies come from apt above
# (lua5.3 lua-posix lua-filesystem lua-term tcl). Tests find it through
# XALT_TEST_LMOD (default below) and call its libexec/lmod directly.
LMOD_ROOT=${XALT_TEST_LMOD_ROOT:-/opt/xalt-test-lmod}
if [ ! -x "$LMOD_ROOT/usr/share/lmod/lmod/libexec/lmod" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download lmod >/dev/null 2>&1) || { apt-get update -q && (cd "$tmp" && apt-get download lmod); }
	${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} mkdir -p "$LMOD_ROOT"
	${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} dpkg -x "$tmp"/lmod_*.deb "$LMOD_ROOT"
	rm -rf "$tmp"
fi
