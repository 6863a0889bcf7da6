#!/usr/bin/env bash
# rtpengine for diemcau (docker/compose.yaml): userspace forwarding, ng control on loopback only,
# media on BRIDGE_ADDRESS. Also usable outside a container with the same variables.
#   rtpengine-entrypoint.sh [run]      start rtpengine in the foreground (logs on stderr)
#   rtpengine-entrypoint.sh healthcheck  exit 0 when rtpengine answers an ng "ping"
set -euo pipefail

die() { echo "rtpengine-entrypoint: $*" >&2; exit 64; }

NG_PORT=${RTPENGINE_NG_PORT:-22222}

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
  # bencoded ng ping: "<cookie> d7:command4:pinge" -> "<cookie> d6:result4:ponge"
  local reply
  exec 3<>"/dev/udp/127.0.0.1/${NG_PORT}"
  printf 'hc%s d7:command4:pinge' "$$" >&3
  # one read() takes one whole datagram
  reply=$(timeout 3 dd bs=2048 count=1 status=none <&3 2>/dev/null) || return 1
  [[ $reply == *"6:result4:pong"* ]]
}

run() {
  local address=${BRIDGE_ADDRESS:-}
  local external=${BRIDGE_EXTERNAL_IP:-}
  local min=${RTPENGINE_PORT_MIN:-40000} max=${RTPENGINE_PORT_MAX:-49999}
  [[ -n $address ]] || die "BRIDGE_ADDRESS is not set (this host's address the sites reach)"
  ipv4 BRIDGE_ADDRESS "$address"
  [[ -z $external ]] || ipv4 BRIDGE_EXTERNAL_IP "$external"
  port RTPENGINE_NG_PORT "$NG_PORT"
  port RTPENGINE_PORT_MIN "$min"
  port RTPENGINE_PORT_MAX "$max"
  ((min < max)) || die "RTPENGINE_PORT_MIN ($min) must be below RTPENGINE_PORT_MAX ($max)"

  # interface=LOCAL!ADVERTISED: bind LOCAL, write ADVERTISED into the SDP (1:1 NAT)
  local interface=$address
  [[ -z $external ]] || interface="$address!$external"

  exec rtpengine \
    --config-file=none \
    --table=-1 \
    --interface="$interface" \
    --listen-ng="127.0.0.1:${NG_PORT}" \
    --port-min="$min" --port-max="$max" \
    --foreground --log-stderr --no-log-timestamps \
    --log-level=6
}

case "${1:-run}" in
  run) run ;;
  healthcheck) healthcheck ;;
  *) exec "$@" ;;
esac
