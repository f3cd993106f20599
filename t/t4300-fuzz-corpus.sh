#!/bin/bash
test_description='the committed fuzz corpora replay cleanly through every harness'
. "$(dirname "$0")/test-lib.sh"

# The harnesses are built without libFuzzer into $(B)/fuzz/*-replay by
# `make`; under check-asan they carry ASan+UBSan, so an out-of-bounds read on
# a corpus input fails here, not only in `make fuzz`.
for t in json pkgs config ingest syslog ere; do
	test_expect_success "corpus $t" "
		n=\$(ls \"$SRC_DIRECTORY/fuzz/corpus/$t\" | wc -l) &&
		test \$n -gt 0 &&
		\"$XALT_BUILD/fuzz/fuzz-$t-replay\" \"$SRC_DIRECTORY/fuzz/corpus/$t\" >out &&
		echo \"\$n inputs\" >expect &&
		test_cmp expect out
	"
done

test_done
