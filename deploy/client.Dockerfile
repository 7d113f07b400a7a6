# syntax=docker/dockerfile:1
# Client image: the Godot 4.5 web export of godot_client/, served by nginx, which also proxies the
# API, admin, static files, docs, probes and the Telegram webhook to the `web` service.
# Build context: the repository root (docker compose build client).

# Stage 1: export the game with a headless Godot 4.5 that has the export templates installed.
ARG GODOT_IMAGE=barichello/godot-ci:4.5
ARG NGINX_IMAGE=nginx:1.28-alpine

FROM ${GODOT_IMAGE} AS export
# The name of the Web preset in godot_client/export_presets.cfg.
ARG GODOT_EXPORT_PRESET=Web
WORKDIR /src
COPY godot_client/ ./
# Import first (a fresh checkout has no .godot/ cache), then export; fail if the files are missing.
# The import run has been seen to crash while quitting after finishing its work, so its exit
# status is reported, not trusted: the export and the file checks decide.
RUN (godot --headless --path /src --import || echo "godot --import exited with status $?") \
    && mkdir -p /export \
    && godot --headless --path /src --export-release "${GODOT_EXPORT_PRESET}" /export/index.html \
    && test -s /export/index.html && test -s /export/index.js \
    && test -s /export/index.wasm && test -s /export/index.pck

# Stage 2: nginx with the export, fingerprinted for long caching and precompressed.
FROM ${NGINX_IMAGE}
# The nginx image renders /etc/nginx/templates/*.template into conf.d/ at start (envsubst).
ENV NGINX_PORT=80 \
    WEB_UPSTREAM=web:8000 \
    NGINX_RESOLVER=127.0.0.11 \
    ADMIN_URL=admin/
COPY deploy/nginx.conf /etc/nginx/templates/default.conf.template
COPY --chmod=0755 deploy/nginx-admin-path.envsh /docker-entrypoint.d/15-clickgame-admin-path.envsh
COPY --chmod=0755 deploy/nginx-proxy-trust.envsh /docker-entrypoint.d/16-clickgame-proxy-trust.envsh
COPY --chmod=0755 deploy/fingerprint-export.sh /usr/local/bin/fingerprint-export
COPY --from=export /export/ /srv/clickgame/
RUN fingerprint-export /srv/clickgame
EXPOSE 80
