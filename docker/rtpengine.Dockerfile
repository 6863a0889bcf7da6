# syntax=docker/dockerfile:1
# rtpengine from Debian's own package (rtpengine-daemon 10.5 in bookworm), userspace forwarding
# only (--table=-1): no kernel module, no iptables, no capabilities. Build context: docker/.
#   docker build -f docker/rtpengine.Dockerfile -t diemcau/rtpengine:10.5 docker

ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
ARG RTPENGINE_UID=10090
# The package's maintainer scripts would start the daemon and create its own user: neither is
# wanted in an image (policy-rc.d 101 = "do not start services"; Debian images usually have it).
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \
 && groupadd --system --gid "${RTPENGINE_UID}" rtpengine \
 && useradd --system --uid "${RTPENGINE_UID}" --gid rtpengine --home-dir /nonexistent --shell /usr/sbin/nologin rtpengine \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rtpengine-daemon \
 && rm -rf /var/lib/apt/lists/* \
 && rtpengine --version
COPY --chmod=0755 rtpengine-entrypoint.sh /usr/local/bin/rtpengine-entrypoint.sh
USER rtpengine
ENTRYPOINT ["/usr/local/bin/rtpengine-entrypoint.sh"]
CMD ["run"]
