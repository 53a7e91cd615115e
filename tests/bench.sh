#!/usr/bin/env bash
# Runs the benchmarks (tests/Dispatcher.Benchmarks) against real services and prints a table:
#   tests/bench.sh [fanout] [--subscribers N] [--stacks inmemory,rabbitmq] [--workers 0,1,2] [--repeat N]
#   tests/bench.sh relay [--rtt 20] [--connections 64] [--subscribers 10000] [--bulk 100000]
#   tests/bench.sh failover [--rtt 20] [--connections 32] [--subscribers 10000]   (starts a 3-node RabbitMQ cluster too)
#   (and import, digest, smtp, alert: see tests/Dispatcher.Benchmarks/Program.cs)
# BENCH_APP_ENV="DOTNET_TieredCompilation=0;…" sets environment variables of the app's processes only (runtime knobs to try);
# the app runs with what the Dockerfile sets (DOTNET_GCgen0size, DOTNET_ReadyToRun=0) unless overridden here.
# Installs postfix (smtp-sink, smtp-source and a private smtpd), RabbitMQ and PostgreSQL when missing (as root), starts private
# instances like tests/run.sh, publishes the app as the Dockerfile does (Release) and runs it as a separate process.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/dispatcher-bench.XXXXXX)
. "$root/tests/lib/services.sh"
trap 'services_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

services_install postfix || exit 1
case " $* " in *" failover "*) export WITH_RABBITMQ_CLUSTER=1 ;; esac
services_start || exit 1
# The app published as the Dockerfile does (Release; READY_TO_RUN=true with BENCH_APP_ENV=DOTNET_ReadyToRun=1 to compare ReadyToRun, ADR 0011), the benchmarks in Release.
arch=$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
( cd "$root" && dotnet publish src/Dispatcher -c Release -a "$arch" --no-self-contained -p:PublishReadyToRun="${READY_TO_RUN:-false}" -o "$work/app" -v q -nologo >/dev/null \
    && dotnet build -c Release tests/Dispatcher.Benchmarks -v q -nologo >/dev/null ) \
  || { log "build failed"; exit 1; }
export DISPATCHER_APP_DLL="$work/app/Dispatcher.dll"
dotnet "$root/tests/Dispatcher.Benchmarks/bin/Release/net10.0/Dispatcher.Benchmarks.dll" "$@"
