#!/usr/bin/env bash
# onemap beside TiPg, stock pygeoapi and the PostGIS floor, in ONE run of the shared peer harness.
#
#   bash bench/peers.sh            # ~30 min on 2 cores; prints the table, writes $HARNESS/onemap-table.md
#
# 1. copies ../shared/bench (read-only) to $HARNESS (the harness writes its results next to itself);
# 2. starts the harness's PostgreSQL (127.0.0.1:55432) and its generated data (1M components);
# 3. bench/peers_load.py: a scratch onemap database `onemap_bench` in the same cluster, migrated,
#    holding the same rows (COPY), served as the harness's read-only role bench_app;
# 4. `onemap serve --workers N` for N in $ONEMAP_WORKERS with the tile cache off (uncached tiles,
#    items, single items), and one 1-worker server with the tile cache on (cached tiles: the
#    harness's serial preflight requests every tile once, so wrk then reads the cache);
# 5. run_peers.sh with EXTRA_TARGETS (the same targets, wrk settings and drain as the peers);
# 6. the single-item set for onemap: the same 1,000 rows as the peers' targets/ids.txt, named by
#    onemap's identifiers (16-digit component codes) from a shadow target directory;
# 7. summarize.py (results.md) and bench/peers_table.py (requests/s, p50, p99 and the ratios).
#
# Env: HARNESS (/tmp/onemap-bench)  FRESH_COPY=1 (re-copy the harness)  PEERS (/tmp/onemap-peers: not
#      under $HOME, the harness runs PostgreSQL as user postgres)  ONEMAP_WORKERS ("1 2")
#      ONEMAP_CACHED (1: also measure cached tiles)  KEEP_PG=1  DURATION (20)  SKIP_FLOOR/SKIP_TIPG/
#      SKIP_PYGEOAPI (passed to the harness)  ONEMAP_ONLY=1 (skip every peer: a quick onemap-only run)
#      ONEMAP_RELOAD (1: rebuild onemap_bench from scratch; 0: keep it when it holds every row)
#
#   bash bench/peers.sh --tiles-only   # a few minutes: uncached tiles of onemap and TiPg (bench/peers_tiles.sh)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --tiles-only ]; then exec bash "$REPO/bench/peers_tiles.sh"; fi
SRC=${HARNESS_SRC:-$REPO/../shared/bench}
H=${HARNESS:-/tmp/onemap-bench}
export PEERS=${PEERS:-/tmp/onemap-peers}
export PGPORT=${PGPORT:-55432}
export DURATION=${DURATION:-20}
WORKERS=${ONEMAP_WORKERS:-"1 2"}
PY=$REPO/.venv/bin/python
ONEMAP=$REPO/.venv/bin/onemap
log() { echo "[$(date +%H:%M:%S)] $*"; }

if [ "${FRESH_COPY:-0}" = 1 ] || [ ! -x "$H/run_peers.sh" ]; then
  rm -rf "$H"; cp -r "$SRC" "$H"; chmod -R u+w "$H"
fi
if [ "${ONEMAP_ONLY:-0}" = 1 ]; then export SKIP_FLOOR=1 SKIP_TIPG=1 SKIP_PYGEOAPI=1; fi
command -v wrk >/dev/null && dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 wrk; }

log "harness PostgreSQL and data"
"$H/pg.sh" start
"$H/load_data.sh"
[ -s "$H/targets/tiles_all.txt" ] || python3 "$H/gen_targets.py"

log "onemap database (bench/peers_load.py)"
S="$H/onemap-ids"; mkdir -p "$S/targets"
for f in load.sh check.py expand.py rotate.lua show_last.py gen_targets.py; do ln -sf "../$f" "$S/$f"; done
for f in tiles_all tiles_z12 tiles_z14 tiles_z16 bboxes; do ln -sf "../../targets/$f.txt" "$S/targets/$f.txt"; done
# reloaded by default (~1-2 min): the schema follows the current migrations
URL=$("$PY" "$REPO/bench/peers_load.py" --source "postgresql://postgres@127.0.0.1:$PGPORT/bench" \
      --ids "$H/targets/ids.txt" "$S/targets/ids.txt" $([ "${ONEMAP_RELOAD:-1}" = 1 ] && echo --force) | tail -1)
echo "$URL"

RUN="$H/out/run"; mkdir -p "$RUN"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_PG:-0}" != 1 ]; then "$H/pg.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

start() {  # start LABEL PORT WORKERS TILE_CACHE_MB
  ONEMAP_DATABASE_URL="$URL" ONEMAP_LOG_LEVEL=warning ONEMAP_TILES_CACHE_MB="$4" \
    "$ONEMAP" serve --port "$2" --workers "$3" > "$RUN/$1.log" 2>&1 &
  PIDS+=($!)
  # the first OGC request of a worker reads the registry and builds its APIs (~280 collections)
  for _ in $(seq 1 600); do
    if curl -sf -m 120 "http://127.0.0.1:$2/collections/components/items?limit=1" >/dev/null; then
      log "$1 up on 127.0.0.1:$2 (pid $!, $3 worker(s), tile cache $4 MB)"; return 0; fi
    sleep 0.5
  done
  echo "$1 did not come up:"; tail -20 "$RUN/$1.log"; exit 1
}

TILE='/tiles/components/{z}/{x}/{y}.mvt'
ITEMS='/collections/components/items?bbox={bbox}&limit=100'
ITEM='/collections/components/items/{id}'
EXTRA=""
for w in $WORKERS; do
  start "onemap-w$w" $((8090 + w)) "$w" 0
  EXTRA+="${EXTRA:+;}onemap-w$w|http://127.0.0.1:$((8090 + w))|$TILE|$ITEMS|-"
done
if [ "${ONEMAP_CACHED:-1}" = 1 ]; then
  start onemap-w1-cached 8089 1 256
  EXTRA+=";onemap-w1-cached|http://127.0.0.1:8089|$TILE|-|-"
fi

PGLOG="$PEERS/pglog/postgres.log"
OFFSET=$(stat -c %s "$PGLOG" 2>/dev/null || echo 0)
LOAD_BEFORE=$(uptime | sed 's/.*load average/load average/')
log "harness run ($LOAD_BEFORE)"
KEEP_PG=1 EXTRA_TARGETS="$EXTRA" bash "$H/run_peers.sh"

for w in $WORKERS; do
  log "onemap-w$w single items (onemap identifiers of the same rows)"
  LABEL="onemap-w$w" SETS=item RESULTS="$H/out/results.jsonl" bash "$S/load.sh" \
    "http://127.0.0.1:$((8090 + w))" - - "$ITEM"
  echo "LABEL=onemap-w$w SETS=item bench/onemap-ids/load.sh http://127.0.0.1:$((8090 + w)) - - '$ITEM'" \
    >> "$H/out/commands.txt"
done
LOAD_AFTER=$(uptime | sed 's/.*load average/load average/')
python3 "$H/summarize.py"
{ "$PY" "$REPO/bench/peers_table.py" "$H/out/results.jsonl" --pglog "$PGLOG" --from "$OFFSET"
  echo; echo "Machine load (uptime) before the run: $LOAD_BEFORE; after: $LOAD_AFTER"; } | tee "$H/onemap-table.md"
