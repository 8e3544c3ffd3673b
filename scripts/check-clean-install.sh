#!/usr/bin/env bash
# `make install` in a fresh clone of HEAD must leave every tracked file as it was: build artefacts (egg-info, the
# compiled catalogue rewritten differently …) are either not tracked or reproduced byte for byte. uv's cache makes
# the second install of the same lock file a matter of seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "not a git checkout: clean-install check skipped"
  exit 0
fi
work=$(mktemp -d /tmp/lawtrace-clean-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone --quiet --shared "$PWD" "$work/clone"
# The outer make exports its own virtual environment; the clone builds and uses its own.
if ! env -u UV_PROJECT_ENVIRONMENT -u VIRTUAL_ENV -u MAKEFLAGS -u MAKELEVEL \
    make -C "$work/clone" install PYTHON="${PYTHON:-python3}" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  echo "make install failed in a fresh clone" >&2
  exit 1
fi
changed=$(git -C "$work/clone" status --porcelain --untracked-files=all --ignored=no)
if [ -n "$changed" ]; then
  echo "make install changed or created files that git sees (track them as built, or ignore them):" >&2
  echo "$changed" >&2
  exit 1
fi
echo "make install leaves a fresh clone clean"
