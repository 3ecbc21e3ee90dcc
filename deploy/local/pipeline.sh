#!/usr/bin/env bash
# Runs the local pipeline: the Kafka broker, the topics and every service.
#   pipeline.sh run   foreground; Ctrl-C stops everything
#   pipeline.sh up    background; logs and pid files under var/run
#   pipeline.sh down  stop what `up` started, then the broker (its data is kept)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
RUN_DIR=${ERA_RUN_DIR:-var/run}
mkdir -p "$RUN_DIR"

INBOX=${ERA_INBOX:-var/inbox}
SAMPLES=tests/data/era-samples
export ERA_INGEST_INBOX=$INBOX  # the dashboard shows the last files of this inbox
DASHBOARD_URL="http://${ERA_DASHBOARD_HOST:-127.0.0.1}:${ERA_DASHBOARD_PORT:-8004}/"

# name|command — one line per long-running service.
SERVICES=(
  "ingest|$BIN/era ingest --watch $INBOX"
  "classifier|$BIN/era worker classifier"
  "router|$BIN/era worker router"
  "dashboard|$BIN/era dashboard"
)

start_services() {
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%|*} cmd=${entry#*|}
    echo "pipeline: starting $name (log: $RUN_DIR/$name.log)"
    setsid bash -c "exec $cmd" >>"$RUN_DIR/$name.log" 2>&1 < /dev/null &
    echo $! >"$RUN_DIR/$name.pid"
  done
}

stop_services() {
  for pidfile in "$RUN_DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      echo "pipeline: stopped $(basename "$pidfile" .pid)"
    fi
    rm -f "$pidfile"
  done
}

start_all() {
  $BIN/python deploy/kafka/local_kafka.py start
  $BIN/era topics create >/dev/null
  mkdir -p "$INBOX"
  start_services
}

seed_inbox() {
  # The sample ERAs (some are rejected on purpose); files already published are recognised by
  # the ingest ledger and not published twice.
  echo "pipeline: dropping $(ls "$SAMPLES" | grep -vc '\.md$') sample ERA files into $INBOX"
  for f in "$SAMPLES"/*; do
    case "$f" in *.md) continue ;; esac
    cp "$f" "$INBOX/.$(basename "$f").part" && mv "$INBOX/.$(basename "$f").part" "$INBOX/$(basename "$f")"
  done
}

report_when_settled() {
  for _ in $(seq 1 120); do
    [ -z "$(find "$INBOX" -maxdepth 1 -type f ! -name '.*')" ] && break
    sleep 1
  done
  local last="" now=""
  for _ in $(seq 1 30); do
    now=$($BIN/era report --idle-timeout 1 | grep '^all routes')
    [ -n "$now" ] && [ "$now" = "$last" ] && break
    last=$now
    sleep 2
  done
  echo
  echo "pipeline: what reached each route topic (read back from Kafka):"
  $BIN/era report --idle-timeout 1
  cat <<HINTS

Live page:             $DASHBOARD_URL
  adjustments/s per stage, consumer lag, events and dollars per route, dead letters,
  ingest rejections and the last files, the denial rate per payer (8% line), service health;
  it refreshes itself (era dashboard; ERA_DASHBOARD_PORT, ERA_PROMETHEUS_URL)

Next:
  drop more ERA files into $INBOX/ (processed files move to $INBOX/done or $INBOX/rejected,
    each with a .report.json); generate a big one with: $BIN/era synth --adjustments 50000 --out $INBOX/big.835
  read a route:        $BIN/era consume era.route.appeals --from-beginning --format table
  explain offline:     $BIN/era explain $SAMPLES/lfh_managed-care.835
  metrics and health:  http://127.0.0.1:${ERA_INGEST_METRICS_PORT:-8001}/metrics (ingest), http://127.0.0.1:${ERA_CLASSIFIER_METRICS_PORT:-8002}/metrics
                       (classifier), http://127.0.0.1:${ERA_ROUTER_METRICS_PORT:-8003}/metrics (router); /healthz, /readyz
  logs:                $RUN_DIR/*.log
HINTS
}

stop_all() {
  stop_services
  $BIN/python deploy/kafka/local_kafka.py stop
}

case "${1:-}" in
  run)
    trap 'echo; echo "pipeline: stopping"; stop_all; exit 0' INT TERM
    start_all
    seed_inbox
    report_when_settled
    echo "pipeline: running; broker at 127.0.0.1:9092. Ctrl-C stops everything."
    while true; do sleep 1; done
    ;;
  up)
    start_all
    seed_inbox
    echo "pipeline: up; broker at 127.0.0.1:9092; logs in $RUN_DIR; stop with: make down"
    echo "pipeline: live page at $DASHBOARD_URL"
    ;;
  down)
    stop_all
    ;;
  *)
    echo "usage: $0 run|up|down" >&2
    exit 2
    ;;
esac
