#!/usr/bin/env bash
# Uncached tiles only, onemap beside TiPg, a few minutes: the quick loop of `bash bench/peers.sh`
# (same harness, targets, wrk settings and drain; also `bash bench/peers.sh --tiles-only`).
#
#   bash bench/peers_tiles.sh          # prints req/s, p50, p99, non-2xx per zoom and the ratios
#
# Needs a run of bench/peers.sh before (the harness copy, its data and the onemap_bench database;
# bench/peers_load.py keeps the database when it holds every row). Starts the harness's PostgreSQL
# when it is stopped and leaves it running. Per zoom set, TiPg and onemap are measured one after
# the other with the same worker count (tile cache off), so their ratio shares the machine's load.
#
# Env: HARNESS (/tmp/onemap-bench)  PEERS (/tmp/onemap-peers)  WORKERS (1)  DURATION (15)
#      SETS ("z12 z14 z16")  RESULTS ($HARNESS/out/tiles-results.jsonl, emptied first)
#      BASELINE=DIR: also measure `onemap-base`, onemap with the `tiles` package of DIR first on
#      PYTHONPATH (e.g. `git archive HEAD tiles | tar -x -C DIR`): before/after in the same run
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
H=${HARNESS:-/tmp/onemap-bench}
export PEERS=${PEERS:-/tmp/onemap-peers}
export PGPORT=${PGPORT:-55432}
export DURATION=${DURATION:-15}
W=${WORKERS:-1}
SETS=${SETS:-"z12 z14 z16"}
RESULTS=${RESULTS:-$H/out/tiles-results.jsonl}
PY=$REPO/.venv/bin/python
log() { echo "[$(date +%H:%M:%S)] $*"; }
[ -x "$H/run_peers.sh" ] || { echo "no harness at $H: run bash bench/peers.sh once" >&2; exit 1; }

"$H/pg.sh" start >/dev/null  # idempotent; its `status` exits 0 even when the server is stopped
URL=$("$PY" "$REPO/bench/peers_load.py" --source "postgresql://postgres@127.0.0.1:$PGPORT/bench" \
      --ids "$H/targets/ids.txt" "$H/onemap-ids/targets/ids.txt" | tail -1)
RUN="$H/out/run"; mkdir -p "$RUN"; : > "$RESULTS"
PIDS=()
cleanup() {
  "$H/serve.sh" stop tipg >/dev/null 2>&1 || true
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

serve() {  # serve PORT LOG [PYTHONPATH]
  PYTHONPATH="${3:-}" ONEMAP_DATABASE_URL="$URL" ONEMAP_LOG_LEVEL=warning ONEMAP_TILES_CACHE_MB=0 \
    "$REPO/.venv/bin/onemap" serve --port "$1" --workers "$W" > "$RUN/$2.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 240); do
    curl -sf -m 60 -o /dev/null "http://127.0.0.1:$1/tiles/components/16/54260/28164.mvt" && return 0; sleep 0.5
  done
  echo "onemap on port $1 did not come up: $RUN/$2.log" >&2; exit 1
}
serve 8093 onemap-tiles
if [ -n "${BASELINE:-}" ]; then serve 8094 onemap-base "$BASELINE"; fi
"$H/serve.sh" start tipg 8081 "$W" >/dev/null
TIPG_TILE='/collections/public.components/tiles/WebMercatorQuad/{z}/{x}/{y}'
ONEMAP_TILE='/tiles/components/{z}/{x}/{y}.mvt'

LOAD_BEFORE=$(uptime | sed 's/.*load average/load average/')
log "uncached tiles, $W worker(s), wrk ${DURATION}s per set ($LOAD_BEFORE)"
for set in $SETS; do
  LABEL="tipg-w$W" SETS=$set RESULTS="$RESULTS" DRAIN_PG=1 bash "$H/load.sh" http://127.0.0.1:8081 "$TIPG_TILE" - -
  LABEL="onemap-w$W" SETS=$set RESULTS="$RESULTS" DRAIN_PG=1 bash "$H/load.sh" http://127.0.0.1:8093 "$ONEMAP_TILE" - -
  if [ -n "${BASELINE:-}" ]; then
    LABEL="onemap-base-w$W" SETS=$set RESULTS="$RESULTS" DRAIN_PG=1 bash "$H/load.sh" http://127.0.0.1:8094 "$ONEMAP_TILE" - -
  fi
done
LOAD_AFTER=$(uptime | sed 's/.*load average/load average/')

"$PY" - "$RESULTS" "$W" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {(r["label"], r["set"]): r["wrk"] for r in rows}
w = sys.argv[2]
print(f"| set | server | req/s | p50 ms | p99 ms | non-2xx |\n|---|---|---:|---:|---:|---:|")
for (label, s), k in by.items():
    print(f"| {s} | {label} | {k.get('rps', 0):.1f} | {k.get('p50_ms', 0):.1f} | {k.get('p99_ms', 0):.1f} | "
          f"{k.get('non2xx', '?')} |")
print()
for s in dict.fromkeys(r["set"] for r in rows):
    t = by.get((f"tipg-w{w}", s), {})
    for label in (f"onemap-w{w}", f"onemap-base-w{w}"):
        o = by.get((label, s), {})
        if o.get("rps") and t.get("rps"):
            print(f"{s}: {label}/TiPg req/s {o['rps'] / t['rps']:.2f}x (goal >= 1.5x), p99 {o['p99_ms']:.0f} "
                  f"vs {t['p99_ms']:.0f} ms ({'ok' if o['p99_ms'] <= t['p99_ms'] else 'worse'})")
EOF
echo "Machine load (uptime) before: $LOAD_BEFORE; after: $LOAD_AFTER"
