#!/usr/bin/env bash
# System packages the tests need: Chromium (browser tests), CJK fonts and Pango (pages and PDFs), PostgreSQL
# (second database), gettext (catalogue check), nginx (the deploy/ site and the cluster test's proxy), systemd's
# unit checker (the deploy/ units).
# With --runtime (used by `make demo`): only what the running system needs, and a warning instead of a failure.
set -euo pipefail
runtime=false
[ "${1:-}" = "--runtime" ] && runtime=true
missing=()
# grep -c reads to the end: grep -q would stop early and, under pipefail, fail the pipeline with SIGPIPE.
[ "$(fc-list 2>/dev/null | grep -ci "Noto Sans CJK" || true)" -gt 0 ] || missing+=(fonts-noto-cjk)
if ! $runtime; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v msgfmt >/dev/null || missing+=(gettext)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
  command -v systemd-analyze >/dev/null || missing+=(systemd)
fi
# WeasyPrint (printed forms and reports) draws text with Pango.
[ "$(ldconfig -p 2>/dev/null | grep -c libpangoft2-1.0 || true)" -gt 0 ] || missing+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
  # The Debian packages start servers of their own; the tests use throwaway ones, so stop them again.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null; then
    systemctl stop nginx 2>/dev/null || true
    systemctl disable nginx 2>/dev/null || true
  fi
  if [[ " ${missing[*]} " == *" nginx "* ]] && [ -f /run/nginx.pid ]; then
    nginx -s quit 2>/dev/null || true
  fi
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null; then
    for cluster in /etc/postgresql/*/main; do
      [ -d "$cluster" ] && pg_ctlcluster "$(basename "$(dirname "$cluster")")" main stop 2>/dev/null || true
    done
  fi
else
  echo "missing system packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  $runtime && echo "(the system runs without them, but printed forms and reports need them)" >&2 && exit 0
  exit 1
fi
