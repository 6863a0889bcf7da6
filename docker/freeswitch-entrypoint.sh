#!/usr/bin/env bash
# FreeSWITCH for diemcau (docker/compose.yaml).
#   freeswitch-entrypoint.sh [run]        start FreeSWITCH in the foreground
#   freeswitch-entrypoint.sh healthcheck  exit 0 when the drachtio_mrf profile is RUNNING
#
# The project's configuration tree (dialplans/freeswitch) is mounted read-only. FreeSWITCH takes a
# deployment's settings only from vars.local.xml inside its configuration directory
# (dialplans/README.md), so each start copies the tree into a writable directory and writes that
# file from the environment. The ESL password never touches the disk: vars.local.xml reads it
# with env-set. A vars.local.xml in the mounted tree (your own overrides) is kept as
# vars.operator.xml and included last, so its values win.
#
# Environment:
#   FREESWITCH_ESL_PASSWORD  event-socket password (required; 16+ of A-Z a-z 0-9 . _ ~ -)
#   FREESWITCH_ESL_PORT      event socket on 127.0.0.1 (default 8021)
#   BRIDGE_ADDRESS           where the drachtio_mrf profile's SIP and RTP bind (required)
#   BRIDGE_EXTERNAL_IP       address written into the SDP behind 1:1 NAT (optional)
#   FREESWITCH_SIP_PORT      SIP port of the drachtio_mrf profile (default 5090)
#   FREESWITCH_RTP_START, FREESWITCH_RTP_END   RTP port range (default 16384-32768)
set -euo pipefail

die() { echo "freeswitch-entrypoint: $*" >&2; exit 64; }

PREFIX=${FREESWITCH_PREFIX:-/opt/freeswitch}
CONFIG_SRC=${FREESWITCH_CONFIG_SRC:-/etc/diemcau/freeswitch}
STATE=${FREESWITCH_STATE_DIR:-/var/lib/freeswitch}
LOG_DIR=${FREESWITCH_LOG_DIR:-/var/log/freeswitch}
RUN_DIR=${FREESWITCH_RUN_DIR:-/run/freeswitch}
SOUNDS=${FREESWITCH_SOUNDS_DIR:-/sounds}
CONF=$STATE/conf
ESL_PORT=${FREESWITCH_ESL_PORT:-8021}

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
  # fs_cli reads host, port and password from ~/.fs_cli_conf (written by run): no password in ps
  "$PREFIX/bin/fs_cli" -T 3000 -t 5000 -x 'sofia status' 2>/dev/null \
    | grep -Eq '^[[:space:]]*drachtio_mrf[[:space:]]+profile[[:space:]]+[^[:space:]]+[[:space:]]+RUNNING'
}

run() {
  local password=${FREESWITCH_ESL_PASSWORD:-}
  local address=${BRIDGE_ADDRESS:-}
  local external=${BRIDGE_EXTERNAL_IP:-}
  local sip_port=${FREESWITCH_SIP_PORT:-5090}
  local rtp_start=${FREESWITCH_RTP_START:-16384} rtp_end=${FREESWITCH_RTP_END:-32768}

  [[ -n $password ]] || die "FREESWITCH_ESL_PASSWORD is not set"
  [[ $password =~ ^[A-Za-z0-9._~-]{16,}$ ]] \
    || die "FREESWITCH_ESL_PASSWORD must be 16+ characters of A-Z a-z 0-9 . _ ~ - (try: openssl rand -hex 24)"
  [[ -n $address ]] || die "BRIDGE_ADDRESS is not set (this host's address the sites reach)"
  ipv4 BRIDGE_ADDRESS "$address"
  [[ -z $external ]] || ipv4 BRIDGE_EXTERNAL_IP "$external"
  port FREESWITCH_ESL_PORT "$ESL_PORT"
  port FREESWITCH_SIP_PORT "$sip_port"
  port FREESWITCH_RTP_START "$rtp_start"
  port FREESWITCH_RTP_END "$rtp_end"
  ((rtp_start < rtp_end)) || die "FREESWITCH_RTP_START ($rtp_start) must be below FREESWITCH_RTP_END ($rtp_end)"
  [[ -r $CONFIG_SRC/freeswitch.xml ]] || die "no freeswitch.xml in $CONFIG_SRC (mount the project's dialplans/freeswitch there)"

  rm -rf "$CONF"
  mkdir -p "$CONF" "$LOG_DIR" "$RUN_DIR"
  cp -R "$CONFIG_SRC"/. "$CONF"/
  chmod -R u+w "$CONF"
  local operator=
  if [[ -f $CONF/vars.local.xml ]]; then
    mv "$CONF/vars.local.xml" "$CONF/vars.operator.xml"
    operator='  <X-PRE-PROCESS cmd="include" data="vars.operator.xml"/>'
  fi
  cat > "$CONF/vars.local.xml" <<EOF
<include>
  <!-- Written by freeswitch-entrypoint.sh at every start, from the container's environment. -->
  <X-PRE-PROCESS cmd="env-set" data="esl_password=\$FREESWITCH_ESL_PASSWORD"/>
  <X-PRE-PROCESS cmd="set" data="esl_listen_ip=127.0.0.1"/>
  <X-PRE-PROCESS cmd="set" data="esl_listen_port=${ESL_PORT}"/>
  <X-PRE-PROCESS cmd="set" data="mrf_ip=${address}"/>
  <X-PRE-PROCESS cmd="set" data="mrf_ext_ip=${external:-$address}"/>
  <X-PRE-PROCESS cmd="set" data="mrf_sip_port=${sip_port}"/>
  <X-PRE-PROCESS cmd="set" data="rtp_start_port=${rtp_start}"/>
  <X-PRE-PROCESS cmd="set" data="rtp_end_port=${rtp_end}"/>
${operator}
</include>
EOF

  # for the healthcheck (and `docker compose exec freeswitch fs_cli`)
  (
    umask 077
    printf '[default]\nhost => 127.0.0.1\nport => %s\npassword => %s\n' "$ESL_PORT" "$password" > "${HOME:-$STATE}/.fs_cli_conf"
  )

  local dirs=()
  local d
  for d in db temp certs storage recordings cache; do
    mkdir -p "$STATE/$d"
    dirs+=("-$d" "$STATE/$d")
  done
  # With -nc FreeSWITCH logs only to <log>/freeswitch.log (mod_logfile, rotated at 10 MB): follow
  # it onto stdout for `docker compose logs`.
  touch "$LOG_DIR/freeswitch.log"
  tail -n 0 -F --pid=$$ "$LOG_DIR/freeswitch.log" 2>/dev/null &
  # -nf: stay in the foreground; -nc: no interactive console (it would spin on a closed stdin).
  # SIGTERM shuts FreeSWITCH down.
  exec "$PREFIX/bin/freeswitch" -nonat -nf -nc \
    -conf "$CONF" -log "$LOG_DIR" -run "$RUN_DIR" -sounds "$SOUNDS" "${dirs[@]}"
}

case "${1:-run}" in
  run) run ;;
  healthcheck) healthcheck ;;
  *) exec "$@" ;;
esac
