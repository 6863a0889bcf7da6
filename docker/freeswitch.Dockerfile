# syntax=docker/dockerfile:1
# FreeSWITCH as drachtio publishes it for drachtio-fsmrf (mod_sofia, mod_conference with video,
# mod_event_socket, mod_av, mod_opus, mod_spandsp…); diemcau adds only its entry point and an
# unprivileged user and /recordings (FreeSWITCH writes, diemcau reads and deletes through the
# freeswitch group: compose.yaml's group_add; the configuration is the project's dialplans/freeswitch, mounted read-only).
# Another image works if it has every module dialplans/freeswitch/autoload_configs/modules.conf.xml
# loads. Pin by digest in production: FREESWITCH_IMAGE=drachtio/drachtio-freeswitch-mrf@sha256:…
ARG FREESWITCH_IMAGE=drachtio/drachtio-freeswitch-mrf:latest
FROM ${FREESWITCH_IMAGE}
ARG FREESWITCH_UID=10080
RUN (getent group freeswitch || groupadd --system --gid "${FREESWITCH_UID}" freeswitch) \
 && (id freeswitch || useradd --system --uid "${FREESWITCH_UID}" --gid freeswitch --home-dir /nonexistent --shell /usr/sbin/nologin freeswitch) \
 && mkdir -p /var/lib/freeswitch /var/log/freeswitch /run/freeswitch \
 && chown -R freeswitch:freeswitch /var/lib/freeswitch /var/log/freeswitch /run/freeswitch \
 && install -d -m 2770 -o freeswitch -g freeswitch /recordings
COPY --chmod=0755 freeswitch-entrypoint.sh /usr/local/bin/freeswitch-entrypoint.sh
ENV FREESWITCH_PREFIX=/usr/local/freeswitch
USER freeswitch
ENTRYPOINT ["/usr/local/bin/freeswitch-entrypoint.sh"]
