#!/bin/sh
# shellcheck shell=dash disable=SC3045 # busybox ash: read -t takes fractions
# Hardware in the loop, the guest's half (busybox sh, run by hil/init from
# the 9p share /share). Loads the kernel's simulated chips, fills their
# registers from /share/plan.env (written by check.py plan), runs the real
# rollsense-sensord, rollsense-collector and mosquitto on the guest's own
# loopback, changes registers and presses the button while they run, and
# leaves what it saw in /share for check.py verify:
#   once.json   sensord --once
#   mqtt.log    every message on <prefix>/#, as mosquitto_sub -v prints it
#   led.log     "<phase> <uptime s> <0|1>" at each change of the LED line
#   regs.txt    registers the drivers configured, read back after the run
#   lock.txt    "exit N" of a sensord started on the first one's state folder
#   *.log       the daemons' logs (sensord2.log: the second tool's)
# i2c-tools are called by full path: the static busybox would otherwise run
# its own i2cset whatever PATH says.
set -u
S=/share
. $S/plan.env
I2CSET=/usr/sbin/i2cset
I2CGET=/usr/sbin/i2cget
I2CTRANSFER=/usr/sbin/i2ctransfer
PIDS=""

say() { echo "guest: $*"; }
fail() { echo "guest: FAILED: $*"; exit 1; }
phase() { echo "$1" >/tmp/phase; say "phase $1"; }

# ---- the I2C bus: i2c-stub with six chips; the BMP280 and the two IMUs
# have 8-bit registers, the ADS1115 and the MCP9808s 16-bit ones (MSB
# first). The MCP9808 at 0x19 is a second tool's, read by a second sensord.
# The IMUs' reset bits clear themselves after a write, as on the chips
# (clear_reg, clear_mask: the patch): the LSM6DS3TR-C's SW_RESET (CTRL3_C
# 0x12, bit 0), the MPU-6050's DEVICE_RESET (PWR_MGMT_1 0x6B, bit 7).
insmod /lib/modules/hil/i2c-stub.ko chip_addr=0x76,0x48,0x18,0x19,0x6a,0x68 \
	reg16=N,Y,Y,Y,N,N clear_reg=0,0,0,0,0x12,0x6b clear_mask=0,0,0,0,0x01,0x80 ||
	fail "insmod i2c-stub"
BUS=""
for d in /sys/bus/i2c/devices/i2c-*; do
	[ "$(cat "$d/name")" = "SMBus stub driver" ] && BUS=${d##*/i2c-}
done
[ -n "$BUS" ] || fail "no i2c-stub adapter"
DEV=/dev/i2c-$BUS
say "i2c-stub is $DEV"

# Registers start at zero: chip ids, calibration, then the resting values.
$I2CSET -y "$BUS" 0x76 0xd0 "$BMP_ID" b || fail "i2cset BMP280 id"
# shellcheck disable=SC2086
$I2CTRANSFER -y "$BUS" w25@0x76 0x88 $BMP_CALIB || fail "BMP280 calibration"
# shellcheck disable=SC2086
$I2CTRANSFER -y "$BUS" w7@0x76 0xf7 $BMP_DATA_REST || fail "BMP280 data"
$I2CSET -y "$BUS" 0x48 0x01 "$ADS_CONFIG_W" w || fail "ADS1115 config"
$I2CSET -y "$BUS" 0x48 0x00 "$ADS_CONV_W" w || fail "ADS1115 conversion"
$I2CSET -y "$BUS" 0x18 0x06 "$MCP_MANUF_W" w || fail "MCP9808 manufacturer"
$I2CSET -y "$BUS" 0x18 0x07 "$MCP_DEVICE_W" w || fail "MCP9808 device"
$I2CSET -y "$BUS" 0x18 0x08 "$MCP_RES" b || fail "MCP9808 resolution"
$I2CSET -y "$BUS" 0x18 0x05 "$MCP_TA_REST_W" w || fail "MCP9808 T_A"
$I2CSET -y "$BUS" 0x19 0x06 "$MCP_MANUF_W" w || fail "second MCP9808 manufacturer"
$I2CSET -y "$BUS" 0x19 0x07 "$MCP_DEVICE_W" w || fail "second MCP9808 device"
$I2CSET -y "$BUS" 0x19 0x08 "$MCP_RES" b || fail "second MCP9808 resolution"
$I2CSET -y "$BUS" 0x19 0x05 "$MCP2_TA_W" w || fail "second MCP9808 T_A"
# The LSM6DS3TR-C: WHO_AM_I, CTRL3_C's power-on value (IF_INC), STATUS_REG
# with a new gyro and accelerometer set (the stub does not clear it on read:
# at 104 Hz a live chip has a new set at every 10 Hz sample), the outputs.
$I2CSET -y "$BUS" 0x6a 0x0f "$IMU_ID" b || fail "LSM6DS3TR-C id"
$I2CSET -y "$BUS" 0x6a 0x12 0x04 b || fail "LSM6DS3TR-C CTRL3_C"
$I2CSET -y "$BUS" 0x6a 0x1e 0x03 b || fail "LSM6DS3TR-C STATUS_REG"
# shellcheck disable=SC2086
$I2CTRANSFER -y "$BUS" w13@0x6a 0x22 $IMU_OUT || fail "LSM6DS3TR-C outputs"
# The MPU-6050: WHO_AM_I, PWR_MGMT_1's power-on value (asleep), the outputs
# from ACCEL_XOUT_H (accel, temperature, gyro, each MSB first).
$I2CSET -y "$BUS" 0x68 0x75 "$MPU_ID" b || fail "MPU-6050 id"
$I2CSET -y "$BUS" 0x68 0x6b 0x40 b || fail "MPU-6050 PWR_MGMT_1"
# shellcheck disable=SC2086
$I2CTRANSFER -y "$BUS" w15@0x68 0x3b $MPU_OUT || fail "MPU-6050 outputs"

# ---- the GPIO chip: gpio-sim, one bank of 3 lines (button, LED, buzzer)
# under a label of its own; its gpiochip number differs between machines.
insmod /lib/modules/hil/gpio-sim-hil.ko || fail "insmod gpio-sim"
G=/sys/kernel/config/gpio-sim/hil
mkdir $G $G/bank0 || fail "gpio-sim configfs"
echo 3 >$G/bank0/num_lines
echo rollsense-hil >$G/bank0/label
for l in 0 1 2; do mkdir $G/bank0/line$l; done
echo button >$G/bank0/line0/name
echo led >$G/bank0/line1/name
echo buzzer >$G/bank0/line2/name
echo 1 >$G/live || fail "gpio-sim live"
SIM=/sys/devices/platform/$(cat $G/dev_name)/$(cat $G/bank0/chip_name)
say "gpio-sim is $(cat $G/bank0/chip_name) ($SIM)"
# The button goes to GND when pressed, with the pull-up on: released.
echo pull-up >"$SIM/sim_gpio0/pull"

# ---- configuration
mkdir -p /tmp/state
cat >/tmp/sensors.json <<EOF
[
  { "driver": "bmp280", "bus": "$DEV", "address": "0x76", "provides": ["pressure_kpa"],
    "mode": "forced", "oversampling_p": 8, "oversampling_t": 1, "filter": 0 },
  { "driver": "mcp9808", "bus": "$DEV", "address": "0x18", "provides": ["temperature_c"],
    "resolution_c": 0.0625 },
  { "driver": "ads1115", "bus": "$DEV", "address": "0x48", "input": "ain0",
    "gain_v": 4.096, "data_rate_sps": 128 },
  { "driver": "lsm6ds3trc", "bus": "$DEV", "address": "0x6a", "provides": ["rotation_dps"],
    "gyro_range_dps": $IMU_GYRO_RANGE, "accel_range_g": $IMU_ACCEL_RANGE, "odr_hz": 104 },
  { "driver": "mpu6050", "bus": "$DEV", "address": "0x68",
    "gyro_range_dps": $MPU_GYRO_RANGE, "accel_range_g": $MPU_ACCEL_RANGE,
    "lowpass_hz": 42, "rate_hz": 100 }
]
EOF
cat >/tmp/rollsense.json <<EOF
{
  "device_id": "$DEVICE",
  "log_level": "info",
  "mqtt": { "uri": "tcp://127.0.0.1:1883", "topic_prefix": "$PREFIX" },
  "sensord": {
    "sample_hz": 10,
    "state_dir": "/tmp/state",
    "sensors": $(cat /tmp/sensors.json),
    "feedback": { "chip": "rollsense-hil", "button": 0, "led": 1, "buzzer": 2,
                  "button_active_low": true, "debounce_ms": 30, "long_press_s": 2 }
  },
  "collector": { "database": "/tmp/state/collector.db" }
}
EOF
# The second tool's file: a copy that still names the first one's
# state_dir, run with --state-dir as rollsense-sensord@.service runs it.
mkdir -p /tmp/state2
cat >/tmp/hil2.json <<EOF
{
  "device_id": "$DEVICE2",
  "mqtt": { "uri": "tcp://127.0.0.1:1883", "topic_prefix": "$PREFIX" },
  "sensord": {
    "sample_hz": 10,
    "state_dir": "/tmp/state",
    "sensors": [ { "driver": "mcp9808", "bus": "$DEV", "address": "0x19",
                   "provides": ["temperature_c"], "resolution_c": 0.0625 } ]
  }
}
EOF

# ---- 1. every chip once
/usr/bin/rollsense-sensord --config /tmp/rollsense.json --once >$S/once.json 2>$S/once.log
say "sensord --once: exit $?"

# ---- 2. the daemons
cat >/tmp/mosquitto.conf <<EOF
listener 1883 127.0.0.1
allow_anonymous true
persistence false
user root
EOF
/usr/sbin/mosquitto -c /tmp/mosquitto.conf >$S/mosquitto.log 2>&1 &
PIDS="$PIDS $!"
sleep 1
/usr/bin/mosquitto_sub -h 127.0.0.1 -p 1883 -v -t "$PREFIX/#" >$S/mqtt.log 2>&1 &
SUB=$!
/usr/bin/rollsense-collector --config /tmp/rollsense.json >$S/collector.log 2>&1 &
PIDS="$PIDS $!"
# The collector subscribes once connected: readings sent before that would
# only reach it with sensord's resend, 30 s later.
i=0
until grep -q "mqtt: connected" $S/collector.log; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "the collector did not connect in 30 s"
	usleep 100000
done
sleep 1
phase start
/usr/bin/rollsense-sensord --config /tmp/rollsense.json >$S/sensord.log 2>&1 &
SENSORD=$!
/usr/bin/rollsense-sensord --config /tmp/hil2.json --state-dir /tmp/state2 >$S/sensord2.log 2>&1 &
SENSORD2=$!

# The chip's noise: the BMP280's data registers cycle through the plan's
# variants of the current level (REST or HOLD, in /tmp/level) every 0.2 s,
# each an atomic burst write, as the chip's own shadow registers would make.
# The MPU-6050's temperature LSB (TEMP_OUT_L, 0x42) flips with it, as a live
# chip's noise does: its driver reports outputs that stay the same for 20
# samples as a stuck chip (the LSM6DS3TR-C's are told by its data-ready flags).
echo REST >/tmp/level
(
	k=0
	while [ ! -e /tmp/stop ]; do
		read -r level </tmp/level
		eval "data=\$BMP_DATA_${level}_$k"
		# shellcheck disable=SC2154,SC2086
		$I2CTRANSFER -y "$BUS" w7@0x76 0xf7 $data || echo "guest: noise write failed"
		$I2CSET -y "$BUS" 0x68 0x42 $((k % 2)) b || echo "guest: MPU-6050 noise write failed"
		k=$(((k + 1) % NOISE_N))
		usleep 200000
	done
) &
NOISEW=$!

# The LED line as the consumer drives it, sampled every 5 ms. The pause is
# a read that times out on a FIFO nobody writes: no process per sample.
: >$S/led.log
mkfifo /tmp/tick
(
	exec 3<>/tmp/tick
	last=x
	while [ ! -e /tmp/stop ]; do
		read -r v <"$SIM/sim_gpio1/value"
		if [ "$v" != "$last" ]; then
			read -r up _ </proc/uptime
			read -r ph </tmp/phase
			echo "$ph $up $v" >>$S/led.log
			last=$v
		fi
		read -r -t 0.005 _ <&3
	done
) &
LEDW=$!

# Waits until the daemon has published n readings (bounded).
wait_readings() {
	i=0
	while [ "$(grep -c "^$PREFIX/$DEVICE/reading " $S/mqtt.log)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && fail "fewer than $1 readings after 30 s"
		usleep 100000
	done
}
wait_readings 20

# The second tool's file without --state-dir: /tmp/state, which the first
# sensord holds. It must refuse at once (bounded by the guest's timeout).
/usr/bin/rollsense-sensord --config /tmp/hil2.json >$S/lock.log 2>&1
echo "exit $?" >$S/lock.txt

# A short press: tare, one 300 ms blink.
phase tare
echo pull-down >"$SIM/sim_gpio0/pull"
usleep 400000
echo pull-up >"$SIM/sim_gpio0/pull"
sleep 2

# Someone leans on the ball: the raw pressure steps up and stays.
phase hold
echo HOLD >/tmp/level
sleep "$HOLD_S"
echo REST >/tmp/level
sleep 2

# The ball rolls: the LSM6DS3TR-C's gyro counts step by the plan's turn
# about y (one burst, BDU's consistent set) and back.
phase roll
# shellcheck disable=SC2086
$I2CTRANSFER -y "$BUS" w7@0x6a 0x22 $IMU_GYRO_ROLL || fail "LSM6DS3TR-C rolling"
sleep "$ROLL_S"
# shellcheck disable=SC2086
$I2CTRANSFER -y "$BUS" w7@0x6a 0x22 $IMU_GYRO_REST || fail "LSM6DS3TR-C still"
sleep 2

# The ball warms up.
phase heat
$I2CSET -y "$BUS" 0x18 0x05 "$MCP_TA_HOT_W" w || fail "temperature rise"
sleep 2

# A long press ends the session: one 1 s glow.
phase end
echo pull-down >"$SIM/sim_gpio0/pull"
sleep 3
echo pull-up >"$SIM/sim_gpio0/pull"
sleep 2
phase finished

# The registers the drivers wrote.
{
	echo "bmp_ctrl_meas $($I2CGET -y "$BUS" 0x76 0xf4 b)"
	echo "ads_config $($I2CGET -y "$BUS" 0x48 0x01 w)"
	echo "mcp_res $($I2CGET -y "$BUS" 0x18 0x08 b)"
	echo "imu_ctrl1_xl $($I2CGET -y "$BUS" 0x6a 0x10 b)"
	echo "imu_ctrl2_g $($I2CGET -y "$BUS" 0x6a 0x11 b)"
	echo "imu_ctrl3_c $($I2CGET -y "$BUS" 0x6a 0x12 b)"
	echo "mpu_smplrt_div $($I2CGET -y "$BUS" 0x68 0x19 b)"
	echo "mpu_config $($I2CGET -y "$BUS" 0x68 0x1a b)"
	echo "mpu_gyro_config $($I2CGET -y "$BUS" 0x68 0x1b b)"
	echo "mpu_accel_config $($I2CGET -y "$BUS" 0x68 0x1c b)"
	echo "mpu_pwr_mgmt_1 $($I2CGET -y "$BUS" 0x68 0x6b b)"
} >$S/regs.txt

# Let the collector's summary arrive, then stop everything we started.
i=0
while ! grep -q "^$PREFIX/$DEVICE/session " $S/mqtt.log && [ $i -lt 200 ]; do
	i=$((i + 1))
	usleep 100000
done
touch /tmp/stop
kill -TERM $SENSORD $SENSORD2
wait $SENSORD
say "sensord exit $?"
wait $SENSORD2
say "second sensord exit $?"
wait $LEDW $NOISEW
kill -TERM $SUB
# shellcheck disable=SC2086
kill -TERM $PIDS
wait
sync
say "done"
