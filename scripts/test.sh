#!/usr/bin/env bash
# The whole suite, first on SQLite, then on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
export LAWTRACE_DATA_DIR
LAWTRACE_DATA_DIR=$(mktemp -d /tmp/lawtrace-test-data.XXXXXX)
pgdir=$(mktemp -d /tmp/lawtrace-pg.XXXXXX)
cleanup() {
  scripts/pg-throwaway.sh stop "$pgdir"
  rm -rf "$LAWTRACE_DATA_DIR"
}
trap cleanup EXIT

echo "== Checks =="
# The before-commit hooks, as `make lint` runs them: ruff, whitespace, end of file, no file over 1 MiB …
if git rev-parse --git-dir >/dev/null 2>&1; then
  .venv/bin/pre-commit run --all-files --show-diff-on-failure
else
  echo "not a git checkout: pre-commit hooks skipped, ruff only"
  $py -m ruff check .
fi
$py manage.py policy check policy/packs/*/*.yaml
# A model change without its migration fails here rather than on a production database.
env -u DATABASE_URL $py manage.py makemigrations --check --dry-run
# Type errors outside mypy-baseline.txt, or fixed ones still in it.
$py scripts/typecheck.py
# `make install` in a fresh clone must leave every tracked file untouched.
scripts/check-clean-install.sh

echo "== SQLite =="
env -u DATABASE_URL $py -m pytest -p no:cacheprovider

echo "== PostgreSQL =="
url=$(scripts/pg-throwaway.sh start "$pgdir")
DATABASE_URL=$url $py -m pytest -p no:cacheprovider
