#!/usr/bin/env bash
# Runs the emulator's conformance suite against the references, each
# started here on a free loopback port and stopped (by its process id)
# afterwards:
#
#   emulator/testdata/conformance.sh fauxqs    # full suite against fauxqs (needs npx)
#   emulator/testdata/conformance.sh moto      # the Smoke subset against moto (needs python3 + moto)
#   emulator/testdata/conformance.sh sqsflow   # full suite against `sqsflow local` in its own process
#   emulator/testdata/conformance.sh all       # the three, then the embedded run
#
# With ALSO="./provision/ ./source/ ..." the fauxqs run also runs those
# packages' integration tests against the same fauxqs.
#
# The embedded run is part of `go test ./...`. CI runs this script with
# "fauxqs" as its second conformance run.
set -euo pipefail
cd "$(dirname "$0")/../.."

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() { # url
	for _ in $(seq 1 150); do
		if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
		sleep 0.2
	done
	echo "conformance: $1 did not come up" >&2
	return 1
}

pid=""
stop() {
	if [ -n "$pid" ]; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=""
	fi
}
trap stop EXIT

suite() { # endpoint reference run-pattern
	echo "conformance: $2 at $1 (-run '$3')"
	SQSFLOW_TEST_ENDPOINT="$1" SQSFLOW_TEST_REFERENCE="$2" go test -count=1 -run "$3" ./emulator/
}

fauxqs() {
	command -v npx >/dev/null || { echo "conformance: npx is needed for fauxqs" >&2; return 1; }
	local port; port=$(free_port)
	FAUXQS_PORT=$port FAUXQS_LOGGER=false setsid npx -y fauxqs@1.9.2 >/dev/null 2>&1 &
	pid=$!
	wait_ready "http://127.0.0.1:$port/health"
	suite "http://127.0.0.1:$port" fauxqs Conformance
	if [ -n "${ALSO:-}" ]; then
		echo "conformance: integration tests of $ALSO against fauxqs"
		# shellcheck disable=SC2086 # ALSO is a list of packages
		SQSFLOW_TEST_ENDPOINT="http://127.0.0.1:$port" SQSFLOW_TEST_REFERENCE=fauxqs go test -count=1 $ALSO
	fi
	stop
}

moto() {
	python3 -c 'import moto.server' 2>/dev/null || { echo "conformance: python3 with moto[server] is needed" >&2; return 1; }
	local port; port=$(free_port)
	setsid python3 -c '
import signal, sys
from moto.server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
s.start()
signal.sigwait([signal.SIGTERM, signal.SIGINT])
s.stop()' "$port" >/dev/null 2>&1 &
	pid=$!
	wait_ready "http://127.0.0.1:$port/moto-api/data.json"
	suite "http://127.0.0.1:$port" moto 'Conformance.*Smoke'
	stop
}

sqsflow() {
	local dir; dir=$(mktemp -d)
	go build -o "$dir/sqsflow" ./cmd/sqsflow
	local port; port=$(free_port)
	setsid "$dir/sqsflow" local -addr "127.0.0.1:$port" >/dev/null &
	pid=$!
	wait_ready "http://127.0.0.1:$port/health"
	suite "http://127.0.0.1:$port" sqsflow Conformance
	stop
	rm -rf "$dir"
}

case "${1:-all}" in
fauxqs) fauxqs ;;
moto) moto ;;
sqsflow) sqsflow ;;
embedded) go test -count=1 -run Conformance ./emulator/ ;;
all)
	fauxqs
	moto
	sqsflow
	go test -count=1 -run Conformance ./emulator/
	;;
*)
	echo "usage: $0 [fauxqs|moto|sqsflow|embedded|all]" >&2
	exit 2
	;;
esac
