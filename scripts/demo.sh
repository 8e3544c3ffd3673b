#!/usr/bin/env bash
# Runs Lawtrace on one machine as an installation runs (README 部署), with SQLite under LAWTRACE_DATA_DIR, demo
# data and plain http on loopback: static files collected and served by WhiteNoise, gunicorn with
# deploy/gunicorn.conf.py, the task worker and the scheduler.
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
$py manage.py collectstatic --noinput -v 0   # into $LAWTRACE_DATA_DIR/static, as each web node does at start
$py manage.py ledger keygen >/dev/null   # the checkpoint signing key, private half mode 600
$py manage.py load_demo
$py manage.py ledger checkpoint >/dev/null

$py manage.py db_worker --queue-name '*' >"$LAWTRACE_DATA_DIR/worker.log" 2>&1 &
worker=$!
$py manage.py run_scheduler >"$LAWTRACE_DATA_DIR/scheduler.log" 2>&1 &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null || true' EXIT INT TERM

$py manage.py demo_logins --url "http://$addr/"
# Two processes are plenty for one visitor; Ctrl-C stops gunicorn, then the trap stops the worker and the scheduler.
LAWTRACE_BIND=$addr LAWTRACE_WEB_PROCESSES=${LAWTRACE_WEB_PROCESSES:-2} \
  .venv/bin/gunicorn --config deploy/gunicorn.conf.py lawtrace.wsgi:application
