#!/usr/bin/env bash
# Reproduces the measurements in docs/performance.md on this machine.
#
#   scripts/bench.sh ratios     creates (gRPC and their REST twins), replay, get ÷ no-op (SQLite);
#                               then creates with scattered call ids ÷ no-op
#   scripts/bench.sh cpu        server (per thread) and load-generator CPU per request, idle share (SQLite);
#                               SCENARIOS="health create-interaction …" picks the scenarios, in order
#   scripts/bench.sh sched      why the cores go idle: `perf sched` of each load, by thread (needs perf)
#   scripts/bench.sh instructions  server instructions per no-op, create and get (needs valgrind)
#   scripts/bench.sh restarts   how long each WAL restart stops the SQLite writer (needs strace)
#   scripts/bench.sh sync       SQLite synchronous=FULL ÷ NORMAL
#   scripts/bench.sh postgres   PostgreSQL create at 32 clients vs pgbench (two-row and one-row)
#   scripts/bench.sh list       list latency at 10k vs 1M interactions
#   scripts/bench.sh fanout     10k Watch subscribers, publish→delivery p99
#   scripts/bench.sh all        everything above except sched, instructions and restarts
#
# Needs `cargo build --release` first. Each part starts its own server on a
# fresh database under $WORK (default: a temporary directory) and prints the
# server's RSS (idle, and after the load) beside the bench report.
# PostgreSQL: $PG_URL (default postgres://postgres@127.0.0.1:5432/test);
# the part makes and drops its own database.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/switchboard}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-50151}
SERVER_PID=

log() { printf '\n==> %s\n' "$*" >&2; }

rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# start DATABASE_URL [serve flags...]: a server on $PORT and a token in $TOKEN.
start() {
  local url=$1
  shift
  TOKEN=$("$BIN" tokens create --tenant bench --user bench --database-url "$url" 2>/dev/null)
  RUST_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" --database-url "$url" "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready 10 1
  echo "server RSS idle: $(rss)"
}

# wait_ready SECONDS SETTLE: until the server on $PORT answers (at most
# SECONDS), then SETTLE seconds more.
wait_ready() {
  for _ in $(seq 1 $(($1 * 10))); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
    sleep 0.1
  done
  sleep "$2"
}

stop() {
  echo "server RSS after load: $(rss)"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
}
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; true' EXIT

bench() {
  "$BIN" bench --target "http://127.0.0.1:$PORT" --token "$TOKEN" \
    --duration "$DURATION" --rounds "$ROUNDS" "$@"
}

ratios() {
  log "ratios to the no-op RPC, SQLite (synchronous=normal)"
  start "sqlite://$WORK/ratios.db?mode=rwc"
  bench --scenario health --scenario create-interaction --scenario find-phone-call-and-publish \
    --scenario rest-find-phone-call \
    --scenario create-phone-call --scenario rest-create-phone-call \
    --scenario replay-interaction --scenario get-interaction
  stop
  log "create ÷ no-op with call ids in no order, as PBXs send them"
  start "sqlite://$WORK/ratios-scattered.db?mode=rwc"
  bench --scenario health --scenario create-interaction --call-ids scattered
  stop
}

# CPU per request: the server's (from /proc, in all and per thread: the
# runtime's workers, the SQLite writer and checkpointer) and the load
# generator's, one scenario at a time, plus the share of the machine's CPU
# time left idle, so the ratios above can be taken apart.
server_ticks() {
  local task
  for task in /proc/"$SERVER_PID"/task/*; do
    printf '%s %s\n' "$(cat "$task/comm")" "$(awk '{print $14 + $15}' "$task/stat")"
  done
}

machine_ticks() { awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

cpu() {
  log "CPU per request, SQLite (synchronous=normal)"
  start "sqlite://$WORK/cpu.db?mode=rwc"
  local ticks
  ticks=$(getconf CLK_TCK)
  for scenario in ${SCENARIOS:-health create-interaction create-phone-call rest-create-phone-call \
    find-phone-call-and-publish rest-find-phone-call get-interaction}; do
    local client
    server_ticks >"$WORK/threads.before"
    machine_ticks >"$WORK/machine.before"
    client=$( { TIMEFORMAT='%U %S'; time "$BIN" bench --target "http://127.0.0.1:$PORT" --token "$TOKEN" \
      --duration "$DURATION" --warmup 0s --rounds 1 --scenario "$scenario" --json >"$WORK/cpu.json" 2>/dev/null; } 2>&1)
    server_ticks >"$WORK/threads.after"
    machine_ticks >"$WORK/machine.after"
    python3 - "$scenario" "$ticks" "$client" "$WORK" <<'PY'
import collections, json, sys
scenario, ticks, client, work = sys.argv[1:]
r = json.loads(open(f"{work}/cpu.json").read().split("\n")[0])
n = r["ok"] + r["errors"]
def threads(name):
    total = collections.Counter()
    for line in open(f"{work}/threads.{name}"):
        comm, used = line.rsplit(" ", 1)
        total[comm] += int(used)
    return total
before, after = threads("before"), threads("after")
per = {c: (after[c] - before[c]) / float(ticks) / n * 1e6 for c in after}
server = sum(per.values())
load = sum(map(float, client.split())) / n * 1e6
(idle0, all0), (idle1, all1) = (map(int, open(f"{work}/machine.{m}").read().split()) for m in ("before", "after"))
idle = 100 * (idle1 - idle0) / (all1 - all0)
split = "  ".join(f"{c} {us:.1f}" for c, us in sorted(per.items(), key=lambda kv: -kv[1]) if us >= 0.5)
print(f"{scenario:28} {r['rps']:8.0f} rps   server {server:6.1f} µs/request ({split})   "
      f"load generator {load:5.1f} µs/request   idle {idle:4.1f}%")
PY
  done
  stop
}

# Why the cores go idle (scripts/sched_idle.py): one second of `perf sched
# record` in the middle of each load, with the threads of the server and of
# the load generator named so the two are told apart. Not part of `all`: it
# needs perf and root.
sched() {
  log "why the cores go idle, SQLite (synchronous=normal)"
  start "sqlite://$WORK/sched.db?mode=rwc"
  for scenario in health create-interaction; do
    "$BIN" bench --target "http://127.0.0.1:$PORT" --token "$TOKEN" \
      --duration 6s --warmup 0s --rounds 1 --scenario "$scenario" >/dev/null 2>&1 &
    local client=$!
    sleep 3
    perf sched record -q -o "$WORK/sched.data" -- sleep 1 >/dev/null 2>&1
    local task
    for task in /proc/"$SERVER_PID"/task/* /proc/"$client"/task/*; do
      local owner=server
      [[ $task == /proc/"$client"/* ]] && owner="load generator"
      echo "${task##*/} $owner $(cat "$task/comm")"
    done >"$WORK/sched.tasks"
    wait "$client"
    echo "$scenario:"
    python3 scripts/sched_idle.py "$WORK/sched.data" "$WORK/sched.tasks"
  done
  stop
}

# How long each WAL restart stops the writer (scripts/wal_restarts.py): the
# writer's and the checkpoint thread's syncs and truncations, timed by
# strace for 8 s in the middle of a create load (about one restart per
# 64 MiB of WAL). Not part of `all`: it needs strace.
restarts() {
  log "WAL restarts during creates, SQLite (synchronous=normal)"
  start "sqlite://$WORK/restarts.db?mode=rwc"
  "$BIN" bench --target "http://127.0.0.1:$PORT" --token "$TOKEN" \
    --duration 14s --warmup 0s --rounds 1 --scenario create-interaction >"$WORK/restarts.bench" 2>&1 &
  local client=$! writer task
  sleep 4
  for task in /proc/"$SERVER_PID"/task/*; do
    [ "$(cat "$task/comm")" = sqlite-writer ] && writer=${task##*/}
  done
  timeout 8 strace -f -T -tt --seccomp-bpf -e trace=fsync,fdatasync,ftruncate \
    -p "$SERVER_PID" -o "$WORK/restarts.strace" 2>/dev/null || true
  wait "$client"
  python3 scripts/wal_restarts.py "$WORK/restarts.strace" "$writer"
  tail -1 "$WORK/restarts.bench"
  stop
}

# Server instructions per request, counted by callgrind (valgrind): the
# server runs under it while one scenario loads it for $CG_DURATION at 64
# in flight, and an idle run of the same server (start-up and shutdown) is
# taken off the total. Rates on a shared host drift by more than a few per
# cent between runs; these counts do not, so they show changes the rates
# cannot. They are instructions, not time: valgrind counts each byte a
# `rep movsb` moves (glibc's `memcpy` of a few KiB and more) as one.
# Not part of `all`: it needs valgrind and a few minutes.
#
# callgrind_run SCENARIO|idle: sets CG_OK (requests served) and CG_TOTAL
# (the server's instructions). Runs in this shell, so the exit trap stops
# its server.
callgrind_run() {
  local db="$WORK/callgrind-$1.db" out="$WORK/callgrind-$1.out"
  rm -f "$db" "$db-wal" "$db-shm" "$out"
  local url="sqlite://$db?mode=rwc"
  TOKEN=$("$BIN" tokens create --tenant bench --user bench --database-url "$url" 2>/dev/null)
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$BIN" serve --listen "127.0.0.1:$PORT" --database-url "$url" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready 60 2
  CG_OK=0
  if [ "$1" != idle ]; then
    CG_OK=$("$BIN" bench --target "http://127.0.0.1:$PORT" --token "$TOKEN" --duration "${CG_DURATION:-15s}" \
      --warmup 0s --rounds 1 --connections 4 --concurrency 64 --scenario "$1" --json 2>/dev/null |
      python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["ok"])')
  fi
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
  CG_TOTAL=$(awk '/^(summary|totals):/ {print $2; exit}' "$out")
}

instructions() {
  log "server instructions per request (callgrind), SQLite (synchronous=normal)"
  local idle
  callgrind_run idle
  idle=$CG_TOTAL
  echo "idle run (start-up and shutdown): $idle instructions"
  for scenario in health create-interaction get-interaction; do
    callgrind_run "$scenario"
    python3 - "$scenario" "$CG_OK" "$CG_TOTAL" "$idle" <<'PY'
import sys
scenario, ok, total, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"{scenario:28} {ok:7} requests   {(total - idle) / ok:9,.0f} instructions/request")
PY
  done
}

sync_modes() {
  for mode in normal full; do
    log "SQLite synchronous=$mode: create-interaction"
    start "sqlite://$WORK/sync-$mode.db?mode=rwc" --sqlite-synchronous "$mode"
    bench --scenario health --scenario create-interaction
    stop
  done
}

postgres() {
  local db="switchboard_bench_$$"
  local base=${PG_URL%/*}
  psql -q "$PG_URL" -c "CREATE DATABASE $db"
  log "PostgreSQL: create-interaction at 32 clients"
  start "$base/$db" --database-max-connections 32
  bench --scenario health --scenario create-interaction --concurrency 32
  stop
  log "pgbench: the same two-row transaction, raw, 32 clients"
  psql -q "$base/$db" -c "CREATE TABLE pgb_call (id bigserial PRIMARY KEY, tenant text NOT NULL, ext text NOT NULL, body text, UNIQUE (tenant, ext));
                           CREATE TABLE pgb_event (seq bigserial PRIMARY KEY, tenant text NOT NULL, payload text NOT NULL);"
  cat >"$WORK/pgbench.sql" <<'SQL'
\set n random(1, 1000000000)
BEGIN;
INSERT INTO pgb_call (tenant, ext, body) VALUES ('bench', :n || '-' || :client_id, 'x') ON CONFLICT DO NOTHING;
INSERT INTO pgb_event (tenant, payload) VALUES ('bench', 'created');
END;
SQL
  pgbench -n -M prepared -c 32 -j 2 -T "${DURATION%s}" -f "$WORK/pgbench.sql" "$base/$db" | grep -E "^(tps|latency average)"
  log "pgbench: a single-row insert, raw, 32 clients"
  cat >"$WORK/pgbench-one.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO pgb_call (tenant, ext, body) VALUES ('bench', :n || '-' || :client_id, 'x') ON CONFLICT DO NOTHING;
SQL
  pgbench -n -M prepared -c 32 -j 2 -T "${DURATION%s}" -f "$WORK/pgbench-one.sql" "$base/$db" | grep -E "^(tps|latency average)"
  psql -q "$PG_URL" -c "DROP DATABASE $db WITH (FORCE)"
}

# seed FILE ROWS: copies the one interaction in FILE until it has ROWS.
seed() {
  sqlite3 "$1" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1)
INSERT INTO interactions
SELECT 'seed' || i, t.tenant_id, t.media_type, t.interaction_type, t.state, t.state_literal_dialect,
       t.state_literal, t.start_time - i * 1000, t.end_time, t.owner_id, t.owner_user_name,
       t.owner_first_name, t.owner_last_name, t.contact_id, t.parent_id, t.thread_id, t.subject,
       t.comment, t.custom_attributes, t.phone_number, t.call_duration_secs, t.user_data,
       'seed-call-' || i, NULL, NULL, t.create_time - i * 1000, t.update_time, t.revision
FROM n, (SELECT * FROM interactions LIMIT 1) AS t;
SQL
}

list() {
  for rows in 10000 1000000; do
    log "list-interactions (first page of 20) over $rows interactions"
    local file="$WORK/list-$rows.db"
    start "sqlite://$file?mode=rwc"
    "$BIN" bench --target "http://127.0.0.1:$PORT" --token "$TOKEN" --scenario create-interaction \
      --duration 100ms --warmup 0s --concurrency 1 >/dev/null
    stop
    seed "$file" "$rows"
    start "sqlite://$file?mode=rwc"
    bench --scenario health --scenario list-interactions-page --scenario list-interactions --scenario get-interaction --concurrency 4
    stop
  done
}

fanout() {
  log "watch-fanout: 10000 subscribers, 10 notifications/s"
  start "sqlite://$WORK/fanout.db?mode=rwc"
  ROUNDS=1 bench --scenario watch-fanout --subscribers 10000 --events-per-second 10 --warmup 3s
  stop
}

case "${1:-all}" in
  ratios) ratios ;;
  sync) sync_modes ;;
  postgres) postgres ;;
  list) list ;;
  fanout) fanout ;;
  cpu) cpu ;;
  sched) sched ;;
  instructions) instructions ;;
  restarts) restarts ;;
  all) ratios; cpu; sync_modes; postgres; list; fanout ;;
  *) echo "usage: $0 [ratios|cpu|sched|instructions|restarts|sync|postgres|list|fanout|all]" >&2; exit 2 ;;
esac
