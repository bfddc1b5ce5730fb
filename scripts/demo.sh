#!/bin/sh
# The demo: a private mosquitto on a free loopback port, rollsense-sensord on
# simulated gear playing a scripted session (config/scenarios/demo.scn) at
# DEMO_TIME_SCALE (default 10) times real time, rollsense-collector storing
# it in SQLite; the live events as they happen, then the session summary and
# the report. Everything it starts is stopped by PID when it ends, also on
# Ctrl-C, and its files are removed.
set -eu

BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${DEMO_TIME_SCALE:-10}
WORK=$(mktemp -d /tmp/rollsense-demo-XXXXXX)
PIDS=""

cleanup() {
	trap - EXIT INT TERM
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted; stopping everything"; exit 130' INT TERM

# A free port: ask the kernel for one by binding port 0.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + $$ % 20000)))

cat >"$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
log_dest file $WORK/mosquitto.log
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
CONF
mosquitto -c "$WORK/mosquitto.conf" >/dev/null 2>&1 &
PIDS="$PIDS $!"

cat >"$WORK/rollsense.json" <<CONF
{
  "device_id": "ball1",
  "mqtt": { "uri": "tcp://127.0.0.1:$PORT" },
  "sensord": {
    "sample_hz": 10, "state_dir": "$WORK/state",
    "sensors": [
      { "driver": "bmp280", "bus": "sim", "address": "0x76", "provides": ["pressure_kpa"] },
      { "driver": "mcp9808", "bus": "sim", "address": "0x18", "provides": ["temperature_c"] }
    ],
    "simulation": { "scenario": "$TOP/config/scenarios/demo.scn", "time_scale": $SCALE, "exit_at_end": true }
  },
  "collector": { "database": "$WORK/collector.db" }
}
CONF

i=0
until mosquitto_sub -h 127.0.0.1 -p "$PORT" -t '$SYS/broker/version' -C 1 -W 1 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "demo: mosquitto did not start:"; cat "$WORK/mosquitto.log"; exit 1; }
	sleep 0.1
done

echo "demo: a private mosquitto on 127.0.0.1:$PORT; a simulated lacrosse ball (BMP280 sealed"
echo "      inside, MCP9808 under a heated cover) plays a 6-minute session at ${SCALE}x speed."
echo

"$TOP/$BUILD/rollsense-collector" --config "$WORK/rollsense.json" 2>"$WORK/collector.log" &
COLLECTOR=$!
PIDS="$PIDS $COLLECTOR"

# Live events, as a person at the roller would see them.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'rollsense/ball1/event' -q 1 | awk '
	function field(name,   re, m) {
		re = "\"" name "\":(\"[^\"]*\"|[-0-9.]+)"
		if (match($0, re)) { m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3); gsub(/"/, "", m); return m }
		return ""
	}
	{
		ev = field("event"); t = field("mono")
		if (ev == "session_started") msg = "session started"
		else if (ev == "contact") msg = "contact"
		else if (ev == "hold_started") msg = "holding a knot..."
		else if (ev == "hold_10s") msg = "10 s: that counts as a release, keep breathing"
		else if (ev == "hold_60s") msg = "60 s: enough here, let go"
		else if (ev == "hold_ended") msg = sprintf("hold ended: %s s at %s kPa on average (%s)", field("duration_s"), field("mean_kpa"), field("class"))
		else if (ev == "heat_on") msg = sprintf("heat on: %s °C", field("temperature_c"))
		else if (ev == "heat_off") msg = sprintf("heat off: %s °C", field("temperature_c"))
		else if (ev == "too_hot") msg = sprintf("TOO HOT: %s °C, take the heat away", field("temperature_c"))
		else if (ev == "session_ended") msg = "session ended"
		else msg = ev
		printf "  %6.1f s  %s\n", t, msg
		fflush()
	}' &
PIDS="$PIDS $!"
sleep 0.3

"$TOP/$BUILD/rollsense-sensord" --config "$WORK/rollsense.json" 2>"$WORK/sensord.log" &
SENSORD=$!
PIDS="$PIDS $SENSORD"
if ! wait $SENSORD; then
	echo "demo: sensord failed; its log:"; cat "$WORK/sensord.log"; exit 1
fi
sleep 0.5
kill "$COLLECTOR"; wait "$COLLECTOR" || true

echo
echo "demo: the session summary the collector published (retained on rollsense/ball1/session):"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'rollsense/ball1/session' -C 1 -W 3 | sed 's/^/  /'
echo
echo "demo: rollsense-collector report"
"$TOP/$BUILD/rollsense-collector" --config "$WORK/rollsense.json" report | sed 's/^/  /'
echo
echo "demo: the daemons' logs"
sed 's/^/  sensord   /' "$WORK/sensord.log"
sed 's/^/  collector /' "$WORK/collector.log"
