#!/usr/bin/env bash
# make test: install what the tests need (PostgreSQL, Chromium, poppler, Python packages),
# start a throwaway PostgreSQL on a spare port, run ruff and the whole pytest suite, stop it.
# Extra arguments go to pytest: bash scripts/test.sh tests/loyalty -x
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(postgresql chromium chromium-driver poppler-utils libharfbuzz-subset0 gettext
              fonts-dejavu-core)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

bash scripts/bootstrap.sh

.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .

pgdir=$(mktemp -d /tmp/kopilka-test-pg.XXXXXX)
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"; }
trap cleanup EXIT
bash scripts/postgres.sh start "$pgdir" "$port" fast
echo "PostgreSQL for tests on 127.0.0.1:$port"

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/kopilka"
export DJANGO_ALLOW_ASYNC_UNSAFE=true
export SECRET_KEY=test-only-secret
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here." >&2
  exit 1
fi
exit $rc
