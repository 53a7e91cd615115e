#!/usr/bin/env bash
# For working on the tests: start the services tests/run.sh uses and leave them running.
#   tests/dev-services.sh start   →  then: . /tmp/dispatcher-dev/env && dotnet test …
#   tests/dev-services.sh stop
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=/tmp/dispatcher-dev
. "$root/tests/lib/services.sh"
case "${1:-}" in
  start)
    [ -f "$work/env" ] && { log "already running: . $work/env"; exit 0; }
    mkdir -p "$work"
    services_install dovecot spamassassin postfix || exit 1
    export WITH_DOVECOT=1 WITH_RABBITMQ_CLUSTER=1
    services_start || { services_stop; exit 1; }
    { export -p | grep -E 'DISPATCHER_TEST_'; echo "export PG_BIN='$PG_BIN' EPMD_PORT='$EPMD_PORT' PG_STARTED=1 RABBIT_STARTED=1 DOVECOT_STARTED=1 RABBIT_CLUSTER_STARTED=1 RABBIT_CLUSTER_EPMD='$RABBIT_CLUSTER_EPMD'"; } >"$work/env"
    log "running; load with: . $work/env"
    ;;
  stop)
    [ -f "$work/env" ] && . "$work/env"
    services_stop
    rm -rf "$work"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
