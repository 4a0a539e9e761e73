#!/usr/bin/env bash
# Grows the committed Fashion-MNIST benchmark table (docs/science/fashion-convnet.json) in the background, the way the
# README's "Experiments" section describes, and commits it as it grows:
#   - starts the four services on their own ports (data dir outside the repository),
#   - waits for the shipped `fashion` teacher,
#   - runs `tgsage experiment run` with the table's recipe (it resumes: rows already in the table are not trained again),
#   - commits the table every COMMIT_EVERY seconds (default 3600) while rows arrive, and once more at the end.
# Stop it with Ctrl-C or kill: completed rows are in the table (written atomically per row); run it again to go on.
# Usage: scripts/science-run.sh [extra experiment-run flags, e.g. --architectures 150]
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${TGSAGE_SCIENCE_DATA:-/tmp/tgsage-science}
TABLE=${TGSAGE_SCIENCE_TABLE:-docs/science/fashion-convnet.json}
COMMIT_EVERY=${COMMIT_EVERY:-3600}
PORT=${TGSAGE_SCIENCE_PORT:-51051} # four consecutive loopback ports
ADDR=(--teacher-cache "127.0.0.1:$PORT" --scorer "127.0.0.1:$((PORT + 1))" --trainer "127.0.0.1:$((PORT + 2))"
  --controller "127.0.0.1:$((PORT + 3))")
mkdir -p "$DATA"

node bin/tgsage.mjs "${ADDR[@]}" start --data-dir "$DATA" --log-level warn >"$DATA/services.log" 2>&1 &
SERVICES=$!
RUN=
COMMITTER=
cleanup() {
  for p in $RUN $COMMITTER $SERVICES; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

commit_table() {
  git add "$TABLE" && git commit -q -m "Benchmark table: $(node -e "
    const t = JSON.parse(require('fs').readFileSync('$TABLE', 'utf8'));
    console.log(t.runs.length + ' rows');
  ")" -- "$TABLE" || true
}

echo "waiting for the fashion teacher (services log: $DATA/services.log)"
for _ in $(seq 1 120); do
  if node bin/tgsage.mjs "${ADDR[@]}" teacher get fashion >/dev/null 2>&1; then break; fi
  sleep 5
done

node bin/tgsage.mjs "${ADDR[@]}" experiment run "$TABLE" --space convnet --dataset fashion-mnist --teacher fashion \
  --architectures 100 --max-mflops 40 --seed 0 --seeds 0 --second-seed-subset 30 --final-steps 2000 \
  --eval-steps 10,25,50,100,200,400,1000 --num-validation 5000 --comparators spearman,cka --parallelism 1 "$@" &
RUN=$!

( while sleep "$COMMIT_EVERY"; do commit_table; done ) &
COMMITTER=$!

status=0
wait "$RUN" || status=$?
commit_table
exit "$status"
