#!/usr/bin/env bash
# Sets up what the tests need, runs them, tears it all down, and ends with one line:
#   tests: N passed, N failed
#
# - installs what is missing from Debian's packages (RabbitMQ, PostgreSQL, Chromium) when run as root,
#   or says what to install otherwise;
# - starts a private RabbitMQ node and a throwaway PostgreSQL cluster on free loopback ports (tests/lib/services.sh);
# - passes their addresses to the tests (DISPATCHER_TEST_*) and runs `dotnet test Dispatcher.sln`;
# - stops everything it started, whatever happens.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/dispatcher-tests.XXXXXX)
. "$root/tests/lib/services.sh"

cleanup() { services_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() { # passed failed — stop the services first, so the summary is the last line
  trap - EXIT
  cleanup
  echo "tests: $1 passed, $2 failed"
  [ "$2" -eq 0 ] && [ "$1" -gt 0 ]
  exit $?
}

services_install chromium dovecot spamassassin postfix || finish 0 1
export WITH_DOVECOT=1 WITH_RABBITMQ_CLUSTER=1
services_start || finish 0 1
export DISPATCHER_TEST_CHROMIUM=/usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results="$work/results"
log "running dotnet test"
( cd "$root" && dotnet test Dispatcher.sln --results-directory "$results" --logger "trx" --logger "console;verbosity=normal" ) 2>&1 \
  | grep -vE '^\s*$' | tee "$work/test.log" | grep -E 'error [A-Z]+[0-9]+:|Failed Dispatcher\.|Passed!|Failed!|Total tests|\[FAIL\]' >&2
status=${PIPESTATUS[0]}

passed=0
failed=0
shopt -s nullglob
for file in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$file" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  skipped=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters") # a skipped test counts as failed
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${skipped:-0}))
done
mkdir -p "$root/tests/artifacts" && cp "$work/test.log" "$root/tests/artifacts/test.log"
if [ "$failed" -gt 0 ]; then
  # Each failed test's message and our frames of its stack (not the app's log that follows them), then the names
  # alone, last, so that the end of the output says what failed. The whole log: tests/artifacts/test.log.
  log "failures:"
  awk '/^[[:space:]]*Failed Dispatcher\./ { show = 1 } /Standard (Output|Error) Messages:/ { show = 0 } show' "$work/test.log" \
    | grep -vE '^\s*at (System|Microsoft|Xunit|MassTransit|Npgsql)\.' | head -n 200 >&2
  log "failed tests:"
  grep -E '^\s*Failed Dispatcher\.' "$work/test.log" | sed 's/^\s*/  /' >&2
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  log "dotnet test failed before reporting (build error?):"
  grep -E 'error' "$work/test.log" | head -n 40 >&2
  failed=1
fi
finish "$passed" "$failed"
