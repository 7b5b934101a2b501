#!/usr/bin/env bash
# Create .venv with the locked dependencies (uv.lock). Needs python3.11 and pip; installs uv.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null 2>&1; then
  if [ ! -x .tools/bin/uv ]; then
    echo "Installing uv into .tools/ ..."
    python3 -m venv .tools
    .tools/bin/pip install --quiet --disable-pip-version-check uv
  fi
  export PATH="$PWD/.tools/bin:$PATH"
fi
uv sync --frozen --python python3.11 --quiet
