#!/bin/bash
test_description='Python: multiprocessing workers

Workers forked by a tracked run (os.fork, a multiprocessing Pool with the
fork start method) record into the run'"'"'s own spool: their imports and
uses are the run'"'"'s. forkserver and spawn start fresh interpreters: runs of
their own, whose forked workers count for that run.'

. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
SOME_PY=$PY_DEBIAN
for p in $PY_VERSIONS; do
	case $p in */3.12*/*|*/3.13*/*) SOME_PY="$SOME_PY $p" ;; esac
done
test -n "${SOME_PY// /}" || { skip_all='no Python 3 interpreter'; test_done; }

xalt_setup
cat "$SRC_DIRECTORY/t/filter-cases.conf" >>"$XALT_CONFIG"
unset PYTHONDONTWRITEBYTECODE PYTHONNOUSERSITE
export PYTHONUSERBASE=$TRASH_DIRECTORY/ub

# records_with NAME: the records, once one lists package NAME (a forkserver
# ends, and writes its record, after its parent: wait at most 20 s).
records_with() {
	for i in $(seq 1 100); do
		for r in $(xalt_records); do
			jq -e --arg n "$1" "any(.packages[]; .name == \$n)" "$r" >/dev/null && break 2
		done
		sleep 0.2
	done
	xalt_records
}

# entry REC NAME: name, direct, used of NAME in record REC ("" if absent).
entry() {
	jq -r --arg n "$2" '.packages[] | select(.name == $n) | [.name, .direct, .used] | map(tostring) | @tsv' "$1"
}

test_expect_success 'setup: a pool script; pkgw is imported and called in the workers only' '
	cat >pool.py <<-\EOF
	import multiprocessing as mp, sys
	def work(i):
	    import pkgw
	    return pkgw.double(i)
	if __name__ == "__main__":
	    ctx = mp.get_context(sys.argv[1])
	    with ctx.Pool(2) as p:
	        print(sum(p.map(work, range(10))))
	EOF
'

for PY in $SOME_PY; do
	us=$(PYTHONUSERBASE=$PYTHONUSERBASE $PY -c "import site; print(site.getusersitepackages())")
	case $PY in */3.1[23]*) used=true ;; *) used=null ;; esac

	test_expect_success "$PY: a fork Pool: the workers' imports and uses are the run's" '
		rm -rf "$XALT_FILE_PREFIX" "$PYTHONUSERBASE" && mkdir -p "$us/pkgw" &&
		printf "def double(i):\n    return 2 * i\n" >"$us/pkgw/__init__.py" &&
		xalt_tracked $PY "$TRASH_DIRECTORY/pool.py" fork >out &&
		echo 90 >expect && test_cmp expect out &&
		records_with pkgw >recs &&
		test $(wc -l <recs) = 1 &&
		entry "$(cat recs)" pkgw >actual &&
		printf "pkgw\ttrue\t%s\n" $used >expect &&
		test_cmp expect actual
	'

	test_expect_success "$PY: a forkserver Pool: the workers count for the forkserver's own run" '
		rm -rf "$XALT_FILE_PREFIX" &&
		xalt_tracked $PY "$TRASH_DIRECTORY/pool.py" forkserver >out &&
		echo 90 >expect && test_cmp expect out &&
		records_with pkgw >recs &&
		test $(wc -l <recs) -ge 2 &&
		main=$(for r in $(cat recs); do
			jq -r "select(.cmdline[1] == \"$TRASH_DIRECTORY/pool.py\") | input_filename" "$r"; done) &&
		test -n "$main" &&
		test -z "$(entry "$main" pkgw)" &&
		for r in $(cat recs); do entry "$r" pkgw; done >actual &&
		printf "pkgw\ttrue\t%s\n" $used >expect &&
		test_cmp expect actual
	'
done

test_done
