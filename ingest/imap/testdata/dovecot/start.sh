#!/usr/bin/env bash
# Starts a private Dovecot for scamscreen's IMAP integration tests and prints
# the environment the tests read. Idempotent: a running instance is reused.
#
#   eval "$(bash ingest/imap/testdata/dovecot/start.sh)"
#   go test ./ingest/imap/ -run Dovecot
#   bash ingest/imap/testdata/dovecot/stop.sh
#
# Settings (environment):
#   SCAMSCREEN_DOVECOT_DIR         state folder (default /tmp/scamscreen-dovecot)
#   SCAMSCREEN_DOVECOT_IMAP_PORT   plaintext/STARTTLS port (default 10143)
#   SCAMSCREEN_DOVECOT_IMAPS_PORT  implicit TLS port (default 10993)
#
# Installs Debian's dovecot-imapd with apt-get when dovecot is missing (needs
# root). Test users (passwd-file, PLAIN): alice@example.test / alicepw and
# bob@example.test / bobpw, mail owned by uid 65534. Progress goes to stderr;
# stdout carries only the export lines.
set -euo pipefail

D=${SCAMSCREEN_DOVECOT_DIR:-/tmp/scamscreen-dovecot}
IMAP_PORT=${SCAMSCREEN_DOVECOT_IMAP_PORT:-10143}
IMAPS_PORT=${SCAMSCREEN_DOVECOT_IMAPS_PORT:-10993}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "dovecot-test: $*" >&2; }

print_env() {
  echo "export SCAMSCREEN_DOVECOT=127.0.0.1:$IMAP_PORT"
  echo "export SCAMSCREEN_DOVECOT_TLS=127.0.0.1:$IMAPS_PORT"
  echo "export SCAMSCREEN_DOVECOT_CONF=$D/dovecot.conf"
  echo "export SCAMSCREEN_DOVECOT_CA=$D/cert.pem"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ -f $D/dovecot.pid ]] && kill -0 "$(cat "$D/dovecot.pid")" 2>/dev/null && port_open "$IMAP_PORT"; then
  log "already running (pid $(cat "$D/dovecot.pid"))"
  print_env
  exit 0
fi

if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null; then
  log "installing dovecot-imapd"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq dovecot-imapd >&2
fi
# A system dovecot started by the package (no policy-rc.d) listens on 143/993,
# not on our ports, and does not disturb the test instance.

mkdir -p "$D/run" "$D/state" "$D/mail"
if [[ ! -s $D/cert.pem || ! -s $D/key.pem ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
fi
: > "$D/users.tmp"
for u in alice bob; do
  echo "$u@example.test:{PLAIN}${u}pw:65534:65534::$D/mail/$u@example.test" >> "$D/users.tmp"
done
mv "$D/users.tmp" "$D/users"
sed -e "s|@DIR@|$D|g" -e "s|@IMAP_PORT@|$IMAP_PORT|g" -e "s|@IMAPS_PORT@|$IMAPS_PORT|g" \
  "$HERE/dovecot.conf.in" > "$D/dovecot.conf"
chown -R 65534:65534 "$D/mail"
doveconf -c "$D/dovecot.conf" -n > /dev/null

if port_open "$IMAP_PORT"; then
  log "port $IMAP_PORT is taken by another process; set SCAMSCREEN_DOVECOT_IMAP_PORT"
  exit 1
fi
rm -f "$D/dovecot.pid"
setsid /usr/sbin/dovecot -F -c "$D/dovecot.conf" > "$D/stdout.log" 2>&1 < /dev/null &
echo $! > "$D/dovecot.pid"

for _ in $(seq 1 200); do
  if port_open "$IMAP_PORT" && port_open "$IMAPS_PORT"; then
    log "ready (pid $(cat "$D/dovecot.pid"))"
    print_env
    exit 0
  fi
  if ! kill -0 "$(cat "$D/dovecot.pid")" 2>/dev/null; then
    log "dovecot exited; see $D/stdout.log and $D/dovecot.log"
    cat "$D/stdout.log" >&2 || true
    exit 1
  fi
  sleep 0.05
done
log "not ready after 10s; see $D/dovecot.log"
exit 1
