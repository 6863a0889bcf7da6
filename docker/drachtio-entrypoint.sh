#!/usr/bin/env bash
# drachtio-server for diemcau (docker/compose.yaml). Starts drachtio with the project's
# sip/drachtio.conf.xml, unchanged, and sets on the command line what a deployment changes
# (sip/README.md): the admin address, and every contact (any --contact replaces all of the file's).
#   drachtio-entrypoint.sh [run]        start drachtio-server in the foreground (logs on stdout)
#   drachtio-entrypoint.sh healthcheck  exit 0 when SIP (TCP, and TLS when on) accepts connections
#
# Environment:
#   DRACHTIO_SECRET     admin secret; drachtio-server reads this variable itself (required)
#   DRACHTIO_PORT       admin port on 127.0.0.1 (default 9022), where diemcau connects
#   BRIDGE_ADDRESS      address SIP listens on for the sites (required; one address, never 0.0.0.0)
#   BRIDGE_EXTERNAL_IP  public address written into SIP headers behind 1:1 NAT (optional)
#   BRIDGE_TLS          on: also sips/tls on 5061 and sips/wss on 8443, with the files in TLS_DIR
#   TLS_DIR             cert.pem, privkey.pem, chain.pem (default /etc/diemcau/tls)
# SIP over plain WebSocket stays on 127.0.0.1:8088, for a TLS reverse proxy on this host.
set -euo pipefail

die() { echo "drachtio-entrypoint: $*" >&2; exit 64; }

DRACHTIO_BIN=${DRACHTIO_BIN:-/opt/drachtio/bin/drachtio}
CONFIG=${DRACHTIO_CONFIG:-/etc/diemcau/sip/drachtio.conf.xml}
TLS_DIR=${TLS_DIR:-/etc/diemcau/tls}
ADMIN_PORT=${DRACHTIO_PORT:-9022}
SIP_PORT=5060 TLS_PORT=5061 WSS_PORT=8443 WS_LOCAL_PORT=8088

port() {
  if [[ ! $2 =~ ^[0-9]{1,5}$ ]] || ((10#$2 < 1 || 10#$2 > 65535)); then die "$1 must be a port number, not \"$2\""; fi
}
ipv4() {
  local IFS=. octet
  [[ $2 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "$1 must be an IPv4 address, not \"$2\""
  for octet in $2; do ((10#$octet <= 255)) || die "$1 must be an IPv4 address, not \"$2\""; done
  [[ $2 != 0.0.0.0 ]] || die "$1 must be one of this host's addresses, not 0.0.0.0 (all interfaces)"
}

healthcheck() {
  local address=${BRIDGE_ADDRESS:-127.0.0.1}
  # bash's /dev/tcp: a connection that opens is enough. The admin port opens before the SIP stack
  # binds, so SIP accepting means both are up (and admin-port probes would fill the log with
  # client join/leave lines).
  (exec 3<>"/dev/tcp/${address}/${SIP_PORT}") 2>/dev/null || return 1
  if [[ ${BRIDGE_TLS:-off} == on ]]; then
    (exec 3<>"/dev/tcp/${address}/${TLS_PORT}") 2>/dev/null || return 1
  fi
}

run() {
  local address=${BRIDGE_ADDRESS:-}
  local external=${BRIDGE_EXTERNAL_IP:-}
  [[ -n ${DRACHTIO_SECRET:-} ]] || die "DRACHTIO_SECRET is not set"
  [[ -n $address ]] || die "BRIDGE_ADDRESS is not set (this host's address the sites reach)"
  ipv4 BRIDGE_ADDRESS "$address"
  [[ -z $external ]] || ipv4 BRIDGE_EXTERNAL_IP "$external"
  port DRACHTIO_PORT "$ADMIN_PORT"
  [[ -r $CONFIG ]] || die "cannot read $CONFIG (mount the project's sip/ directory there)"

  local host=$address
  local args=(-f "$CONFIG" --address 127.0.0.1 --port "$ADMIN_PORT")
  # $1 contact URI; $2 "public" when the sites reach it (then --external-ip applies to it)
  contact() {
    args+=(--contact "$1")
    if [[ $2 == public && -n $external ]]; then args+=(--external-ip "$external"); fi
  }
  contact "sip:${host}:${SIP_PORT};transport=udp,tcp" public
  contact "sip:127.0.0.1:${WS_LOCAL_PORT};transport=ws" local

  case ${BRIDGE_TLS:-off} in
    off) ;;
    on)
      # sofia-sip needs a CA list (chain.pem) as well: without one the TLS transports fail to bind
      local f
      for f in cert.pem privkey.pem chain.pem; do
        [[ -r $TLS_DIR/$f ]] || die "BRIDGE_TLS=on but $TLS_DIR/$f is missing or unreadable (docker/README.md, \"TLS\")"
      done
      contact "sips:${host}:${TLS_PORT};transport=tls" public
      contact "sips:${host}:${WSS_PORT};transport=wss" public
      args+=(--cert-file "$TLS_DIR/cert.pem" --key-file "$TLS_DIR/privkey.pem" --chain-file "$TLS_DIR/chain.pem"
        --min-tls-version 1.2)
      ;;
    *) die "BRIDGE_TLS must be on or off, not \"${BRIDGE_TLS}\"" ;;
  esac

  exec "$DRACHTIO_BIN" "${args[@]}"
}

case "${1:-run}" in
  run) run ;;
  healthcheck) healthcheck ;;
  *) exec "$@" ;;
esac
