#!/usr/bin/env bash
# Stops the Dovecot started by start.sh, by the pid it recorded, and waits
# until it is gone. Harmless when nothing runs.
set -euo pipefail
D=${SCAMSCREEN_DOVECOT_DIR:-/tmp/scamscreen-dovecot}
[[ -f $D/dovecot.pid ]] || exit 0
pid=$(cat "$D/dovecot.pid")
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "dovecot-test: pid $pid still running after 30s" >&2
    exit 1
  fi
fi
rm -f "$D/dovecot.pid"
echo "dovecot-test: stopped" >&2
