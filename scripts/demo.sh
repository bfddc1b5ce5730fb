#!/bin/sh
# The demo: a private mosquitto on a free loopback port, rollsense-sensord on
# simulated gear playing a scripted session (config/scenarios/demo.scn) ten
# times faster than real time, and the readings as they arrive. Everything it
# starts is stopped by PID when it ends, also on Ctrl-C.
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
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	awk 'BEGIN{srand(); print 20000+int(rand()*20000)}')

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
    "sample_hz": 10, "state_dir": "$WORK/state", "confirm": "broker",
    "sensors": [
      { "driver": "bmp280", "bus": "sim", "address": "0x76", "provides": ["pressure_kpa"] },
      { "driver": "mcp9808", "bus": "sim", "address": "0x18", "provides": ["temperature_c"] }
    ],
    "simulation": { "scenario": "$TOP/config/scenarios/demo.scn", "time_scale": $SCALE, "exit_at_end": true }
  }
}
CONF

i=0
until mosquitto_sub -h 127.0.0.1 -p "$PORT" -t '$SYS/broker/version' -C 1 -W 1 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "demo: mosquitto did not start"; cat "$WORK/mosquitto.log"; exit 1; }
	sleep 0.1
done

echo "demo: private broker on 127.0.0.1:$PORT; simulated lacrosse ball at ${SCALE}x speed"
echo "demo: every 5th second of the session (time, pressure on the ball, pad temperature):"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'rollsense/ball1/reading' -q 1 |
	awk -F'[,:]' '{
		for (i = 1; i < NF; i++) { k = $i; gsub(/[{}" ]/, "", k); v[k] = $(i + 1) }
		if (v["seq"] % 50 == 1)
			printf "  %6.1f s   %6s kPa   %6s °C\n", v["mono"], v["pressure_kpa"], v["temperature_c"]
		fflush()
	}' &
PIDS="$PIDS $!"

"$TOP/$BUILD/rollsense-sensord" --config "$WORK/rollsense.json" 2>"$WORK/sensord.log" &
SENSORD=$!
PIDS="$PIDS $SENSORD"
if ! wait $SENSORD; then
	echo "demo: sensord failed; its log:"; cat "$WORK/sensord.log"; exit 1
fi
sleep 0.5
echo "demo: sensord's log:"
sed 's/^/  /' "$WORK/sensord.log"
