#!/usr/bin/env bash
# Runs Lawtrace on one machine: SQLite under LAWTRACE_DATA_DIR, demo data, the web server and the task worker.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
# As an installation runs: no debug pages (the Chinese 404 and 500 pages show), the README's default.
export LAWTRACE_DEBUG=${LAWTRACE_DEBUG:-false}
# A visitor has no authenticator app at hand: the demo asks nobody for a second factor unless told to (an
# installation's default is the three administrators, heads and archivists; see README).
export LAWTRACE_MFA_ROLES=${LAWTRACE_MFA_ROLES-}
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
# With debug off Django's development server serves no static files unless told to (--insecure); one process on
# loopback for a demo; an installation serves them through its web server.
$py manage.py runserver "$addr" --noreload --insecure
