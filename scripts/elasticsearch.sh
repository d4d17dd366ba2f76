#!/usr/bin/env bash
# A real, single-node Elasticsearch for development, tests and benchmarks.
#
#   scripts/elasticsearch.sh start|stop|status|url|logs
#
# Fetches the official distribution published on Maven Central for integration tests
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip) with Maven,
# verifies its SHA-1, unpacks it once into a cache, and runs it on 127.0.0.1 as an
# unprivileged user that this script creates (Elasticsearch refuses to run as root).
#
# Settings (environment):
#   ES_VERSION   default 8.19.21, the newest on Maven Central that runs on the machine's JDK 17
#   ES_PORT      HTTP port, default 9200 (transport port = ES_PORT + 100)
#   ES_HEAP      JVM heap, default 512m
#   ES_BASE      cache and runtime folder, default /var/tmp/sectool-es (root) or ~/.cache/sectool-es
#   ES_DATA_DIR  data folder, default $ES_BASE/data-$ES_PORT (a private node uses its own)
#   ES_USER      the unprivileged user, default sectool-es
#   ES_JAVA_HOME the JDK, default: the one `java` on PATH belongs to
#   ES_WAIT      seconds to wait for the node, default 180
#   MAVEN_REPO   the local Maven repository, default ~/.m2/repository
set -euo pipefail

ES_VERSION="${ES_VERSION:-8.19.21}"
ES_PORT="${ES_PORT:-9200}"
ES_HEAP="${ES_HEAP:-512m}"
ES_USER="${ES_USER:-sectool-es}"
ES_WAIT="${ES_WAIT:-180}"
if [ "$(id -u)" -eq 0 ]; then ES_BASE="${ES_BASE:-/var/tmp/sectool-es}"; else ES_BASE="${ES_BASE:-$HOME/.cache/sectool-es}"; fi
ES_DATA_DIR="${ES_DATA_DIR:-$ES_BASE/data-$ES_PORT}"
HOME_DIR="$ES_BASE/elasticsearch-$ES_VERSION"
RUN_DIR="$ES_BASE/run-$ES_PORT"          # config, logs, pid file of this node
URL="http://127.0.0.1:$ES_PORT"
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"

log() { printf 'elasticsearch.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

answers() { curl -fsS -m 5 "$URL/_cluster/health" >/dev/null 2>&1; }

java_home() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  local java; java="$(command -v java)" || die "no java on PATH (install a JDK 17+)"
  dirname "$(dirname "$(readlink -f "$java")")"
}

fetch() {
  [ -x "$HOME_DIR/bin/elasticsearch" ] && return
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch $ARTIFACT"
  mkdir -p "$ES_BASE"
  # Two nodes starting at once (different ports) share the distribution: one fetches and
  # unpacks, the other waits for it and then finds it in place.
  exec 8>"$ES_BASE/.fetch.lock"
  flock 8
  if [ -x "$HOME_DIR/bin/elasticsearch" ]; then exec 8>&-; return; fi
  log "fetching $ARTIFACT from Maven Central"
  local repo_opt=()
  [ -n "${MAVEN_REPO:-}" ] && repo_opt=("-Dmaven.repo.local=$MAVEN_REPO")
  mvn -q -B "${repo_opt[@]}" dependency:get -Dartifact="$ARTIFACT" -Dtransitive=false >&2 \
    || die "Maven could not fetch $ARTIFACT"
  local repo="${MAVEN_REPO:-$HOME/.m2/repository}"
  local zip="$repo/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  [ -f "$zip" ] || die "downloaded zip not found at $zip"
  if [ -f "$zip.sha1" ]; then
    local want got
    want="$(cut -c1-40 < "$zip.sha1")"
    got="$(sha1sum "$zip" | cut -c1-40)"
    [ "$want" = "$got" ] || die "SHA-1 mismatch for $zip (want $want, got $got)"
  fi
  local tmp; tmp="$(mktemp -d "$ES_BASE/unpack.XXXXXX")"
  unzip -q "$zip" -d "$tmp"
  mv "$tmp/elasticsearch-$ES_VERSION" "$HOME_DIR"
  rmdir "$tmp"
  chmod -R a+rX "$HOME_DIR"
  exec 8>&-  # closing the descriptor releases the lock
}

ensure_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id -u "$ES_USER" >/dev/null 2>&1 && return 0
  log "creating system user $ES_USER"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
}

as_es() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

start() {
  if answers; then log "a node already answers at $URL"; return 0; fi
  fetch
  ensure_user
  mkdir -p "$RUN_DIR/config" "$RUN_DIR/logs" "$ES_DATA_DIR"
  cp "$HOME_DIR/config/"{jvm.options,log4j2.properties} "$RUN_DIR/config/"
  mkdir -p "$RUN_DIR/config/jvm.options.d"
  cat > "$RUN_DIR/config/elasticsearch.yml" <<YML
cluster.name: sectool-dev-$ES_PORT
node.name: sectool-node-$ES_PORT
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $((ES_PORT + 100))
discovery.type: single-node
path.data: $ES_DATA_DIR
path.logs: $RUN_DIR/logs
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
YML
  printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP" > "$RUN_DIR/config/jvm.options.d/heap.options"
  if [ "$(id -u)" -eq 0 ]; then chown -R "$ES_USER" "$RUN_DIR" "$ES_DATA_DIR"; fi
  rm -f "$RUN_DIR/es.pid"
  log "starting Elasticsearch $ES_VERSION at $URL (heap $ES_HEAP, data $ES_DATA_DIR)"
  as_es env ES_JAVA_HOME="$(java_home)" ES_PATH_CONF="$RUN_DIR/config" ES_JAVA_OPTS="${ES_JAVA_OPTS:-}" \
    "$HOME_DIR/bin/elasticsearch" -d -p "$RUN_DIR/es.pid" \
    > "$RUN_DIR/logs/stdout.log" 2>&1 || { tail -n 40 "$RUN_DIR/logs/"*.log >&2 || true; die "start failed"; }
  local waited=0
  until curl -fsS -m 5 "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; do
    sleep 2; waited=$((waited + 2))
    if [ "$waited" -ge "$ES_WAIT" ]; then
      tail -n 40 "$RUN_DIR/logs/"*.log >&2 || true
      die "the node did not answer at $URL within ${ES_WAIT}s"
    fi
  done
  log "ready at $URL after ${waited}s"
}

stop() {
  local pidfile="$RUN_DIR/es.pid"
  if [ ! -f "$pidfile" ]; then log "no node started by this script on port $ES_PORT"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
  log "stopped the node on port $ES_PORT"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then curl -fsS "$URL/_cluster/health?pretty"; else echo "not running at $URL"; exit 1; fi ;;
  url) echo "$URL" ;;
  logs) tail -n "${2:-50}" "$RUN_DIR/logs/"*.log ;;
  *) echo "usage: $0 start|stop|status|url|logs [N]" >&2; exit 2 ;;
esac
