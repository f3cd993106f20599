# Helpers for the ingest/report tests (t3xxx): write run records by hand.
# Source after test-lib.sh. Needs jq (prereq JQ).
#
#   rec_uuid N                 a valid lower-case UUID built from the number N
#   mkrec FILE N USER [JQ]     write an xalt-run/1 record with uuid rec_uuid N,
#                              user USER, then apply the jq filter JQ to it
#   pkgs '[[prog,name,ver,import_time],...]'   jq filter fragment setting .packages

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
# migration tests): the tables versions 4 and 5 added dropped. On PostgreSQL
# run $pg_unpartition_sql (lib-pg.sh) first.
summary_tables="sum_pkg pres_pkg sum_dep pres_dep sum_exec pres_exec sum_lib sum_kind pres_host"
to_schema3_sql="DROP TABLE retention; $(for t in $summary_tables; do printf 'DROP TABLE %s; ' $t; done)
	UPDATE schema_version SET version = 3;"
