#!/bin/sh
# make bench: where rollsense stands against its peers, and its limits.
# Public tools only (valgrind --tool=callgrind, /usr/bin/time -v, mosquitto,
# mosquitto_pub/_sub, sqlite3) and the bench programs in bench/. Every
# comparison is measured side by side in this one run. Results go to stdout
# and to $BUILD/bench/results.txt; bench/RESULTS.md records one run.
#
#   1  sensord's instructions per published reading at 20 Hz (callgrind),
#      beside a minimal Paho MQTTAsync publisher and mosquitto_pub -l, fed
#      the same lines at the same rate
#   4  sensord's CPU and RSS over 60 s at 10, 20 and 100 Hz (runs beside 1),
#      beside the minimal Paho publisher at 20 Hz; and the two shipped
#      examples (config/lacrosse-ball.json, config/foam-roller.json) as users
#      run them, a collector acking, only what cannot run here substituted
#      (shipped() says what): CPU, voluntary context switches and marginal
#      instructions per reading, each as a ratio to the Paho floor (paho_min
#      fed that example's own readings at its rate, for as long), in
#      BENCH_SHIPPED_ROUNDS rounds (5): the ratio is the rounds' median, and a
#      second floor beside each pair (the control) says how far one floor
#      lands from another in the same round
#   2  the collector's ingest rate beside mosquitto_sub's and a minimal Paho
#      subscriber's, same queued stream
#   3  2000 devices at 10 Hz for 60 s into one collector: loss, latency, RSS
#   5  what recomputing a run after late readings costs (1 h and 1 day at 10 Hz)
#   6  the live page under load: 200 SSE clients on serve's /events (web.max_clients
#      256), sensord at 10 Hz: serve's CPU over 60 s, and the delay from a
#      reading's time to its frame at the clients
#   7  the session page of a 1-hour session at 10 Hz: render time and size
#      (bench/render, no broker)
#
# Each part has its own mosquitto on a free loopback port; everything started
# here is stopped by PID. About 10 minutes on 2 cores. BENCH_PARTS="2 3" runs
# only those parts (1 and 4 run together). BENCH_BASE_BUILD=DIR (another
# commit's build directory) adds its collector to part 2's rounds, so that a
# change is measured before and after in the same rounds.
set -eu

BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
B="$TOP/$BUILD"
BB="$B/bench"
WORK=$(mktemp -d /tmp/rollsense-bench-XXXXXX)
RESULTS="$BB/results.txt"
PIDS=""
# Seconds of the callgrind runs (short and long: their difference removes
# start-up and shut-down cost) and of the budget runs.
CG_SHORT=${BENCH_CG_SHORT:-20}
CG_LONG=${BENCH_CG_LONG:-40}
BUDGET_S=${BENCH_BUDGET_S:-60}
SHIPPED_ROUNDS=${BENCH_SHIPPED_ROUNDS:-5}
INGEST_DEVICES=${BENCH_INGEST_DEVICES:-200}
INGEST_COUNT=${BENCH_INGEST_COUNT:-500}
SCALE_DEVICES=${BENCH_SCALE_DEVICES:-2000}
SCALE_HZ=${BENCH_SCALE_HZ:-10}
SCALE_S=${BENCH_SCALE_S:-60}
SSE_CLIENTS=${BENCH_SSE_CLIENTS:-200}
SSE_S=${BENCH_SSE_S:-60}
SSE_IDLE_S=${BENCH_SSE_IDLE_S:-20}
PARTS=${BENCH_PARTS:-1 2 3 4 5 6 7}
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

cleanup() {
	trap - EXIT INT TERM
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -n "${BENCH_KEEP:-}" ] && echo "bench: files kept in $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "bench: interrupted"; exit 130' INT TERM

# --- tools -------------------------------------------------------------------
missing=""
for t in valgrind:valgrind callgrind_annotate:valgrind mosquitto:mosquitto \
	mosquitto_pub:mosquitto-clients sqlite3:sqlite3 /usr/bin/time:time; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
	echo "bench: installing:$missing"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
case "$BUILD" in */san*) SAN="SANITIZE=1"; echo "bench: sanitizer build: figures are meaningless" ;; *) SAN="" ;; esac
make --no-print-directory -C "$TOP" $SAN bench-bins >/dev/null
mkdir -p "$BB"
: >"$RESULTS"
say() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# broker NAME: a mosquitto on a free port, queues unlimited, no persistence.
# Sets PORT_<NAME>.
broker() {
	port=$(free_port)
	cat >"$WORK/$1.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
log_dest file $WORK/$1.log
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
CONF
	mosquitto -c "$WORK/$1.conf" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	i=0
	until mosquitto_sub -p "$port" -t '$SYS/broker/version' -C 1 -W 1 >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 50 ] || { echo "bench: mosquitto did not start"; exit 1; }
		sleep 0.1
	done
	eval "PORT_$1=$port"
}

# scenario FILE END_S: a lacrosse ball rolled and held over and over.
scenario() {
	{
		echo "seed 3"; echo "end $2"
		echo "chip ball bmp280 0x76 sealed"; echo "chip pad mcp9808 0x18"
		echo "noise ball load_kpa 0.2"; echo "at 0 pad temperature_c 39"
		t=5
		while [ $t -lt "$2" ]; do
			echo "ramp $t $((t + 1)) ball load_kpa 14"
			echo "ramp $((t + 12)) $((t + 13)) ball load_kpa 0"
			t=$((t + 20))
		done
	} >"$1"
}

# sensord_conf FILE DEVICE PORT HZ SCENARIO TIME_SCALE: confirm on PUBACK.
sensord_conf() {
	cat >"$1" <<CONF
{
  "device_id": "$2", "log_level": "info",
  "mqtt": { "uri": "tcp://127.0.0.1:$3" },
  "sensord": {
    "sample_hz": $4, "state_dir": "$WORK/state-$2", "confirm": "broker",
    "sensors": [
      { "driver": "bmp280", "bus": "sim", "address": "0x76", "provides": ["pressure_kpa"] },
      { "driver": "mcp9808", "bus": "sim", "address": "0x18", "provides": ["temperature_c"] }
    ],
    "simulation": { "scenario": "$5", "time_scale": $6, "exit_at_end": true }
  }
}
CONF
}

# subscribe NAME PORT TOPIC: counts what arrives, into $WORK/NAME.sub.
subscribe() {
	mosquitto_sub -p "$2" -q 1 -t "$3" >"$WORK/$1.sub" &
	PIDS="$PIDS $!"
	eval "SUB_$1=$!"
}

# tool_scenario FILE END_S KIND: the chips of a shipped example (KIND ball:
# config/lacrosse-ball.json, roller: config/foam-roller.json) at the same
# addresses, rolled (the gyro turning) and held still over and over.
tool_scenario() {
	{
		echo "seed 5"; echo "end $2"
		echo "chip pad mcp9808 0x18"; echo "chip gyro mpu6050 0x68"
		echo "at 0 pad temperature_c 39"; echo "at 0 gyro gyro_x_dps 40"
		case $3 in
		ball) echo "chip ball bmp280 0x76 sealed"; echo "noise ball load_kpa 0.2"
			q="ball load_kpa"; held=14 ;;
		roller) echo "chip fsr ads1115 0x48"; echo "noise fsr ain0_v 0.01"
			q="fsr ain0_v"; held=1.7 ;;
		esac
		t=5
		while [ $t -lt "$2" ]; do
			echo "ramp $t $((t + 1)) $q $held"; echo "at $((t + 1)) gyro gyro_x_dps 2"
			echo "ramp $((t + 12)) $((t + 13)) $q 0"; echo "at $((t + 12)) gyro gyro_x_dps 40"
			t=$((t + 20))
		done
	} >"$1"
}

# shipped KIND DEVICE PORT END_S TIME_SCALE: writes $WORK/DEVICE.json, the
# shipped example of KIND as it is, substituting only what cannot run here:
# the broker (PORT), state_dir and the database (in $WORK), device_id (several
# run at once), "/dev/i2c-1" -> "sim" with a scenario declaring the same chips
# at the same addresses (the real drivers run on the register-level models),
# the GPIO chip -> "sim". The login lines are commented out as shipped.
shipped() {
	case $1 in ball) src="$TOP/config/lacrosse-ball.json" ;; roller) src="$TOP/config/foam-roller.json" ;; esac
	tool_scenario "$WORK/$2.scn" "$4" "$1"
	sed -e "s|^\(  \"device_id\": \)\"[^\"]*\"|\1\"$2\"|" \
		-e "s|\"uri\": \"tcp://127.0.0.1:1883\"|\"uri\": \"tcp://127.0.0.1:$3\"|" \
		-e "s|\"state_dir\": \"/var/lib/rollsense\"|\"state_dir\": \"$WORK/state-$2\"|" \
		-e "s|\"database\": \"/var/lib/rollsense/collector.db\"|\"database\": \"$WORK/shipped.db\"|" \
		-e 's|"bus": "/dev/i2c-1"|"bus": "sim"|' -e 's|"chip": "gpiochip0"|"chip": "sim"|' \
		-e "/^    \"sample_hz\": /a\\
    \"simulation\": { \"scenario\": \"$WORK/$2.scn\", \"time_scale\": $5, \"exit_at_end\": true }," \
		"$src" >"$WORK/$2.json"
	# Nothing else may differ: 7 lines changed, device_id perhaps, 1 added
	# (the simulation).
	nd=$(diff "$src" "$WORK/$2.json" | grep -c '^>' || true)
	want_nd=9; grep -q "^  \"device_id\": \"$2\"" "$src" && want_nd=8
	left=$(grep -e '"/dev/i2c' -e '"gpiochip' -e '/var/lib' "$WORK/$2.json" | grep -cv '^ *//' || true)
	if [ "$nd" -ne $want_nd ] || [ "$left" -ne 0 ]; then
		echo "bench: $WORK/$2.json is not $src with the expected substitutions ($nd lines differ)"
		diff "$src" "$WORK/$2.json"; exit 1
	fi
}

# rusage OUT CMD...: runs CMD (stdin and stdout its own) and writes
# "user_s sys_s elapsed_s voluntary_switches max_rss_kib" to OUT, from
# wait4(2)'s rusage in microseconds (time -v rounds CPU to 10 ms, 5 % of
# what a publisher at 10 Hz uses in a minute). CMD's exit status is its own.
rusage() {
	python3 -c '
import os, signal, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:])
signal.signal(signal.SIGTERM, lambda *a: p.terminate())
_, status, ru = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%.6f %.6f %.3f %d %d\n" % (ru.ru_utime, ru.ru_stime, time.monotonic() - t0,
                                       ru.ru_nvcsw, ru.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))' "$@"
}

# paced READY HZ LINES: the lines at HZ, from when READY exists (paho_min's
# READY_FILE: it has connected), so a slow start sends no burst.
paced() {
	i=0
	until [ -e "$1" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "bench: $1 never came" >&2; exit 1; }
		sleep 0.1
	done
	exec "$BB/pace" "$2" <"$3"
}

cg_total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
cg() {
	cgname=$1; shift
	valgrind --tool=callgrind --callgrind-out-file="$WORK/$cgname.cg" --log-file="$WORK/$cgname.vg" "$@"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
now() { date +%s.%N; }
# get KEY: the value of KEY=value in $res (a bench program's last line).
get() { printf '%s\n' "$res" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo "bench: machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
	"$(free -m | awk '/^Mem:/ { print $2 }') MiB, kernel $(uname -r), Debian $(cat /etc/debian_version)"

if want 1 || want 4; then
# --- parts 1 and 4 -----------------------------------------------------------
broker A
PA=$PORT_A
say ""
say "== 1. cost per published reading at 20 Hz, QoS 1, loopback broker (callgrind)"

# The reference lines: sensord's own readings, captured from a fast run.
scenario "$WORK/cap.scn" "$CG_LONG"
sensord_conf "$WORK/cap.json" cap "$PA" 20 "$WORK/cap.scn" 10
subscribe cap "$PA" rollsense/cap/reading
sleep 0.3
"$B/rollsense-sensord" --config "$WORK/cap.json" 2>"$WORK/cap.log"
sleep 0.5
kill "$SUB_cap"
head -n $((CG_SHORT * 20)) "$WORK/cap.sub" >"$WORK/lines-short"
head -n $((CG_LONG * 20)) "$WORK/cap.sub" >"$WORK/lines-long"
echo "bench: $(wc -l <"$WORK/cap.sub") reference lines, $(awk '{ n += length($0) } END { printf "%.0f", n / NR }' "$WORK/cap.sub") bytes on average"

# Part 4's main rows: the two shipped examples (confirm "collector"), with a
# real collector acking them on their own broker, each beside the Paho floor
# fed its own lines at its rate. Their lines first, from a fast run of each.
broker S
PS=$PORT_S
SHIPPED="ball roller"
shipped ball ball1 "$PS" "$BUDGET_S" 1
"$B/rollsense-collector" --config "$WORK/ball1.json" 2>"$WORK/shipped-collector.log" &
PIDS="$PIDS $!"
i=0; until grep -q "connected" "$WORK/shipped-collector.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: the collector did not connect"; exit 1; }; sleep 0.1
done
for k in $SHIPPED; do
	shipped $k "cap-$k" "$PS" "$CG_LONG" 10
	subscribe "cap_$k" "$PS" "rollsense/cap-$k/reading"
done
sleep 0.3
for k in $SHIPPED; do
	"$B/rollsense-sensord" --config "$WORK/cap-$k.json" 2>"$WORK/cap-$k.log" &
	eval "CAP_$k=$!"
done
for k in $SHIPPED; do
	eval "wait \$CAP_$k" || { echo "bench: the $k capture run failed"; tail -5 "$WORK/cap-$k.log"; exit 1; }
done
sleep 0.5
for k in $SHIPPED; do
	eval "kill \$SUB_cap_$k"
	eval "hz_$k=$(sed -n 's/^    "sample_hz": \([0-9]*\),.*/\1/p' "$WORK/cap-$k.json")"
	eval "hz=\$hz_$k"
	while :; do cat "$WORK/cap_$k.sub"; done | head -n $((BUDGET_S * hz)) >"$WORK/lines-$k-budget"
	head -n $((CG_SHORT * hz)) "$WORK/cap_$k.sub" >"$WORK/lines-$k-short"
	head -n $((CG_LONG * hz)) "$WORK/cap_$k.sub" >"$WORK/lines-$k-long"
	echo "bench: $k: $(wc -l <"$WORK/cap_$k.sub") reference lines at $hz Hz," \
		"$(awk '{ n += length($0) } END { printf "%.0f", n / NR }' "$WORK/cap_$k.sub") bytes on average"
done

# Part 4 starts now, beside part 1 (it measures CPU time, which callgrind
# next to it does not change much; callgrind counts instructions, which load
# does not change at all).
for hz in 10 20 100; do
	scenario "$WORK/b$hz.scn" "$BUDGET_S"
	sensord_conf "$WORK/b$hz.json" "budget$hz" "$PA" $hz "$WORK/b$hz.scn" 1
	/usr/bin/time -v -o "$WORK/b$hz.time" "$B/rollsense-sensord" --config "$WORK/b$hz.json" \
		2>"$WORK/b$hz.log" &
	bpid=$!
	PIDS="$PIDS $bpid"
	# RSS every second, from the kernel (the child of time(1) is sensord).
	( sleep 0.5; spid=$(pgrep -P $bpid | head -1)
	  while [ -n "$spid" ] && [ -r "/proc/$spid/status" ]; do
		awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status" 2>/dev/null
		sleep 1
	  done >"$WORK/b$hz.rss" ) &
	PIDS="$PIDS $!"
	eval "BPID_$hz=$bpid"
done
# The floor beside them: the minimal Paho publisher fed the same lines at
# 20 Hz for as long (the captured lines again and again).
while :; do cat "$WORK/lines-long"; done | head -n $((BUDGET_S * 20)) >"$WORK/lines-budget"
( "$BB/pace" 20 <"$WORK/lines-budget" |
	/usr/bin/time -v -o "$WORK/bpaho.time" "$BB/paho_min" "tcp://127.0.0.1:$PA" rollsense/bpaho/reading \
	>/dev/null ) &
BPID_paho=$!
PIDS="$PIDS $BPID_paho"

# shipped_floor KIND SUFFIX F TOPIC: paho_min fed KIND's lines at its rate
# (hz) for BUDGET_S, publishing to TOPIC$SUFFIX/KIND/reading; rusage in
# F-KIND$SUFFIX.ru; sets FLOOR_PID.
shipped_floor() {
	( paced "$WORK/$3-$1$2.ready" "$hz" "$WORK/lines-$1-budget" |
		rusage "$WORK/$3-$1$2.ru" "$BB/paho_min" "tcp://127.0.0.1:$PS" "$4$2/$1/reading" \
		"$WORK/$3-$1$2.ready" >"$WORK/$3-$1$2.out" ) &
	FLOOR_PID=$!; PIDS="$PIDS $!"
}
# shipped_pair KIND DEVICE SUFFIX: the shipped example of KIND as DEVICE
# ($WORK/DEVICE.json) for BUDGET_S, its floor beside it, and a second floor
# fed the same lines (the control: what one floor measures against another
# is the noise of a ratio here); rusage in s-KIND$SUFFIX.ru, f-KIND$SUFFIX.ru
# and c-KIND$SUFFIX.ru; sets SPID_KIND, FPID_KIND and CPID_KIND.
shipped_pair() {
	eval "hz=\$hz_$1"
	rusage "$WORK/s-$1$3.ru" "$B/rollsense-sensord" --config "$WORK/$2.json" 2>"$WORK/s-$1$3.log" &
	eval "SPID_$1=$!"; PIDS="$PIDS $!"
	shipped_floor "$1" "$3" f floor; eval "FPID_$1=$FLOOR_PID"
	shipped_floor "$1" "$3" c control; eval "CPID_$1=$FLOOR_PID"
}
# The shipped examples for BUDGET_S under time(1), their floors beside them.
for k in $SHIPPED; do
	[ $k = ball ] || shipped $k ${k}1 "$PS" "$BUDGET_S" 1
	shipped_pair $k ${k}1 ""
done
# They start on a quiet machine: callgrind's start-up (seconds of CPU for
# each of the runs below) would delay theirs.
sleep 2
# And under callgrind, short and long, each beside its floor.
for k in $SHIPPED; do
	eval "hz=\$hz_$k"
	for len in short long; do
		[ $len = short ] && end=$CG_SHORT || end=$CG_LONG
		shipped $k "cg$len-$k" "$PS" "$end" 1
		( cg "sensord-$k-$len" "$B/rollsense-sensord" --config "$WORK/cg$len-$k.json" \
			2>"$WORK/cg$len-$k.log" ) &
		PIDS="$PIDS $!"; eval "CGK_${k}_$len=$!"
		( paced "$WORK/floor-$k-$len.ready" "$hz" "$WORK/lines-$k-$len" |
			cg "floor-$k-$len" "$BB/paho_min" "tcp://127.0.0.1:$PS" "floor-cg$len/$k/reading" \
			"$WORK/floor-$k-$len.ready" >"$WORK/floor-$k-$len.out" ) &
		PIDS="$PIDS $!"; eval "CGF_${k}_$len=$!"
	done
done

for len in short long; do
	n=$(wc -l <"$WORK/lines-$len")
	sc="$WORK/cg-$len.scn"
	[ $len = short ] && scenario "$sc" "$CG_SHORT" || scenario "$sc" "$CG_LONG"
	sensord_conf "$WORK/cg-$len.json" "cg-$len" "$PA" 20 "$sc" 1
	subscribe "cg_sensord_$len" "$PA" "rollsense/cg-$len/reading"
	subscribe "cg_paho_$len" "$PA" "rollsense/paho-$len/reading"
	subscribe "cg_mosq_$len" "$PA" "rollsense/mosq-$len/reading"
done
sleep 0.5
for len in short long; do
	( cg "sensord-$len" "$B/rollsense-sensord" --config "$WORK/cg-$len.json" 2>"$WORK/cg-sensord-$len.log" ) &
	PIDS="$PIDS $!"; eval "CGS_$len=$!"
	( "$BB/pace" 20 <"$WORK/lines-$len" |
		cg "paho-$len" "$BB/paho_min" "tcp://127.0.0.1:$PA" "rollsense/paho-$len/reading" >/dev/null ) &
	PIDS="$PIDS $!"; eval "CGP_$len=$!"
	( "$BB/pace" 20 <"$WORK/lines-$len" |
		cg "mosq-$len" mosquitto_pub -p "$PA" -q 1 -t "rollsense/mosq-$len/reading" -l ) &
	PIDS="$PIDS $!"; eval "CGM_$len=$!"
done
# paho_min connected with nothing to send: what Paho's threads cost idle.
( sleep "$CG_SHORT" | cg paho-idle-short "$BB/paho_min" "tcp://127.0.0.1:$PA" rollsense/idle/reading >/dev/null ) &
PIDS="$PIDS $!"; CGI_short=$!
( sleep "$CG_LONG" | cg paho-idle-long "$BB/paho_min" "tcp://127.0.0.1:$PA" rollsense/idle/reading >/dev/null ) &
PIDS="$PIDS $!"; CGI_long=$!
for v in CGS_short CGP_short CGM_short CGS_long CGP_long CGM_long CGI_short CGI_long; do
	eval "wait \$$v" || { echo "bench: a callgrind run failed ($v)"; tail -5 "$WORK"/*.vg "$WORK"/cg-*.log; exit 1; }
done
sleep 1
for who in sensord paho mosq; do
	ns=$(wc -l <"$WORK/cg_${who}_short.sub"); nl=$(wc -l <"$WORK/cg_${who}_long.sub")
	is=$(cg_total "$WORK/$who-short.cg"); il=$(cg_total "$WORK/$who-long.cg")
	eval "NS_$who=$ns; NL_$who=$nl; IL_$who=$il"
	eval "PER_$who=$(awk -v i="$il" -v n="$nl" 'BEGIN { printf "%.0f", i / n }')"
	eval "MARG_$who=$(awk -v a="$il" -v b="$is" -v m="$nl" -v n="$ns" 'BEGIN { printf "%.0f", (a - b) / (m - n) }')"
done
say "| publisher | readings (${CG_SHORT} s / ${CG_LONG} s run) | instructions, ${CG_LONG} s run | per reading, whole ${CG_LONG} s run | per reading, marginal (long − short) | marginal ratio to paho_min |"
say "|---|---|---|---|---|---|"
for who in sensord paho mosq; do
	case $who in sensord) name="rollsense-sensord" ;; paho) name="paho_min (MQTTAsync)" ;; mosq) name="mosquitto_pub -l (libmosquitto)" ;; esac
	eval "say \"| $name | \$NS_$who / \$NL_$who | \$IL_$who | \$PER_$who | \$MARG_$who | \$(ratio \$MARG_$who $MARG_paho) |\""
done
idle_s=$(cg_total "$WORK/paho-idle-short.cg"); idle_l=$(cg_total "$WORK/paho-idle-long.cg")
say ""
say "paho_min connected and idle: $(awk -v a="$idle_l" -v b="$idle_s" -v d=$((CG_LONG - CG_SHORT)) 'BEGIN { printf "%.0f", (a - b) / d }') instructions per second (Paho's own wake-ups)"
# Where sensord's instructions go, inclusive, per reading of the long run.
callgrind_annotate --inclusive=yes "$WORK/sensord-long.cg" 2>/dev/null |
	grep -E ':(start_thread|MQTTAsync_send|mqtt_client_publish|reading_encode|sampler_sample|sim_bus_read|sim_bus_write|outbox_append|outbox_flush|detector_feed|event_encode|publish_event[a-z_]*) \[' |
	sed -E 's/,//g; s/^ *([0-9]+) .*:([A-Za-z_][A-Za-z0-9_.]*) \[.*/\2 \1/' |
	awk -v n="$NL_sensord" '{ printf "%-22s %8.0f\n", $1, $2 / n }' |
	sort -u -k1,1 | sort -k2 -rn >"$BB/sensord-per-reading.txt"
callgrind_annotate --inclusive=yes "$WORK/paho-long.cg" 2>/dev/null |
	grep -E ':(start_thread|MQTTAsync_send) \[' |
	sed -E 's/,//g; s/^ *([0-9]+) .*:([A-Za-z_][A-Za-z0-9_.]*) \[.*/\2 \1/' |
	awk -v n="$NL_paho" '{ printf "%-22s %8.0f\n", $1, $2 / n }' | sort -u -k1,1 >"$BB/paho-per-reading.txt"
say "sensord, inclusive instructions per reading (${CG_LONG} s run): $(awk '{ printf "%s %s; ", $1, $2 }' "$BB/sensord-per-reading.txt")"
say "paho_min, the same: $(awk '{ printf "%s %s; ", $1, $2 }' "$BB/paho-per-reading.txt")"
say ""
say "sensord / paho_min: $(ratio "$MARG_sensord" "$MARG_paho") marginal, $(ratio "$PER_sensord" "$PER_paho") whole run (target <= 1.2)"
callgrind_annotate --inclusive=no "$WORK/sensord-long.cg" >"$BB/sensord-hotspots.txt" 2>/dev/null || true
callgrind_annotate --inclusive=no "$WORK/paho-long.cg" >"$BB/paho-hotspots.txt" 2>/dev/null || true
echo "bench: callgrind_annotate output in $BB/sensord-hotspots.txt and $BB/paho-hotspots.txt"

say ""
say "== 4. sensord on a small budget: ${BUDGET_S} s at 10, 20, 100 Hz (confirm: broker)"
say "| rate | readings | CPU s (user+sys) | elapsed s | CPU % of one core | voluntary context switches | max RSS KiB | RSS first / last sample KiB |"
say "|---|---|---|---|---|---|---|---|"
for hz in 10 20 100 paho; do
	eval "wait \$BPID_$hz" || { echo "bench: budget run at $hz Hz failed"; tail -5 "$WORK/b$hz.log"; exit 1; }
	t="$WORK/b$hz.time"
	u=$(sed -n 's/.*User time (seconds): //p' "$t"); s=$(sed -n 's/.*System time (seconds): //p' "$t")
	el=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$t" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$t")
	vcs=$(sed -n 's/.*Voluntary context switches: //p' "$t")
	if [ $hz = paho ]; then
		name="paho_min, 20 Hz (the floor)"; nread=$(wc -l <"$WORK/lines-budget"); rss_samples="-"
	else
		name="sensord, $hz Hz"
		nread=$(sed -n 's/.*all \([0-9]*\) readings confirmed.*/\1/p' "$WORK/b$hz.log" | tail -1)
		rss_samples="$(head -1 "$WORK/b$hz.rss") / $(tail -1 "$WORK/b$hz.rss")"
	fi
	say "| $name | ${nread:-?} | $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') | $el |" \
		"$(awk -v u="$u" -v s="$s" -v e="$el" 'BEGIN { printf "%.2f", 100 * (u + s) / e }') | $vcs | $rss |" \
		"$rss_samples |"
done

say ""
say "== 4. the shipped examples as users run them: ${BUDGET_S} s each, confirm: collector (a collector acking), beside the Paho floor"
say "(config/lacrosse-ball.json and config/foam-roller.json with only the broker, state_dir, database, device_id, \"/dev/i2c-1\" -> \"sim\" and the GPIO chip -> \"sim\" substituted; the floor: paho_min fed the same config's readings at its rate for as long)"
say "| config | publisher | readings | CPU s (user + sys) | elapsed s | CPU % of one core | CPU ratio to the floor | voluntary context switches | ratio | instructions per reading, marginal (${CG_LONG} s - ${CG_SHORT} s) | ratio to the floor | of which the simulated chips | ratio without them |"
say "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# usage RUFILE: sets u_s (user+sys), u_s_split, el, vcs and pct (CPU % of
# one core) from a file rusage wrote.
usage() {
	read -r u s el vcs _ <"$1"
	u_s=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	u_s_split=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f (%.3f + %.3f)", u + s, u, s }')
	pct=$(awk -v u="$u_s" -v e="$el" 'BEGIN { printf "%.3f", 100 * u / e }')
}
# sim_ir CGFILE: instructions in the simulated chips (on a Pi: an I2C ioctl
# into the kernel, which callgrind does not count).
sim_ir() {
	callgrind_annotate --inclusive=yes "$1" 2>/dev/null | sed 's/,//g' |
		awk '/:sim_bus_(read|write) \[/ { n += $1 } END { print n + 0 }'
}
median() { printf '%s\n' "$@" | sort -n |
	awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
confirmed() { sed -n 's/.*all \([0-9]*\) readings confirmed.*/\1/p' "$1" | tail -1; }
acked() { sed -n 's/^paho_min: [0-9]* sent, \([0-9]*\) acknowledged/\1/p' "$1"; }
for k in $SHIPPED; do
	for len in short long; do
		eval "wait \$CGK_${k}_$len" || { echo "bench: callgrind of the $k example failed"; tail -5 "$WORK/cg$len-$k.log"; exit 1; }
		eval "wait \$CGF_${k}_$len" || { echo "bench: callgrind of the $k floor failed"; exit 1; }
	done
	eval "wait \$SPID_$k" || { echo "bench: the $k example failed"; tail -5 "$WORK/s-$k.log"; exit 1; }
	eval "wait \$FPID_$k" || { echo "bench: the $k floor failed"; exit 1; }
	eval "wait \$CPID_$k" || { echo "bench: the $k control floor failed"; exit 1; }
	ms=$(awk -v a="$(cg_total "$WORK/sensord-$k-long.cg")" -v b="$(cg_total "$WORK/sensord-$k-short.cg")" \
		-v m="$(confirmed "$WORK/cglong-$k.log")" -v n="$(confirmed "$WORK/cgshort-$k.log")" \
		'BEGIN { printf "%.0f", (a - b) / (m - n) }')
	msim=$(awk -v a="$(sim_ir "$WORK/sensord-$k-long.cg")" -v b="$(sim_ir "$WORK/sensord-$k-short.cg")" \
		-v m="$(confirmed "$WORK/cglong-$k.log")" -v n="$(confirmed "$WORK/cgshort-$k.log")" \
		'BEGIN { printf "%.0f", (a - b) / (m - n) }')
	mf=$(awk -v a="$(cg_total "$WORK/floor-$k-long.cg")" -v b="$(cg_total "$WORK/floor-$k-short.cg")" \
		-v m="$(acked "$WORK/floor-$k-long.out")" -v n="$(acked "$WORK/floor-$k-short.out")" \
		'BEGIN { printf "%.0f", (a - b) / (m - n) }')
	usage "$WORK/f-$k.ru"; fsplit=$u_s_split; fel=$el; fvcs=$vcs; fpct=$pct
	usage "$WORK/s-$k.ru"
	spct=$pct
	eval "hz=\$hz_$k"
	say "| $k ($hz Hz) | rollsense-sensord | $(confirmed "$WORK/s-$k.log") | $u_s_split | $el | $spct | $(ratio "$spct" "$fpct") |" \
		"$vcs | $(ratio "$vcs" "$fvcs") | $ms | $(ratio "$ms" "$mf") | $msim | $(ratio $((ms - msim)) "$mf") |"
	say "| $k ($hz Hz) | paho_min (the floor) | $(acked "$WORK/f-$k.out") | $fsplit | $fel | $fpct | 1 | $fvcs | 1 | $mf | 1 | - | - |"
	callgrind_annotate --inclusive=no "$WORK/sensord-$k-long.cg" >"$BB/sensord-$k-hotspots.txt" 2>/dev/null || true
done
echo "bench: callgrind_annotate output in $BB/sensord-{ball,roller}-hotspots.txt"

# At 10 Hz a publisher uses a few tenths of a CPU second a minute, mostly in
# the kernel, and one pair's ratio moves by 0.2 from run to run. So the pairs
# run again, SHIPPED_ROUNDS in all (the first is the one above, beside part
# 1's callgrind runs; the others on a machine with nothing else of this
# bench running), and the ratio that counts is the median of the rounds.
for r in $(seq 2 "$SHIPPED_ROUNDS"); do
	for k in $SHIPPED; do
		shipped $k "${k}r$r" "$PS" "$BUDGET_S" 1
		shipped_pair $k "${k}r$r" "-$r"
	done
	for k in $SHIPPED; do
		eval "wait \$SPID_$k" || { echo "bench: the $k example failed (round $r)"; tail -5 "$WORK/s-$k-$r.log"; exit 1; }
		eval "wait \$FPID_$k" || { echo "bench: the $k floor failed (round $r)"; exit 1; }
		eval "wait \$CPID_$k" || { echo "bench: the $k control floor failed (round $r)"; exit 1; }
	done
done
say ""
say "The same pairs in ${SHIPPED_ROUNDS} rounds (round 1 is the table's): CPU % of one core and voluntary context switches; the control is a second floor beside them, fed the same lines"
say "| config | round | readings | sensord CPU % | floor CPU % | CPU ratio | control CPU % | control / floor | sensord switches | floor's | ratio |"
say "|---|---|---|---|---|---|---|---|---|---|---|"
for k in $SHIPPED; do
	eval "hz=\$hz_$k"
	ratios=""; controls=""
	for r in $(seq 1 "$SHIPPED_ROUNDS"); do
		[ "$r" -eq 1 ] && sfx="" || sfx="-$r"
		usage "$WORK/c-$k$sfx.ru"; cpct=$pct
		usage "$WORK/f-$k$sfx.ru"; fpct=$pct; fvcs=$vcs
		usage "$WORK/s-$k$sfx.ru"; spct=$pct
		rat=$(ratio "$spct" "$fpct"); ratios="$ratios $rat"
		crat=$(ratio "$cpct" "$fpct"); controls="$controls $crat"
		say "| $k ($hz Hz) | $r | $(confirmed "$WORK/s-$k$sfx.log") | $spct | $fpct | $rat | $cpct | $crat |" \
			"$vcs | $fvcs | $(ratio "$vcs" "$fvcs") |"
	done
	say "$k: CPU ratio to the floor, median of ${SHIPPED_ROUNDS} rounds: $(median $ratios)" \
		"(rounds:$ratios; target <= 1.25); the control floor to the floor: $(median $controls) (rounds:$controls)"
done
fi

if want 2; then
# --- part 2 ------------------------------------------------------------------
broker I
PI=$PORT_I
say ""
say "== 2. ingest: ${INGEST_DEVICES} devices x ${INGEST_COUNT} readings queued at QoS 1, drained by each receiver"
# BENCH_BASE_BUILD=DIR: also drain each round with DIR/rollsense-collector
# (another commit's build, its own persistent session), for a before/after
# ratio measured in the same rounds.
BASE=${BENCH_BASE_BUILD:-}
for name in ingest ingest-base; do
	cat >"$WORK/$name.json" <<CONF
{ "device_id": "bench", "mqtt": { "uri": "tcp://127.0.0.1:$PI", "client_id": "$name" },
  "collector": { "database": "$WORK/$name.db" } }
CONF
done
total=$((INGEST_DEVICES * INGEST_COUNT))
# collector_register BIN NAME: its persistent session, before the stream is queued.
collector_register() {
	"$1/rollsense-collector" --config "$WORK/$2.json" 2>"$WORK/$2-reg.log" &
	cpid=$!
	i=0; until grep -q "connected" "$WORK/$2-reg.log"; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
	sleep 0.5; kill $cpid; wait $cpid || true
}
# collector_drain BIN NAME ROUND: drains the queued stream; sets col_rate.
collector_drain() {
	rm -f "$WORK/$2".db*
	# Acks are retained: the last drain's must not end this one.
	mosquitto_sub -p "$PI" -t 'rollsense/+/ack' --remove-retained --retained-only -W 1 \
		>/dev/null 2>&1 || true
	mkfifo "$WORK/acks-$2-$3"
	stdbuf -oL mosquitto_sub -p "$PI" -q 1 -v -t 'rollsense/+/ack' >"$WORK/acks-$2-$3" &
	apid=$!; PIDS="$PIDS $apid"
	sleep 0.3
	t2=$(now)
	"$1/rollsense-collector" --config "$WORK/$2.json" 2>"$WORK/$2-$3.log" &
	cpid=$!; PIDS="$PIDS $cpid"
	# Done when every device of this round is acknowledged up to its last seq
	# (the count in the database is checked below).
	grep -m "$INGEST_DEVICES" "^rollsense/in$3-.*\"seq\":$INGEST_COUNT}" "$WORK/acks-$2-$3" >/dev/null
	t3=$(now)
	kill $apid $cpid 2>/dev/null || true; wait $cpid || true
	stored=$(sqlite3 "$WORK/$2.db" 'select count(*) from readings')
	[ "$stored" -eq "$total" ] || say "bench: round $3: $2 stored $stored of $total"
	col_rate=$(awk -v n="$total" -v a="$t2" -v b="$t3" 'BEGIN { printf "%.0f", n / (b - a) }')
}
# The persistent sessions exist before the stream is queued.
mosquitto_sub -p "$PI" -c -i bench-sub -q 1 -t 'rollsense/+/reading' -E
"$BB/paho_sub_min" "tcp://127.0.0.1:$PI" bench-paho-sub 'rollsense/+/reading' 0 >/dev/null
collector_register "$B" ingest
if [ -n "$BASE" ]; then
	collector_register "$BASE" ingest-base
	say "| round | mosquitto_sub readings/s | paho_sub_min readings/s | collector readings/s (stored and acked) | collector / mosquitto_sub | collector / paho_sub_min | base collector readings/s | base / mosquitto_sub | collector / base |"
	say "|---|---|---|---|---|---|---|---|---|"
else
	say "| round | mosquitto_sub readings/s | paho_sub_min readings/s | collector readings/s (stored and acked) | collector / mosquitto_sub | collector / paho_sub_min |"
	say "|---|---|---|---|---|---|"
fi
for round in 1 2 3; do
	"$BB/rollsense-loadgen" -p "$PI" --devices "$INGEST_DEVICES" --clients 20 --rate 0 \
		--count "$INGEST_COUNT" --device-prefix "in$round" >"$WORK/fill$round.out"
	t0=$(now)
	mosquitto_sub -p "$PI" -c -i bench-sub -q 1 -t 'rollsense/+/reading' -C "$total" >/dev/null
	t1=$(now)
	"$BB/paho_sub_min" "tcp://127.0.0.1:$PI" bench-paho-sub 'rollsense/+/reading' "$total" >/dev/null
	t1p=$(now)
	base_cols=""
	# The two builds take turns at draining first.
	if [ -n "$BASE" ] && [ "$round" -ne 2 ]; then
		collector_drain "$BASE" ingest-base "$round"
		base_rate=$col_rate
	fi
	collector_drain "$B" ingest "$round"
	new_rate=$col_rate
	if [ -n "$BASE" ] && [ "$round" -eq 2 ]; then
		collector_drain "$BASE" ingest-base "$round"
		base_rate=$col_rate
	fi
	col_rate=$new_rate
	sub_rate=$(awk -v n="$total" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
	paho_rate=$(awk -v n="$total" -v a="$t1" -v b="$t1p" 'BEGIN { printf "%.0f", n / (b - a) }')
	[ -n "$BASE" ] && base_cols=" $base_rate | $(ratio "$base_rate" "$sub_rate") | $(ratio "$col_rate" "$base_rate") |"
	say "| $round | $sub_rate | $paho_rate | $col_rate | $(ratio "$col_rate" "$sub_rate") |" \
		"$(ratio "$col_rate" "$paho_rate") |$base_cols"
done
fi

if want 3; then
# --- part 3 ------------------------------------------------------------------
broker S
PS=$PORT_S
say ""
say "== 3. scale: ${SCALE_DEVICES} devices at ${SCALE_HZ} Hz for ${SCALE_S} s, one broker, one collector"
cat >"$WORK/scale.json" <<CONF
{ "device_id": "bench", "mqtt": { "uri": "tcp://127.0.0.1:$PS" },
  "collector": { "database": "$WORK/scale.db" } }
CONF
ulimit -n 8192 2>/dev/null || true
"$B/rollsense-collector" --config "$WORK/scale.json" 2>"$WORK/scale-collector.log" &
cpid=$!; PIDS="$PIDS $cpid"
i=0; until grep -q "connected" "$WORK/scale-collector.log"; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
( while [ -r "/proc/$cpid/status" ]; do
	awk '/^VmRSS:/ { print $2 }' "/proc/$cpid/status" 2>/dev/null; sleep 1
  done >"$WORK/scale.rss" ) &
PIDS="$PIDS $!"
"$BB/rollsense-loadgen" -p "$PS" --devices "$SCALE_DEVICES" --rate "$SCALE_HZ" --duration "$SCALE_S" \
	--acks --drain 120 --device-prefix scale >"$WORK/scale.out" || true
sleep 1
ctime=$(awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$cpid/stat")
kill $cpid; wait $cpid || true
res=$(tail -1 "$WORK/scale.out")
stored=$(sqlite3 "$WORK/scale.db" 'select count(*) from readings')
say "| sent | broker PUBACKs | acked by the collector | stored (sqlite3 count) | lost | latency p50 / p90 / p99 / max (ms) | publisher late max (ms) | collector CPU s |"
say "|---|---|---|---|---|---|---|---|"
say "| $(get sent) | $(get puback) | $(get acked) | $stored | $(( $(get sent) - stored )) |" \
	"$(get p50_ms) / $(get p90_ms) / $(get p99_ms) / $(get max_ms) | $(get late_max_ms) | $ctime |"
say "collector RSS (KiB) every 10 s: $(awk 'NR % 10 == 1 { printf "%s ", $1 }' "$WORK/scale.rss")(max $(sort -n "$WORK/scale.rss" | tail -1))"

# --- part 5 ------------------------------------------------------------------
fi

if want 5; then
# Readings that come for a hole the detector already passed make the
# collector replay the whole run from the database (collector/ingest.c,
# revise_run): the cost grows with the run. No broker: bench/revise drives
# the real ingest and store.
say ""
say "== 5. recomputing a run after late readings (bench/revise), one SQLite file, no broker"
say "| readings in the run | time to store them (s) | revision wall (ms) | revision CPU (ms) | ns per reading | ack before -> after |"
say "|---|---|---|---|---|---|"
for n in ${REVISE_SIZES:-36000 864000}; do
	res=$("$BB/revise" "$n" 2>/dev/null) || { say "| $n | failed | | | | |"; continue; }
	say "| $n | $(get store_s) | $(get revision_ms) | $(get revision_cpu_ms) | $(get ns_per_reading) |" \
		"$(get ack_before) -> $(get ack_after) |"
done
fi

if want 6; then
# --- part 6 ------------------------------------------------------------------
# serve's CPU from the kernel's count of its ticks (/proc/PID/stat, utime and
# stime), first with no browser (what following the broker costs), then with
# the crowd of clients, over as many seconds of wall time.
broker W
PW=$PORT_W
WEB_PORT=$(free_port)
say ""
say "== 6. the live page: ${SSE_CLIENTS} SSE clients on serve's /events for ${SSE_S} s, sensord at 10 Hz (web.max_clients 256)"
scenario "$WORK/web.scn" $((SSE_IDLE_S + SSE_S + 30))
cat >"$WORK/web.json" <<CONF
{
  "device_id": "web1", "log_level": "info",
  "mqtt": { "uri": "tcp://127.0.0.1:$PW" },
  "sensord": {
    "sample_hz": 10, "state_dir": "$WORK/state-web1", "confirm": "collector",
    "sensors": [
      { "driver": "bmp280", "bus": "sim", "address": "0x76", "provides": ["pressure_kpa"] },
      { "driver": "mcp9808", "bus": "sim", "address": "0x18", "provides": ["temperature_c"] }
    ],
    "simulation": { "scenario": "$WORK/web.scn", "time_scale": 1, "exit_at_end": true }
  },
  "collector": { "database": "$WORK/web.db" },
  "web": { "listen": "127.0.0.1:$WEB_PORT", "max_clients": 256 }
}
CONF
"$B/rollsense-collector" --config "$WORK/web.json" 2>"$WORK/web-collector.log" &
PIDS="$PIDS $!"
i=0; until [ "$(sqlite3 "$WORK/web.db" 'PRAGMA user_version' 2>/dev/null || echo 0)" -gt 0 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: the collector made no database"; exit 1; }; sleep 0.1
done
"$B/rollsense-collector" --config "$WORK/web.json" serve 2>"$WORK/web-serve.log" &
spid=$!; PIDS="$PIDS $spid"
i=0; until grep -q "web: serving" "$WORK/web-serve.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: serve did not start"; cat "$WORK/web-serve.log"; exit 1; }; sleep 0.1
done
"$B/rollsense-sensord" --config "$WORK/web.json" 2>"$WORK/web-sensord.log" &
PIDS="$PIDS $!"
sleep 3
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$spid/stat"; }
k0=$(ticks); t0=$(now)
sleep "$SSE_IDLE_S"
k1=$(ticks); t1=$(now)
"$BB/sse_clients" 127.0.0.1 "$WEB_PORT" "$SSE_CLIENTS" "$SSE_S" >"$WORK/sse.out" 2>&1 || true
k2=$(ticks); t2=$(now)
pct() { awk -v k="$1" -v hz="$hz" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", 100 * k / hz / (b - a) }'; }
say "| serve | wall s | CPU s (user+sys) | CPU % of one core |"
say "|---|---|---|---|"
say "| no clients (following the broker) | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') |" \
	"$(awk -v k=$((k1 - k0)) -v hz="$hz" 'BEGIN { printf "%.2f", k / hz }') | $(pct $((k1 - k0)) "$t0" "$t1") |"
say "| ${SSE_CLIENTS} SSE clients | $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }') |" \
	"$(awk -v k=$((k2 - k1)) -v hz="$hz" 'BEGIN { printf "%.2f", k / hz }') | $(pct $((k2 - k1)) "$t1" "$t2") |"
say "sse_clients: $(cat "$WORK/sse.out")"
# Its health line on the way out: answers, event clients dropped for being slow.
kill "$spid"; wait "$spid" || true
say "serve: $(grep 'health:' "$WORK/web-serve.log" | tail -1 | sed 's/.*health: //')"
say "target: <= 5 % of one core with ${SSE_CLIENTS} clients"
fi

if want 7; then
# --- part 7 ------------------------------------------------------------------
say ""
say "== 7. the session page of a 1-hour session at 10 Hz (bench/render: 36,000 readings, 20 renders)"
say "| readings | page bytes | render median (ms) | fastest | slowest |"
say "|---|---|---|---|---|"
if res=$("$BB/render" 20 2>/dev/null); then
	say "| $(get readings) | $(get bytes) | $(get median_ms) | $(get min_ms) | $(get max_ms) |"
else
	say "| failed | | | | |"
fi
say "targets: under 200 ms and 300 KB"
fi

echo
echo "bench: done; results in $RESULTS"
