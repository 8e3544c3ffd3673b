#!/usr/bin/env bash
# Creates the project's virtual environment with uv inside it. Needs Python >= 3.11.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Lawtrace needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
  exit 1
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
  # Debian and Ubuntu ship venv separately.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${minor}-venv" || \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    rm -rf "$venv"
    "$python" -m venv "$venv"
  else
    echo "Cannot create a virtual environment: install python3-venv (sudo apt-get install python3-venv)." >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check uv==0.13.9
