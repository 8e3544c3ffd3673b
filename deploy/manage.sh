#!/usr/bin/env bash
# manage.py with the production environment: `sudo -u lawtrace /opt/lawtrace/deploy/manage.sh COMMAND …`
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
env_file=${LAWTRACE_ENV_FILE:-/etc/lawtrace/lawtrace.env}
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
exec "$here/.venv/bin/python" "$here/manage.py" "$@"
