#!/usr/bin/env bash
# Sets up what the tests need, runs them, tears it all down, and ends with one line:
#   tests: N passed, N failed
#
# - installs what is missing from Debian's packages (RabbitMQ, PostgreSQL, Chromium) when run as root,
#   or says what to install otherwise;
# - starts a private RabbitMQ node and a throwaway PostgreSQL cluster on free loopback ports, under a temp dir;
# - passes their addresses to the tests (DISPATCHER_TEST_*), runs `dotnet test Dispatcher.sln`;
# - stops everything it started, whatever happens.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/dispatcher-tests.XXXXXX)
chmod 755 "$work"
log() { printf '[run.sh] %s\n' "$*" >&2; }

rabbit_started=""
pg_started=""
cleanup() {
  if [ -n "$rabbit_started" ]; then
    log "stopping RabbitMQ"
    "$work/rabbitmqctl" shutdown >/dev/null 2>&1 || true
    ERL_EPMD_PORT="$EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
  fi
  if [ -n "$pg_started" ]; then
    log "stopping PostgreSQL"
    as_postgres "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() { # passed failed
  echo "tests: $1 passed, $2 failed"
  [ "$2" -eq 0 ] && [ "$1" -gt 0 ]
  exit $?
}

# --- what is missing -------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
[ -n "$(pg_bin)" ] || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || { log "apt-get install ${missing[*]} failed"; finish 0 1; }
  else
    log "missing: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}"
    finish 0 1
  fi
fi
PG_BIN=$(pg_bin)

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# --- PostgreSQL: a throwaway cluster, trust auth, no fsync ------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  as_postgres() { runuser -u postgres -- "$@"; }
else
  as_postgres() { "$@"; }
fi
PG_PORT=$(free_port)
mkdir -p "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pg"
log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
as_postgres "$PG_BIN/initdb" -D "$work/pg" -A trust -U postgres --no-sync >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; finish 0 1; }
as_postgres "$PG_BIN/pg_ctl" -D "$work/pg" -w -l "$work/pg/server.log" \
  -o "-p $PG_PORT -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null || { cat "$work/pg/server.log" >&2; finish 0 1; }
pg_started=1

# --- RabbitMQ: a private node with its own ports, epmd, cookie and files ----------------------
RABBIT_PORT=$(free_port)
DIST_PORT=$(free_port)
EPMD_PORT=$(free_port)
NODE="dispatcher-test-$$@localhost"
mkdir -p "$work/rabbit/home" "$work/rabbit/mnesia" "$work/rabbit/log"
cat >"$work/rabbit/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
loopback_users = none
CONF
echo "[]." >"$work/rabbit/enabled_plugins"
: >"$work/rabbit/rabbitmq-env.conf"
cat >"$work/rabbit/env" <<ENV
export RABBITMQ_NODENAME='$NODE'
export RABBITMQ_NODE_PORT='$RABBIT_PORT'
export RABBITMQ_DIST_PORT='$DIST_PORT'
export ERL_EPMD_PORT='$EPMD_PORT'
export RABBITMQ_MNESIA_BASE='$work/rabbit/mnesia'
export RABBITMQ_LOG_BASE='$work/rabbit/log'
export RABBITMQ_PID_FILE='$work/rabbit/rabbit.pid'
export RABBITMQ_ENABLED_PLUGINS_FILE='$work/rabbit/enabled_plugins'
export RABBITMQ_CONFIG_FILE='$work/rabbit/rabbitmq.conf'
export RABBITMQ_CONF_ENV_FILE='$work/rabbit/rabbitmq-env.conf'
export HOME='$work/rabbit/home'
ENV
# Wrappers the tests use to manage the node (virtual hosts, restarts).
for tool in rabbitmqctl rabbitmq-server; do
  cat >"$work/$tool" <<SH
#!/usr/bin/env bash
. '$work/rabbit/env'
exec /usr/lib/rabbitmq/bin/$tool "\$@"
SH
  chmod +x "$work/$tool"
done
log "starting RabbitMQ on 127.0.0.1:$RABBIT_PORT"
"$work/rabbitmq-server" -detached >"$work/rabbit/start.log" 2>&1
rabbit_started=1
timeout 60 "$work/rabbitmqctl" wait --timeout 60 "$work/rabbit/rabbit.pid" >/dev/null 2>&1 \
  || { log "RabbitMQ did not start"; cat "$work/rabbit/start.log" "$work"/rabbit/log/*.log >&2 2>/dev/null; finish 0 1; }

export DISPATCHER_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Pooling=true;Maximum Pool Size=40"
export DISPATCHER_TEST_RABBITMQ="127.0.0.1:$RABBIT_PORT"
export DISPATCHER_TEST_RABBITMQCTL="$work/rabbitmqctl"
export DISPATCHER_TEST_RABBITMQ_SERVER="$work/rabbitmq-server"
export DISPATCHER_TEST_RABBITMQ_PIDFILE="$work/rabbit/rabbit.pid"
export DISPATCHER_TEST_CHROMIUM=/usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# --- the tests ---------------------------------------------------------------------------------
results="$work/results"
log "running dotnet test"
( cd "$root" && dotnet test Dispatcher.sln --results-directory "$results" --logger "trx" --logger "console;verbosity=normal" ) 2>&1 \
  | grep -vE '^\s*$' | tee "$work/test.log" | grep -E 'error|Failed |Passed!|Failed!|Total tests|\[FAIL\]' >&2
status=${PIPESTATUS[0]}

passed=0
failed=0
shopt -s nullglob
trx=("$results"/*.trx)
for file in "${trx[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$file" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$failed" -gt 0 ]; then
  log "failures:"
  grep -A 25 -E '^\s*Failed [A-Za-z]' "$work/test.log" | grep -vE '^\s*at (System|Microsoft|Xunit)\.' | head -n 300 >&2
fi
mkdir -p "$root/tests/artifacts" && cp "$work/test.log" "$root/tests/artifacts/test.log" 2>/dev/null
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  log "dotnet test failed before reporting (build error?); see the log above"
  grep -E 'error' "$work/test.log" | head -n 40 >&2
  failed=1
fi
finish "$passed" "$failed"
