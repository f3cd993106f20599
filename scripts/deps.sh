#!/usr/bin/env bash
# Install the Debian 12 packages that building, testing and the demo need.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail
pkgs=(
	build-essential clang make pkg-config git
	libjansson-dev libsqlite3-dev sqlite3 libpq-dev postgresql uuid-dev
	libcmocka-dev valgrind jq bc
	python3 python3-numpy python3-yaml
	r-base-core r-cran-jsonlite r-cran-digest r-cran-magrittr r-cran-r6
	rsyslog chromium environment-modules scdoc man-db
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
