# syntax=docker/dockerfile:1
# drachtio-server as its maintainers publish it; diemcau adds only its entry point and an
# unprivileged user (the configuration is the project's sip/, mounted read-only). Pin the image by
# digest in production: DRACHTIO_IMAGE=drachtio/drachtio-server@sha256:…
ARG DRACHTIO_IMAGE=drachtio/drachtio-server:latest
FROM ${DRACHTIO_IMAGE}
ARG DRACHTIO_UID=10060
RUN (getent group drachtio || groupadd --system --gid "${DRACHTIO_UID}" drachtio) \
 && (id drachtio || useradd --system --uid "${DRACHTIO_UID}" --gid drachtio --home-dir /nonexistent --shell /usr/sbin/nologin drachtio)
COPY --chmod=0755 drachtio-entrypoint.sh /usr/local/bin/drachtio-entrypoint.sh
ENV DRACHTIO_BIN=/usr/local/bin/drachtio
USER drachtio
ENTRYPOINT ["/usr/local/bin/drachtio-entrypoint.sh"]
