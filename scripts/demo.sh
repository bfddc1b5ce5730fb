#!/bin/sh
# The demo: a private mosquitto on a free loopback port, rollsense-sensord on
# simulated gear playing a scripted session (config/scenarios/demo.scn) at
# DEMO_TIME_SCALE (default 10) times real time, rollsense-collector storing
# it in SQLite, and rollsense-collector serve showing it all as a web page on
# another free loopback port (its address is printed first: open it while the
# demo runs); the live events as they happen, then the session summary and
# the report. Everything it starts is stopped by PID when it ends, also on
# Ctrl-C, and the broker's files are removed. What is worth exploring stays
# in $BUILD/demo (made afresh each run): the configuration, the database and
# the daemons' logs; the script ends by printing the commands that read them
# (serve among them: the page works on the kept database).
set -eu

BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${DEMO_TIME_SCALE:-10}
WORK=$(mktemp -d /tmp/rollsense-demo-XXXXXX)
# Kept after the end; named as the printed commands name it (from $TOP).
DEMO_REL=$BUILD/demo
case $BUILD in
/*) DEMO=$DEMO_REL ;;
*) DEMO=$TOP/$DEMO_REL ;;
esac
PIDS=""
rm -rf "$DEMO"
mkdir -p "$DEMO"

cleanup() {
	trap - EXIT INT TERM
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
INTERRUPTED=""
interrupted() {
	echo
	echo "demo: interrupted; stopping everything it started"
	exit 130
}
# Ctrl-C reaches the whole process group: the daemons stop by themselves,
# the flag makes sure the script does not go on to the summary.
trap 'INTERRUPTED=1' INT TERM

# A free port: ask the kernel for one by binding port 0.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000 + $1))
}
PORT=$(free_port 0)
WEB_PORT=$(free_port 1)

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

# Relative paths in it are relative to its folder: the database and the
# state stay beside it.
cat >"$DEMO/rollsense.json" <<CONF
{
  "device_id": "ball1",
  "mqtt": { "uri": "tcp://127.0.0.1:$PORT" },
  "sensord": {
    "sample_hz": 10, "state_dir": "state",
    "sensors": [
      { "driver": "bmp280", "bus": "sim", "address": "0x76", "provides": ["pressure_kpa"] },
      { "driver": "mcp9808", "bus": "sim", "address": "0x18", "provides": ["temperature_c"] }
    ],
    "simulation": { "scenario": "$TOP/config/scenarios/demo.scn", "time_scale": $SCALE, "exit_at_end": true }
  },
  "collector": { "database": "collector.db" },
  "web": { "listen": "127.0.0.1:$WEB_PORT" }
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

"$TOP/$BUILD/rollsense-collector" --config "$DEMO/rollsense.json" 2>"$DEMO/collector.log" &
COLLECTOR=$!
PIDS="$PIDS $COLLECTOR"

# The page: serve opens the database read-only, so the collector makes it
# first.
i=0
until [ "$(sqlite3 "$DEMO/collector.db" 'PRAGMA user_version' 2>/dev/null || echo 0)" -gt 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the collector made no database:"; cat "$DEMO/collector.log"; exit 1; }
	sleep 0.1
done
"$TOP/$BUILD/rollsense-collector" --config "$DEMO/rollsense.json" serve 2>"$DEMO/serve.log" &
SERVE=$!
PIDS="$PIDS $SERVE"
i=0
until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
	"$WEB_PORT" 2>/dev/null; do
	i=$((i + 1))
	kill -0 "$SERVE" 2>/dev/null && [ $i -lt 100 ] ||
		{ echo "demo: the page did not come up:"; cat "$DEMO/serve.log"; exit 1; }
	sleep 0.1
done
echo
echo "demo: the page: open http://127.0.0.1:$WEB_PORT/ on this machine (live hold timer, then"
echo "      Sessions and History once the session is stored)."
echo

# Live events, as a person at the roller would see them.
# (Through a FIFO, so each side has its own PID to stop; line-buffered so
# events show as they come.)
mkfifo "$WORK/events"
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'rollsense/ball1/event' -q 1 >"$WORK/events" &
PIDS="$PIDS $!"
# One JSON object a line; "field NAME" pulls a value out of $line.
field() { printf '%s\n' "$line" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
while IFS= read -r line; do
	case $(field event) in
	session_started) msg="session started" ;;
	contact) msg="contact: $(field pressure_kpa) kPa" ;;
	hold_started) msg="holding a knot ($(field mean_kpa) kPa so far)" ;;
	hold_10s) msg="10 s: that counts as a release; keep breathing" ;;
	hold_60s) msg="60 s: enough on this spot, let go" ;;
	hold_ended) msg="hold ended: $(field duration_s) s at $(field mean_kpa) kPa on average -> $(field class)" ;;
	heat_on) msg="heat on: $(field temperature_c) °C" ;;
	heat_off) msg="heat off: $(field temperature_c) °C" ;;
	too_hot) msg="TOO HOT: $(field temperature_c) °C, take the heat away" ;;
	session_ended) msg="session ended" ;;
	*) msg=$(field event) ;;
	esac
	printf '  %7s s  %s\n' "$(field mono)" "$msg"
done <"$WORK/events" &
PIDS="$PIDS $!"
sleep 0.3

"$TOP/$BUILD/rollsense-sensord" --config "$DEMO/rollsense.json" 2>"$DEMO/sensord.log" &
SENSORD=$!
PIDS="$PIDS $SENSORD"
if ! wait $SENSORD; then
	[ -z "$INTERRUPTED" ] || interrupted
	echo "demo: sensord failed; its log:"; cat "$DEMO/sensord.log"; exit 1
fi
[ -z "$INTERRUPTED" ] || interrupted
sleep 0.5
kill "$COLLECTOR" "$SERVE" 2>/dev/null || true
wait "$COLLECTOR" 2>/dev/null || true
wait "$SERVE" 2>/dev/null || true
[ -z "$INTERRUPTED" ] || interrupted

echo
echo "demo: the session summary the collector published (retained on rollsense/ball1/session):"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'rollsense/ball1/session' -C 1 -W 3 | sed 's/^/  /'
echo
echo "demo: rollsense-collector report"
"$TOP/$BUILD/rollsense-collector" --config "$DEMO/rollsense.json" report | sed 's/^/  /'
echo
echo "demo: the daemons' logs"
sed 's/^/  sensord   /' "$DEMO/sensord.log"
sed 's/^/  collector /' "$DEMO/collector.log"
sed 's/^/  serve     /' "$DEMO/serve.log"
echo
echo "demo: the broker and the daemons are stopped; the database stays in $DEMO_REL/"
echo "      (with the configuration and the logs; the next make demo starts it afresh)."
echo "      Explore it$( [ "$(pwd)" = "$TOP" ] || printf ' from %s' "$TOP" ):"
echo "  $BUILD/rollsense-collector --config $DEMO_REL/rollsense.json report"
echo "  $BUILD/rollsense-collector --config $DEMO_REL/rollsense.json report --json"
echo "  $BUILD/rollsense-collector --config $DEMO_REL/rollsense.json report --csv"
echo "  $BUILD/rollsense-collector --config $DEMO_REL/rollsense.json report --html $DEMO_REL/report.html"
echo "  sqlite3 -header -column $DEMO_REL/collector.db \\"
echo "    \"SELECT datetime(start_ts, 'unixepoch', 'localtime') AS start, duration_s, hold_count, heat_time_s FROM sessions\""
echo
echo "demo: the page again, on the kept database (Ctrl-C stops it):"
echo "  $BUILD/rollsense-collector --config $DEMO_REL/rollsense.json serve"
echo "      then open http://127.0.0.1:$WEB_PORT/sessions (web.listen in $DEMO_REL/rollsense.json)"
