#!/bin/bash
test_description='the preload library links libc only and exports only its documented symbols'
. "$(dirname "$0")/test-lib.sh"

# The documented exports: src/preload/exports.map (global:) and docs/design.md.
documented="xalt_version sigaction signal"

test_expect_success 'the library is installed' '
	test -f "$XALT_LIB"
'

test_expect_success NOASAN 'only libc is NEEDED (readelf -d)' '
	readelf -d "$XALT_LIB" | sed -n "s/.*(NEEDED).*\[\(.*\)\]/\1/p" >actual &&
	echo libc.so.6 >expect &&
	test_cmp expect actual
'

test_expect_success 'exported symbols are exactly the documented list (nm -D)' '
	nm -D --defined-only "$XALT_LIB" | awk "\$2 ~ /^[TDBRVW]$/ {print \$3}" |
		sed "s/@.*//" | sort -u >actual &&
	printf "%s\n" $documented | sort >expect &&
	test_cmp expect actual
'

test_expect_success 'exports.map names the same list' '
	sed -n "s/.*global:\(.*\)local:.*/\1/p" "$SRC_DIRECTORY/src/preload/exports.map" |
		tr -d " " | tr ";" "\n" | sed "/^\$/d" | sort >actual &&
	printf "%s\n" $documented | sort >expect &&
	test_cmp expect actual
'

test_expect_success 'untracked program with the library preloaded runs normally' '
	LD_PRELOAD=$XALT_LD_PRELOAD /bin/echo hello >actual &&
	echo hello >expect &&
	test_cmp expect actual
'

test_done
