#!/usr/bin/env bash
# Usage: remote-deploy.sh DEPLOY_PATH RELEASE_ID
# Runs on the server (deploy.yml copies it there with the release). Expects
#   DEPLOY_PATH/incoming/RELEASE_ID.tar.gz   the bundle (deploy/bundle.sh)
#   DEPLOY_PATH/incoming/RELEASE_ID.env      the .env (deploy/render_env.py)
# and then: unpacks into DEPLOY_PATH/releases/RELEASE_ID, points DEPLOY_PATH/current at it,
# `docker compose up -d --build`, and waits (bounded) until /ready answers 200 through nginx.
# If the stack does not come up it prints the containers' state, saves the recent service logs to
# DEPLOY_PATH/logs/RELEASE_ID.log (mode 600; they hold player ids and IP addresses, so they stay
# on the server and out of the CI log) and exits 1.
# READY_ATTEMPTS (default 60) x READY_INTERVAL seconds (default 5) bound the wait;
# KEEP_RELEASES (default 5) old release folders are kept for rollback.
set -euo pipefail

deploy_path=${1:?usage: remote-deploy.sh DEPLOY_PATH RELEASE_ID}
release_id=${2:?usage: remote-deploy.sh DEPLOY_PATH RELEASE_ID}
attempts=${READY_ATTEMPTS:-60}
interval=${READY_INTERVAL:-5}
keep=${KEEP_RELEASES:-5}

log() { printf '[deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() { printf '[deploy] FAILED: %s\n' "$*" >&2; exit 1; }

if [[ ! $release_id =~ ^[A-Za-z0-9._-]+$ ]]; then
  fail "release id '$release_id' may hold only letters, digits, . _ -"
fi
docker compose version >/dev/null 2>&1 \
  || fail "Docker Compose v2 is missing: install the docker-compose-plugin package"

incoming="$deploy_path/incoming"
release="$deploy_path/releases/$release_id"
[[ -f $incoming/$release_id.tar.gz ]] || fail "no bundle at $incoming/$release_id.tar.gz"
[[ -f $incoming/$release_id.env ]] || fail "no .env at $incoming/$release_id.env"

log "unpacking release $release_id into $release"
rm -rf "$release"
mkdir -p "$release"
tar -xzf "$incoming/$release_id.tar.gz" -C "$release"
install -m 600 "$incoming/$release_id.env" "$release/.env"
rm -f "$incoming/$release_id.tar.gz" "$incoming/$release_id.env"
ln -sfn "releases/$release_id" "$deploy_path/current.new"
mv -T "$deploy_path/current.new" "$deploy_path/current"
cd "$deploy_path/current"

logs_file="$deploy_path/logs/$release_id.log"
show_state() {
  log "docker compose ps:"
  docker compose ps --all --format 'table {{.Service}}\t{{.State}}\t{{.Status}}' || true
  mkdir -p "$deploy_path/logs"
  chmod 700 "$deploy_path/logs"
  (umask 077 && docker compose logs --no-color --timestamps --tail=200 >"$logs_file" 2>&1) || true
  log "the last 200 log lines of each service are on the server in $logs_file"
}

log "building and starting the stack"
if ! docker compose up --detach --build --remove-orphans; then
  show_state
  fail "docker compose up did not bring the stack up (see $logs_file on the server)"
fi

host=$(sed -n "s/^ALLOWED_HOSTS=//p" .env | head -n 1 | tr -d "'\"" | cut -d, -f1)
host=${host#.}
log "waiting for /ready through nginx (Host: ${host:-localhost}), up to $((attempts * interval)) s"
for attempt in $(seq 1 "$attempts"); do
  if body=$(docker compose exec -T client \
      wget -q -O - --header "Host: ${host:-localhost}" http://127.0.0.1/ready 2>&1); then
    log "ready after $attempt attempt(s): $body"
    break
  fi
  if [[ $attempt -eq $attempts ]]; then
    show_state
    fail "/ready did not answer 200 after $attempts attempts; last answer: $body"
  fi
  sleep "$interval"
done

log "pruning old releases (keeping $keep) and dangling images"
find "$deploy_path/releases" -mindepth 1 -maxdepth 1 -type d ! -name "$release_id" -printf '%T@ %p\n' \
  | sort -rn | tail -n +"$((keep + 1))" | cut -d' ' -f2- | xargs -r rm -rf
docker image prune --force >/dev/null || true
log "release $release_id is live"
