# Helpers for the ingest/report tests (t3xxx): write run records by hand.
# Source after test-lib.sh. Needs jq (prereq JQ).
#
#   rec_uuid N                 a valid lower-case UUID built from the number N
#   mkrec FILE N USER [JQ]     write an xalt-run/1 record with uuid rec_uuid N,
#                              user USER, then apply the jq filter JQ to it
#   pkgs '[[prog,name,ver,import_time],...]'   jq filter fragment setting .packages
#   gen_thirds RUNS SEED       bench/gen-records.py's RUNS records in gen/, its
#                              counts in gen.counts, the files' names in all and
#                              in thirds in a, b and c
#   ingest_counts FILE         "read N, loaded N, duplicate N, rejected N" in
#                              FILE (xalt ingest's summary) -> "N N N N"
#   ingest_overlapping DB B1 B2   after gen_thirds: two `xalt ingest` at once
#                              into DB, over a and b (batches of B1) and over c
#                              and b (B2); both finish without a word on stderr,
#                              read two thirds each and load every run once

rec_uuid() {
	printf '%08x-0000-4000-8000-%012x\n' "$1" "$1"
}

mkrec() {
	local file=$1 n=$2 user=$3 filter=${4:-.}
	mkdir -p "$(dirname "$file")"
	jq -n --arg uuid "$(rec_uuid "$n")" --arg user "$user" --argjson n "$n" '{
		schema: "xalt-run/1", run_uuid: $uuid, syshost: "testhost",
		host: "node1", user: $user, uid: 1000,
		exec: { path: "/usr/bin/python3.11", size: 6831704, mtime: 1700000000,
			inode: 1234567, sha1: null, program: "python", track: "PKGS" },
		cwd: "/home/\($user)", cmdline: ["python3", "x.py"],
		start_time: (1764090000 + $n), end_time: (1764090010 + $n), run_time: 10.5,
		exit: { how: "exit", status: 0, signal: 0 },
		sampling: { probability: 1.0, forced: true },
		env: {},
		libraries: [ { path: "/lib/x86_64-linux-gnu/libc.so.6" },
			     { path: "/lib/x86_64-linux-gnu/libm.so.6" } ],
		interpreter: { program: "python", version: "3.11.2", kind: "system", prefix: "/usr" },
		packages: [ { program: "python", name: "numpy", version: "1.24.2",
			      path: "/usr/lib/python3/dist-packages/numpy", import_time: 0.084211 } ]
	} | '"$filter" >"$file"
}

pkgs() {
	printf '.packages = [%s[] | {program: .[0], name: .[1], version: .[2], path: ("/p/" + .[1]), import_time: .[3]}]' "$1"
}

# SQL taking a database of this version back to schema version 3 (for the
# migration tests): the tables versions 4, 5 and 8 added dropped. On PostgreSQL
# run $pg_unpartition_sql (lib-pg.sh) first.
summary_tables="sum_pkg pres_pkg sum_dep pres_dep sum_exec pres_exec sum_lib lib_rank sum_kind pres_host"
to_schema3_sql="DROP TABLE retention; $(for t in $summary_tables; do printf 'DROP TABLE %s; ' $t; done)
	UPDATE schema_version SET version = 3;"

gen_thirds() {
	local third=$(($1 / 3))
	"$TEST_DIRECTORY/../bench/gen-records.py" --runs "$1" --seed "$2" gen >gen.counts &&
	find gen -name "run.*.json" | sort >all &&
	sed -n "1,${third}p" all >a && sed -n "$((third + 1)),$((2 * third))p" all >b &&
	sed -n "$((2 * third + 1)),\$p" all >c &&
	test "$(awk '{ print $2 }' gen.counts)" = "$1"
}

ingest_counts() {
	sed -n 's/^read \([0-9]*\), loaded \([0-9]*\), duplicate \([0-9]*\), rejected \([0-9]*\)$/\1 \2 \3 \4/p' "$1"
}

ingest_overlapping() {
	local n r1 l1 d1 x1 r2 l2 d2 x2 pid1 pid2
	n=$(awk '{ print $2 }' gen.counts)
	{ xalt ingest --batch "$2" --db "$1" $(cat a b) >out1 2>err1 & pid1=$!; } &&
	{ xalt ingest --batch "$3" --db "$1" $(cat c b) >out2 2>err2 & pid2=$!; } &&
	wait $pid1 && wait $pid2 &&
	test_must_be_empty err1 && test_must_be_empty err2 &&
	read -r r1 l1 d1 x1 <<-EOT &&
	$(ingest_counts out1)
	EOT
	read -r r2 l2 d2 x2 <<-EOT &&
	$(ingest_counts out2)
	EOT
	test "$r1 $r2 $x1 $x2" = "$((2 * n / 3)) $((2 * n / 3)) 0 0" &&
	test $((l1 + l2)) = "$n" && test $((d1 + d2)) = $((n / 3))
}
