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

# name|command — one line per long-running service; the list grows as services land.
SERVICES=()

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
  $BIN/era topics create
  start_services
}

stop_all() {
  stop_services
  $BIN/python deploy/kafka/local_kafka.py stop
}

case "${1:-}" in
  run)
    trap 'echo; echo "pipeline: stopping"; stop_all; exit 0' INT TERM
    start_all
    echo "pipeline: running; broker at 127.0.0.1:9092. Ctrl-C stops everything."
    echo "pipeline: read a topic with: $BIN/era consume era.adjustments --from-beginning"
    while true; do sleep 1; done
    ;;
  up)
    start_all
    echo "pipeline: up; broker at 127.0.0.1:9092; logs in $RUN_DIR; stop with: make down"
    ;;
  down)
    stop_all
    ;;
  *)
    echo "usage: $0 run|up|down" >&2
    exit 2
    ;;
esac
