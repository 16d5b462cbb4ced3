# fail2ban for deploy/compose.yaml: Debian's package, the example jail.d of this directory,
# running in the foreground. It needs the host network and NET_ADMIN to ban.
FROM docker.io/library/debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends fail2ban iptables python3-systemd \
 && rm -rf /var/lib/apt/lists/* /etc/fail2ban/jail.d/defaults-debian.conf \
 && mkdir -p /run/fail2ban
COPY fail2ban/jail.d/00-bangui.local /etc/fail2ban/jail.d/00-bangui.local
HEALTHCHECK --interval=10s --timeout=5s CMD ["fail2ban-client", "ping"]
CMD ["fail2ban-server", "-f", "-x", "-v", "start"]
