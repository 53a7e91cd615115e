# Shared by tests/run.sh and tests/bench.sh: install, start and stop the real services the tests and benchmarks use.
# Expects $work (a private temp dir) and prints progress on stderr. Everything listens on free loopback ports.

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# services_install [package …]: RabbitMQ and PostgreSQL always, plus the packages named, from Debian.
services_install() {
  local missing=() package
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  for package in "$@"; do
    case "$package" in
      chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
      postfix) [ -x /usr/sbin/smtp-sink ] || missing+=(postfix) ;;
      dovecot) [ -x /usr/sbin/dovecot ] && dpkg -s dovecot-imapd dovecot-pop3d >/dev/null 2>&1 || missing+=(dovecot-imapd dovecot-pop3d) ;;
      *) dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package") ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}"
    return 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { log "apt-get install ${missing[*]} failed"; return 1; }
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A throwaway cluster: trust auth, no fsync (its data dies with the run). shared_buffers as a server would have it:
# the default 128 MB is a laptop's, and the rows and indexes of a 200,000-person dispatch (~130 MB) did not fit.
start_postgres() {
  PG_BIN=$(pg_bin)
  PG_PORT=$(free_port)
  mkdir -p "$work/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pg"
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_postgres "$PG_BIN/initdb" -D "$work/pg" -A trust -U postgres --no-sync >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; return 1; }
  as_postgres "$PG_BIN/pg_ctl" -D "$work/pg" -w -l "$work/pg/server.log" \
    -o "-p $PG_PORT -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=1GB" \
    start >/dev/null || { cat "$work/pg/server.log" >&2; return 1; }
  PG_STARTED=1
  export DISPATCHER_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Pooling=true;Maximum Pool Size=40"
}

# A private node: its own ports, epmd, cookie (HOME) and files, so it never meets a system RabbitMQ.
start_rabbitmq() {
  RABBIT_PORT=$(free_port)
  local dist_port node
  dist_port=$(free_port)
  EPMD_PORT=$(free_port)
  node="dispatcher-test-$$@localhost"
  mkdir -p "$work/rabbit/home" "$work/rabbit/mnesia" "$work/rabbit/log"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$RABBIT_PORT" >"$work/rabbit/rabbitmq.conf"
  echo "[]." >"$work/rabbit/enabled_plugins"
  : >"$work/rabbit/rabbitmq-env.conf"
  cat >"$work/rabbit/env" <<ENV
export RABBITMQ_NODENAME='$node'
export RABBITMQ_NODE_PORT='$RABBIT_PORT'
export RABBITMQ_DIST_PORT='$dist_port'
export ERL_EPMD_PORT='$EPMD_PORT'
export RABBITMQ_MNESIA_BASE='$work/rabbit/mnesia'
export RABBITMQ_LOG_BASE='$work/rabbit/log'
export RABBITMQ_PID_FILE='$work/rabbit/rabbit.pid'
export RABBITMQ_ENABLED_PLUGINS_FILE='$work/rabbit/enabled_plugins'
export RABBITMQ_CONFIG_FILE='$work/rabbit/rabbitmq.conf'
export RABBITMQ_CONF_ENV_FILE='$work/rabbit/rabbitmq-env.conf'
export HOME='$work/rabbit/home'
ENV
  # Wrappers the tests use to manage the node (virtual hosts, stop and start).
  local tool
  for tool in rabbitmqctl rabbitmq-server; do
    printf '#!/usr/bin/env bash\n. %q\nexec /usr/lib/rabbitmq/bin/%s "$@"\n' "$work/rabbit/env" "$tool" >"$work/$tool"
    chmod +x "$work/$tool"
  done
  log "starting RabbitMQ on 127.0.0.1:$RABBIT_PORT"
  "$work/rabbitmq-server" -detached >"$work/rabbit/start.log" 2>&1
  RABBIT_STARTED=1
  timeout 90 "$work/rabbitmqctl" wait --timeout 90 "$work/rabbit/rabbit.pid" >/dev/null 2>&1 \
    || { log "RabbitMQ did not start"; cat "$work/rabbit/start.log" "$work"/rabbit/log/*.log >&2 2>/dev/null; return 1; }
  export DISPATCHER_TEST_RABBITMQ="127.0.0.1:$RABBIT_PORT"
  export DISPATCHER_TEST_RABBITMQCTL="$work/rabbitmqctl"
  export DISPATCHER_TEST_RABBITMQ_SERVER="$work/rabbitmq-server"
  export DISPATCHER_TEST_RABBITMQ_PIDFILE="$work/rabbit/rabbit.pid"
}

# A throwaway Dovecot (IMAP and POP3) for the bounce mailbox tests: any user name logs in with the password
# "secret" and gets a fresh Maildir, so every test has a mailbox of its own.
start_dovecot() {
  local dir="$work/dovecot" imap_port pop3_port
  imap_port=$(free_port)
  pop3_port=$(free_port)
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  chown nobody:nogroup "$dir/mail" 2>/dev/null || true
  cat >"$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$dir/mail/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = $pop3_port
  }
  inet_listener pop3s {
    port = 0
  }
}
service anvil {
  chroot =
}
CONF
  log "starting Dovecot (IMAP 127.0.0.1:$imap_port, POP3 127.0.0.1:$pop3_port)"
  dovecot -c "$dir/dovecot.conf" </dev/null >"$dir/start.log" 2>&1 || { cat "$dir/dovecot.log" >&2 2>/dev/null; return 1; }
  DOVECOT_STARTED=1
  local i
  for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$imap_port") 2>/dev/null && break
    sleep 0.1
  done
  export DISPATCHER_TEST_IMAP="127.0.0.1:$imap_port"
  export DISPATCHER_TEST_POP3="127.0.0.1:$pop3_port"
}

# start_rabbitmq_cluster: three private nodes on loopback (one epmd, one cookie), joined into a cluster as production
# runs them for alerts that must not stall. Each node gets wrappers in $work/rabbit-N/ to stop and inspect it.
start_rabbitmq_cluster() {
  local epmd i node ports=() nodes=()
  epmd=$(free_port)
  mkdir -p "$work/rabbit-cluster-home"
  for i in 1 2 3; do
    local dir="$work/rabbit-$i" port dist
    port=$(free_port); dist=$(free_port)
    node="dispatcher-cluster-$i-$$@localhost"
    ports+=("$port"); nodes+=("$node")
    mkdir -p "$dir/mnesia" "$dir/log"
    printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$port" >"$dir/rabbitmq.conf"
    echo "[]." >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"
    cat >"$dir/env" <<ENV
export RABBITMQ_NODENAME='$node'
export RABBITMQ_NODE_PORT='$port'
export RABBITMQ_DIST_PORT='$dist'
export ERL_EPMD_PORT='$epmd'
export RABBITMQ_MNESIA_BASE='$dir/mnesia'
export RABBITMQ_LOG_BASE='$dir/log'
export RABBITMQ_PID_FILE='$dir/rabbit.pid'
export RABBITMQ_ENABLED_PLUGINS_FILE='$dir/enabled_plugins'
export RABBITMQ_CONFIG_FILE='$dir/rabbitmq.conf'
export RABBITMQ_CONF_ENV_FILE='$dir/rabbitmq-env.conf'
export HOME='$work/rabbit-cluster-home'
ENV
    local tool
    for tool in rabbitmqctl rabbitmq-server; do
      printf '#!/usr/bin/env bash\n. %q\nexec /usr/lib/rabbitmq/bin/%s "$@"\n' "$dir/env" "$tool" >"$dir/$tool"
      chmod +x "$dir/$tool"
    done
  done
  # One cookie for the three, made before they start at once.
  head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$work/rabbit-cluster-home/.erlang.cookie"
  chmod 400 "$work/rabbit-cluster-home/.erlang.cookie"
  log "starting a 3-node RabbitMQ cluster on 127.0.0.1:${ports[0]},${ports[1]},${ports[2]}"
  RABBIT_CLUSTER_EPMD=$epmd
  RABBIT_CLUSTER_STARTED=1
  for i in 1 2 3; do "$work/rabbit-$i/rabbitmq-server" -detached >"$work/rabbit-$i/start.log" 2>&1; done
  for i in 1 2 3; do
    timeout 90 "$work/rabbit-$i/rabbitmqctl" wait --timeout 90 "$work/rabbit-$i/rabbit.pid" >/dev/null 2>&1 \
      || { log "RabbitMQ node $i did not start"; cat "$work/rabbit-$i/start.log" "$work/rabbit-$i"/log/*.log >&2 2>/dev/null; return 1; }
  done
  for i in 2 3; do
    { "$work/rabbit-$i/rabbitmqctl" stop_app && "$work/rabbit-$i/rabbitmqctl" join_cluster "${nodes[0]}" \
        && "$work/rabbit-$i/rabbitmqctl" start_app; } >"$work/rabbit-$i/join.log" 2>&1 \
      || { log "RabbitMQ node $i did not join the cluster"; cat "$work/rabbit-$i/join.log" >&2; return 1; }
  done
  export DISPATCHER_TEST_RABBITMQ_CLUSTER="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
  export DISPATCHER_TEST_RABBITMQ_CLUSTER_DIR="$work"
}

services_start() {
  chmod 755 "$work"
  start_postgres && start_rabbitmq && { [ -z "${WITH_DOVECOT:-}" ] || start_dovecot; } \
    && { [ -z "${WITH_RABBITMQ_CLUSTER:-}" ] || start_rabbitmq_cluster; }
}

services_stop() {
  if [ -n "${DOVECOT_STARTED:-}" ]; then
    log "stopping Dovecot"
    doveadm -c "$work/dovecot/dovecot.conf" stop >/dev/null 2>&1 || pkill -f "dovecot -c $work/dovecot" 2>/dev/null
    DOVECOT_STARTED=""
  fi
  if [ -n "${RABBIT_STARTED:-}" ]; then
    log "stopping RabbitMQ"
    timeout 60 "$work/rabbitmqctl" shutdown >/dev/null 2>&1 || pkill -9 -f "$work/rabbit" 2>/dev/null
    ERL_EPMD_PORT="$EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
    RABBIT_STARTED=""
  fi
  if [ -n "${RABBIT_CLUSTER_STARTED:-}" ]; then
    log "stopping the RabbitMQ cluster"
    local i
    for i in 1 2 3; do
      timeout 30 "$work/rabbit-$i/rabbitmqctl" shutdown >/dev/null 2>&1 || pkill -9 -f "$work/rabbit-$i" 2>/dev/null
    done
    ERL_EPMD_PORT="$RABBIT_CLUSTER_EPMD" epmd -kill >/dev/null 2>&1 || true
    RABBIT_CLUSTER_STARTED=""
  fi
  if [ -n "${PG_STARTED:-}" ]; then
    log "stopping PostgreSQL"
    as_postgres "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    PG_STARTED=""
  fi
}
