# Start a throw-away PostgreSQL 15 server for a test (or a benchmark).
# Source after test-lib.sh.
#
#   pg_start DIR    initdb + start a server with its data and socket under DIR,
#                   run as an unprivileged user (nobody when we are root);
#                   no TCP at all (listen_addresses=''). Sets PG_URL to a
#                   libpq URI for database "xalt". Returns 1 (with the reason on
#                   stderr) when the server cannot start.
#   pg_stop         stop it (also run at exit)
#   pg_start_or_skip_all    pg_start in the trash dir, or skip the whole test
#                   file with the reason (for files that are all PostgreSQL)
#   pg_start_or_say pg_start in the trash dir and set the PG prerequisite, or
#                   say why the PostgreSQL parts are skipped
#   psql_q SQL      run SQL as xalt on the test's database; rows unaligned,
#                   fields separated by '|', no headers

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=
PG_URL=

pg_as() {
	if test "$(id -u)" = 0; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_DIR=$1
	test -x "$PG_BIN/initdb" || { echo "no $PG_BIN/initdb" >&2; return 1; }
	mkdir -p "$PG_DIR/data" "$PG_DIR/sock" || return 1
	if test "$(id -u)" = 0; then
		chown -R nobody "$PG_DIR" || return 1
	fi
	chmod 700 "$PG_DIR/data"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U xalt --auth=trust --no-locale -E UTF8 \
		>"$PG_DIR/initdb.log" 2>&1 || { tail -5 "$PG_DIR/initdb.log" >&2; return 1; }
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-k $PG_DIR/sock -c listen_addresses= -c fsync=off -p 5432" start \
		>/dev/null 2>&1 || { tail -5 "$PG_DIR/server.log" >&2; return 1; }
	trap pg_stop EXIT
	pg_as "$PG_BIN/psql" -h "$PG_DIR/sock" -U xalt -d postgres -qc "CREATE DATABASE xalt" \
		>/dev/null || return 1
	PG_URL="postgresql:///xalt?host=$PG_DIR/sock&user=xalt"
}

pg_stop() {
	test -n "$PG_DIR" && test -f "$PG_DIR/data/postmaster.pid" &&
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	return 0
}

pg_start_or_skip_all() {
	pg_start "$TRASH_DIRECTORY/pg" 2>"$TRASH_DIRECTORY/pgstart.err" && return 0
	skip_all="cannot start a PostgreSQL server: $(tr '\n' ' ' <"$TRASH_DIRECTORY/pgstart.err")"
	test_done
}

pg_start_or_say() {
	if pg_start "$TRASH_DIRECTORY/pg" 2>"$TRASH_DIRECTORY/pgstart.err"; then
		test_set_prereq PG
	else
		say "PostgreSQL parts skipped: $(tr '\n' ' ' <"$TRASH_DIRECTORY/pgstart.err")"
	fi
}

psql_q() {
	pg_as "$PG_BIN/psql" -h "$PG_DIR/sock" -U xalt -d xalt -qAtF'|' -c "$1"
}
