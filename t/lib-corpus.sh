# A small hand-made corpus for the report tests (t3100, t3200, t3300), and the
# expected report rows computed from the record files with jq, independently
# of xalt. Source after test-lib.sh and lib-records.sh.
#
#   make_corpus DIR         write the records into DIR
#   expect_report KIND [FILTER_JQ] [ARG]   expected CSV of `xalt report KIND`
#       FILTER_JQ selects records (e.g. 'select(.user == "alice")'),
#       ARG: the package for versions, the top N for packages (default 20)

make_corpus() {
	local d=$1
	mkrec "$d/run.1.json" 1 alice '.host = "node1" | .syshost = "alpha" | .interpreter.kind = "system" | '"$(pkgs '[["python","numpy","1.24.2",0.08],["python","yaml","6.0",0.01],["python","json",null,0.001]]')" &&
	mkrec "$d/run.2.json" 2 alice '.host = "node2" | .syshost = "alpha" | .interpreter.kind = "conda" | .exec.path = "/home/alice/conda/bin/python3.10" | '"$(pkgs '[["python","numpy","1.26.0",0.1],["python","pandas","2.0.3",0.3]]')"' | .packages[0] += {direct: false, imported_by: "pandas", startup: false, used: false, functions_used: 0} | .packages[1] += {direct: true, imported_by: null, startup: false, used: true, functions_used: 4}' &&
	mkrec "$d/run.3.json" 3 bob '.host = "node1" | .syshost = "alpha" | .interpreter.kind = "venv" | .run_time = 2.25 | '"$(pkgs '[["python","numpy","1.24.2",0.09],["python","requests","2.31.0",0.05]]')" &&
	mkrec "$d/run.4.json" 4 bob '.host = "node3" | .syshost = "beta" | .exec.path = "/usr/lib/R/bin/exec/R" | .exec.program = "R" | .interpreter = {program: "R", version: "4.2.2", kind: "system", prefix: "/usr/lib/R"} | .libraries += [{path: "/usr/lib/R/lib/libR.so"}] | '"$(pkgs '[["R","jsonlite","1.8.4",0.02],["R","digest","0.6.31",null]]')" &&
	mkrec "$d/run.5.json" 5 carol '.host = "node3" | .syshost = "beta" | .exec.path = "/usr/lib/R/bin/exec/R" | .exec.program = "R" | .interpreter = {program: "R", version: "4.2.2", kind: "system", prefix: "/usr/lib/R"} | .libraries += [{path: "/usr/lib/R/lib/libR.so"}] | '"$(pkgs '[["R","jsonlite","1.8.4",0.03]]')" &&
	mkrec "$d/run.6.json" 6 carol '.host = "node1" | .syshost = "alpha" | .interpreter.kind = "conda" | .exec.path = "/home/carol/conda/bin/python3.10" | '"$(pkgs '[["python","numpy",null,0.07],["python","yaml","6.0",0.02]]')"' | .packages[0] += {direct: false, imported_by: "yaml", startup: true, used: null}' &&
	mkrec "$d/run.7.json" 7 dave '.host = "node2" | .syshost = "alpha" | .exec = {path: "/opt/app/bin/sim", size: 1, mtime: 2, inode: 3, sha1: null, program: null, track: "KEEP"} | del(.interpreter) | .packages = [] | .run_time = 3600 | .libraries = [{path: "/opt/app/lib/libsim.so"}, {path: "/lib/x86_64-linux-gnu/libc.so.6"}]' &&
	mkrec "$d/run.8.json" 8 alice '.host = "node1" | .syshost = "alpha" | .interpreter.kind = "conda" | .exec.path = "/home/alice/conda/bin/python3.10" | '"$(pkgs '[["python","numpy","1.26.0",0.11],["python","pandas","2.0.3",0.25],["python","requests","2.31.0",0.04]]')"' | .packages[0] += {direct: true, used: true, functions_used: 2} | .packages[1] += {direct: true, used: false, functions_used: 0} | .packages[2] += {direct: false, imported_by: "pandas", used: false}'
}

# All records as one JSON array, filtered.
corpus_json() {
	cat "$CORPUS"/run.*.json | jq -s "map(${1:-.})"
}

expect_report() {
	local kind=$1 filter=${2:-.} arg=${3:-20}
	case $kind in
	packages)
		corpus_json "$filter" | jq -r --argjson top "$arg" '
			def q: if test("[,\"\n]") then "\"" + gsub("\""; "\"\"") + "\"" else . end;
			[.[] | .user as $u | .packages[] | {program, name, user: $u, direct, used}]
			| group_by([.program, .name])
			| map({program: .[0].program, name: .[0].name, runs: length,
			       users: (map(.user) | unique | length),
			       direct: (map(select(.direct == true)) | length),
			       used: (map(select(.used == true)) | length)})
			| group_by(.program)
			| map(sort_by([-.runs, -.users, .name]) | .[:$top]) | add // []
			| "program,package,runs,users,direct,used",
			  (.[] | "\(.program),\(.name | q),\(.runs),\(.users),\(.direct),\(.used)")'
		;;
	unused)
		echo "program,package,runs,used,unused,used_ratio"
		corpus_json "$filter" | jq -r '
			[.[] | .packages[] | select(.used != null) | {program, name, used}]
			| group_by([.program, .name])
			| map({program: .[0].program, name: .[0].name, runs: length,
			       used: (map(select(.used)) | length)})
			| sort_by([-(.runs - .used), -.runs, .program, .name])
			| .[] | "\(.program) \(.name) \(.runs) \(.used)"' |
		awk '{ printf "%s,%s,%d,%d,%d,%.3f\n", $1, $2, $3, $4, $3 - $4, $4 / $3 }'
		;;
	deps)
		corpus_json "$filter" | jq -r --arg pkg "$arg" '
			[.[] | .user as $u | .packages[] | select(.name == $pkg and .imported_by != null)
			 | {program, by: .imported_by, user: $u}]
			| group_by([.program, .by])
			| map({program: .[0].program, by: .[0].by, runs: length,
			       users: (map(.user) | unique | length)})
			| sort_by([.program, -.runs, .by])
			| "program,imported_by,runs,users", (.[] | "\(.program),\(.by),\(.runs),\(.users)")'
		;;
	versions)
		corpus_json "$filter" | jq -r --arg pkg "$arg" '
			[.[] | .user as $u | .packages[] | select(.name == $pkg) | {program, version: (.version // ""), user: $u}]
			| group_by([.program, .version])
			| map({program: .[0].program, version: .[0].version, runs: length,
			       users: (map(.user) | unique | length)})
			| sort_by([.program, -.runs, .version])
			| "program,version,runs,users", (.[] | "\(.program),\(.version),\(.runs),\(.users)")'
		;;
	conda)
		corpus_json "$filter" | jq -r '
			[.[] | select(.interpreter.program? == "python")] | group_by(.user)
			| map({user: .[0].user, s: map(select(.interpreter.kind == "system")) | length,
			       v: map(select(.interpreter.kind == "venv")) | length,
			       c: map(select(.interpreter.kind == "conda")) | length, t: length})
			| sort_by([-.t, .user])
			| "user,system,venv,conda,total", (.[] | "\(.user),\(.s),\(.v),\(.c),\(.t)")'
		;;
	import-time)
		echo "program,package,runs,total_s,mean_ms"
		corpus_json "$filter" | jq -r '
			[.[] | .packages[] | select(.import_time != null)
			 | {program, name, us: (.import_time * 1e6 + 0.5 | floor)}]
			| group_by([.program, .name])
			| map({program: .[0].program, name: .[0].name, runs: length, us: (map(.us) | add)})
			| sort_by([-.us, .program, .name]) | .[] | "\(.program) \(.name) \(.runs) \(.us)"' |
		awk '{ printf "%s,%s,%d,%.3f,%.3f\n", $1, $2, $3, $4 / 1e6, $4 / 1e3 / $3 }'
		;;
	executables)
		echo "executable,runs,users,run_time_s"
		corpus_json "$filter" | jq -r '
			group_by(.exec.path)
			| map({path: .[0].exec.path, runs: length, users: (map(.user) | unique | length),
			       t: (map(.run_time) | add)})
			| sort_by([-.runs, .path]) | .[] | "\(.path) \(.runs) \(.users) \(.t)"' |
		awk '{ printf "%s,%d,%d,%.3f\n", $1, $2, $3, $4 }'
		;;
	libraries)
		corpus_json "$filter" | jq -r '
			[.[] | .user as $u | .run_uuid as $r | .libraries[] | {path, user: $u, run: $r}]
			| group_by(.path)
			| map({path: .[0].path, runs: (map(.run) | unique | length),
			       users: (map(.user) | unique | length)})
			| sort_by([-.runs, .path])
			| "library,runs,users", (.[] | "\(.path),\(.runs),\(.users)")'
		;;
	esac
}
