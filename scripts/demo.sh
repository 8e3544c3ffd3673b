#!/usr/bin/env bash
# Runs Lawtrace on one machine: SQLite under LAWTRACE_DATA_DIR, demo data, the web server and the task worker.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
export LAWTRACE_DEBUG=${LAWTRACE_DEBUG:-true}
addr=${LAWTRACE_DEMO_ADDR:-127.0.0.1:8000}
mkdir -p "$LAWTRACE_DATA_DIR"

$py manage.py migrate --noinput -v 0
$py manage.py ledger keygen >/dev/null   # the checkpoint signing key, private half mode 600
$py manage.py load_demo
$py manage.py ledger checkpoint >/dev/null

$py manage.py db_worker --queue-name '*' >"$LAWTRACE_DATA_DIR/worker.log" 2>&1 &
worker=$!
$py manage.py run_scheduler >"$LAWTRACE_DATA_DIR/scheduler.log" 2>&1 &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null || true' EXIT INT TERM

$py manage.py demo_logins --url "http://$addr/"
$py manage.py runserver "$addr" --noreload
