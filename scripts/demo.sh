#!/usr/bin/env bash
# make demo: install, migrate SQLite, load the demo data, start a Celery worker and beat in the
# background and the web server in the foreground on http://127.0.0.1:${PORT:-8000}.
# Ctrl-C stops everything. Running it again is safe: the data stays, stale workers are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

export DEBUG=true
port="${PORT:-8000}"
py=.venv/bin/python
mkdir -p var/log var/run

$py manage.py migrate --noinput -v 0
if command -v msgfmt >/dev/null 2>&1 && [ -d locale ]; then
  $py manage.py compilemessages --ignore=.venv --ignore=.tools -v 0
fi
$py manage.py seed_demo

# A worker, beat or web server left over from an earlier run (terminal closed, kill -9) has a
# pid file: stop that process if it is still ours, then start afresh.
stop_stale() {
  local pidfile=$1 pattern=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"; then
    echo "Stopping a process left from an earlier run (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
stop_stale var/run/celery-worker.pid "celery -A config worker"
stop_stale var/run/celery-beat.pid "celery -A config beat"
stop_stale var/run/web.pid "manage.py runserver"

pids=()
cleanup() {
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    echo
    echo "Stopping the web server, the worker and beat ..."
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -f var/run/celery-worker.pid var/run/celery-beat.pid var/run/web.pid
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

.venv/bin/celery -A config worker --pool=solo -l warning --pidfile=var/run/celery-worker.pid \
  >>var/log/celery-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat -l warning --pidfile=var/run/celery-beat.pid \
  >>var/log/celery-beat.log 2>&1 &
pids+=($!)

base="http://127.0.0.1:$port"
api_key=$(cat var/demo-api-key.txt 2>/dev/null || echo "see var/demo-api-key.txt")
cat <<EOF

Kopilka demo is starting on $base

  Back-office (admin)   $base/admin/      admin / admin, marketer / marketer
  Customer cabinet      $base/            phone +7 903 100-00-03, the one-time code is in var/outbox/
  Cashier desk          $base/desk/       cashier / cashier
  Partner API docs      $base/api/docs/
  Health                $base/healthz

  Partner API key ("Копилка Маркет"): $api_key   (also in var/demo-api-key.txt)
  E-mails and SMS are written to var/outbox/; worker and beat logs are in var/log/.
  Press Ctrl-C to stop.

EOF

$py manage.py runserver "127.0.0.1:$port" --noreload &
pids+=($!)
echo "$!" >var/run/web.pid
wait "${pids[-1]}"
