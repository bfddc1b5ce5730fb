#!/usr/bin/env python3
"""Hardware in the loop, the host's half: what the guest does to the chips,
and whether what rollsense published is right.

  check.py plan SHARE     writes SHARE/plan.env: the register contents the
                          guest loads into i2c-stub (chip ids, calibration,
                          raw readings for each phase) and the configs
  check.py verify SHARE [LABEL]
                          checks SHARE/once.json, SHARE/mqtt.log, SHARE/led.log
                          and SHARE/regs.txt; prints one line per check and
                          the closing "N passed, N failed"; exit 1 on failure

The expected values are computed here from the datasheets' formulas (Bosch
BST-BMP280-DS001 §3.11.3 int64 compensation, TI SBAS444 §7.3.3, Microchip
DS25095 §5.1.3, ST LSM6DS3TR-C §4.1 Table 3 and §9), independently of rollsense's drivers: nothing here imports
or runs rollsense code.
"""
import json
import sys

DEVICE = "hil1"
PREFIX = "rollsense"
# A second tool on the same bus (README, "Two tools on one Pi"): its own
# sensord, whose file names only its MCP9808 at 0x19 (A0 to VDD).
DEVICE2 = "hil2"
MCP2_TA = 0x01F8        # 31.5000 °C, no flag bits (MCP §5.1.3)

# The calibration of the BMP280 datasheet's worked example [BMP §3.12].
BMP_CALIB = [("H", 27504), ("h", 26435), ("h", -1000), ("H", 36477), ("h", -10685),
             ("h", 3024), ("h", 2855), ("h", 140), ("h", -7), ("h", 15500),
             ("h", -14600), ("h", 6000)]
ADC_T = 519888          # 25.08 °C with that calibration
ADC_P_REST = 415148     # about 100653 Pa: the ball at rest
ADC_P_HOLD = 322900     # about 15 kPa more: someone leans on the ball
HOLD_S = 12             # how long the guest keeps the hold
# A live chip's raw values never repeat for long (sensord reports a BMP280
# whose raw values repeat 20 samples in a row as stuck), so the guest cycles
# through these offsets of (adc_P, adc_T), one every 0.2 s.
NOISE = [(0, 0), (2, 1), (-1, 0), (1, -1)]
ADS_CODE = 0x2A5B       # ADS1115 conversion register: 10843 LSB
ADS_FSR_V = 4.096
MCP_TA_REST = 0xC190    # 25.0000 °C with the three flag bits set (MCP §5.1.3)
MCP_TA_HOT = 0x0277     # 39.4375 °C: a warmed ball, above heat_c (38 °C)
# The LSM6DS3TR-C [LSM §9, §4.1 Table 3]: WHO_AM_I 0x6A; sensord configures
# ±500 °/s (G_So 17.50 mdps/LSB) and ±2 g (LA_So 0.061 mg/LSB). Raw counts on
# x, y, z: at rest, the chip's zero-rate offset alone (1.505, -1.995, 0.7
# °/s), lying z up; rolling, 2286 counts (40.005 °/s) more about y.
IMU_ID = 0x6A
IMU_GYRO_RANGE, IMU_G_SO_DPS = 500, 0.0175
IMU_ACCEL_RANGE, IMU_LA_SO_G = 2, 0.000061
IMU_GYRO = (86, -114, 40)
IMU_GYRO_ROLL = (86, -114 + 2286, 40)
IMU_ACCEL = (-131, 82, 16393)
ROLL_S = 3              # how long the guest rolls the ball
# The MPU-6050 [MPU PS §6.1, §6.2; RM §4.17-4.19]: WHO_AM_I 0x68; sensord
# configures ±1000 °/s (32.8 LSB per °/s) and ±4 g (8192 LSB per g). Counts,
# MSB first: accel x, y, z, TEMP_OUT, gyro x, y, z.
MPU_ID = 0x68
MPU_GYRO_RANGE, MPU_GYRO_LSB_PER_DPS = 1000, 32.8
MPU_ACCEL_RANGE, MPU_ACCEL_LSB_PER_G = 4, 8192
MPU_ACCEL = (0, -4096, 8192)
MPU_TEMP = 0
MPU_GYRO = (1312, -656, 33)


def bmp280_compensate(adc_t, adc_p):
    """[BMP §3.11.3]: bmp280_compensate_T_int32 then _P_int64, in C integer
    arithmetic (>> on negatives is arithmetic, / truncates toward zero).
    Returns (°C, Pa)."""
    t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9 = [v for _, v in BMP_CALIB]

    def cdiv(a, b):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q

    var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11
    var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14
    t_fine = var1 + var2
    temp_c = ((t_fine * 5 + 128) >> 8) / 100.0
    var1 = t_fine - 128000
    var2 = var1 * var1 * p6
    var2 = var2 + ((var1 * p5) << 17)
    var2 = var2 + (p4 << 35)
    var1 = ((var1 * var1 * p3) >> 8) + ((var1 * p2) << 12)
    var1 = (((1 << 47) + var1) * p1) >> 33
    p = 1048576 - adc_p
    p = cdiv(((p << 31) - var2) * 3125, var1)
    var1 = (p9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (p8 * p) >> 19
    p = ((p + var1 + var2) >> 8) + (p7 << 4)
    return temp_c, p / 256.0


def mcp9808_celsius(reg):
    """[MCP §5.1.3]: flags in bits 15:13, a 13-bit two's complement value in
    0.0625 °C."""
    v = reg & 0x1FFF
    if v & 0x1000:
        v -= 0x2000
    return v / 16.0


def swap16(w):
    """An SMBus word carries the first byte on the wire as its low byte; the
    ADS1115 and MCP9808 send MSB first (docs/chips.md), so i2cset's word is the
    register value byte-swapped, exactly as on a Raspberry Pi."""
    return ((w & 0xFF) << 8) | (w >> 8)


def bmp_data_bytes(adc_p, adc_t):
    """0xF7..0xFC: press msb, lsb, xlsb[7:4], then temp the same [BMP §4.3.6-7]."""
    out = []
    for adc in (adc_p, adc_t):
        out += [(adc >> 12) & 0xFF, (adc >> 4) & 0xFF, (adc & 0xF) << 4]
    return out


def le16_bytes(counts):
    """16-bit two's complement counts, each LSB first: the LSM6DS3TR-C's
    outputs with BLE = 0 [LSM §9]."""
    out = []
    for v in counts:
        v &= 0xFFFF
        out += [v & 0xFF, v >> 8]
    return out


def be16_bytes(counts):
    """The same, MSB first: the MPU-6050's outputs [MPU RM §4.17-4.19]."""
    out = []
    for v in counts:
        v &= 0xFFFF
        out += [v >> 8, v & 0xFF]
    return out


def magnitude(v):
    return sum(x * x for x in v) ** 0.5


def hexes(bs):
    return " ".join("0x%02x" % b for b in bs)


def plan(share):
    calib = []
    for kind, v in BMP_CALIB:
        v &= 0xFFFF
        calib += [v & 0xFF, v >> 8]      # LSB first [BMP §3.11.2]
    lines = [
        "BMP_ID=0x58",
        "BMP_CALIB='%s'" % hexes(calib),
        "BMP_DATA_REST='%s'" % hexes(bmp_data_bytes(ADC_P_REST, ADC_T)),
        "NOISE_N=%d" % len(NOISE),
        "ADS_CONFIG_W=0x%04x" % swap16(0x8583),     # power-on value [ADS]
        "ADS_CONV_W=0x%04x" % swap16(ADS_CODE),
        "MCP_MANUF_W=0x%04x" % swap16(0x0054),
        "MCP_DEVICE_W=0x%04x" % swap16(0x0400),
        "MCP_RES=0x03",
        "MCP_TA_REST_W=0x%04x" % swap16(MCP_TA_REST),
        "MCP_TA_HOT_W=0x%04x" % swap16(MCP_TA_HOT),
        "HOLD_S=%d" % HOLD_S,
        "MCP2_TA_W=0x%04x" % swap16(MCP2_TA),
        "IMU_ID=0x%02x" % IMU_ID,
        "IMU_OUT='%s'" % hexes(le16_bytes(IMU_GYRO + IMU_ACCEL)),
        "IMU_GYRO_REST='%s'" % hexes(le16_bytes(IMU_GYRO)),
        "IMU_GYRO_ROLL='%s'" % hexes(le16_bytes(IMU_GYRO_ROLL)),
        "ROLL_S=%d" % ROLL_S,
        "MPU_ID=0x%02x" % MPU_ID,
        "MPU_OUT='%s'" % hexes(be16_bytes(MPU_ACCEL + (MPU_TEMP,) + MPU_GYRO)),
        "MPU_GYRO_RANGE=%d" % MPU_GYRO_RANGE,
        "MPU_ACCEL_RANGE=%d" % MPU_ACCEL_RANGE,
        "IMU_GYRO_RANGE=%d" % IMU_GYRO_RANGE,
        "IMU_ACCEL_RANGE=%d" % IMU_ACCEL_RANGE,
    ] + [
        "BMP_DATA_%s_%d='%s'" % (level, k, hexes(bmp_data_bytes(adc_p + dp, ADC_T + dt)))
        for level, adc_p in (("REST", ADC_P_REST), ("HOLD", ADC_P_HOLD))
        for k, (dp, dt) in enumerate(NOISE)
    ] + [
        "DEVICE=%s" % DEVICE,
        "DEVICE2=%s" % DEVICE2,
        "PREFIX=%s" % PREFIX,
    ]
    with open(share + "/plan.env", "w") as f:
        f.write("\n".join(lines) + "\n")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("  ok    %s" % what)
        else:
            self.failed += 1
            print("  FAIL  %s%s" % (what, (": " + detail) if detail else ""))
        return ok


def close(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol


def read_mqtt(path):
    """mosquitto_sub -v lines: '<topic> <payload>'."""
    msgs = []
    try:
        with open(path) as f:
            for line in f:
                topic, _, payload = line.rstrip("\n").partition(" ")
                msgs.append((topic, payload))
    except OSError:
        pass
    return msgs


def device_readings(msgs, device):
    """The device's readings, one per (run, seq), as the collector counts
    them: sensord sends unconfirmed readings again (QoS 1, resends)."""
    readings, seen = [], set()
    for topic, payload in msgs:
        if topic == "%s/%s/reading" % (PREFIX, device):
            try:
                r = json.loads(payload)
            except ValueError:
                continue
            if (r.get("run"), r.get("seq")) not in seen:
                seen.add((r.get("run"), r.get("seq")))
                readings.append(r)
    return readings


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def verify_second_tool(c, share, msgs):
    """The second sensord on the same bus read its own chip, the whole run;
    a third on the first one's state folder refused to start."""
    t2 = mcp9808_celsius(MCP2_TA)
    readings = device_readings(msgs, DEVICE2)
    c.check(len(readings) >= 100, "second tool: readings published as %s (%d)" %
            (DEVICE2, len(readings)))
    runs = {r.get("run") for r in readings}
    seqs = sorted(r.get("seq") for r in readings)
    c.check(len(runs) == 1 and seqs == list(range(1, len(seqs) + 1)),
            "second tool: one run, seq 1..%d without a hole" % len(seqs),
            "runs %s, seqs %s..%s" % (runs, seqs[:1], seqs[-1:]))
    bad = [r.get("temperature_c") for r in readings if not close(r.get("temperature_c"), t2, 0.006)]
    c.check(readings and not bad,
            "second tool: every temperature_c is its own MCP9808's %.2f °C (0x19)" % t2,
            "unexpected: %s" % bad[:5])
    c.check(all(r.get("pressure_kpa") is None for r in readings),
            "second tool: no pressure (its file names no gauge)")
    lock = read_text(share + "/lock.txt").strip()
    log = read_text(share + "/lock.log")
    want = "sensord.state_dir: /tmp/state is in use by another rollsense-sensord"
    c.check(lock == "exit 2" and want in log and log.count("\n") == 1,
            "a sensord on the first one's state folder exits 2: %s" % want,
            "%s; %s" % (lock, log.strip()))


def check_imu_once(c, key, values, want_dps, gyro, gyro_range, want_g, accel, accel_range):
    """An IMU's --once axes (printed with 5 decimals) against the counts'
    values by its datasheet."""
    for name, want, counts, what in (("gyro_dps", want_dps, gyro, "gyro %s °/s from counts %s at ±%d °/s"
                                      % (", ".join("%.4f" % d for d in want_dps), gyro, gyro_range)),
                                     ("accel_g", want_g, accel, "accel %s g from counts %s at ±%d g"
                                      % (", ".join("%.6f" % d for d in want_g), accel, accel_range))):
        got = values.get(name) or []
        c.check(len(got) == 3 and all(close(a, b, 0.00001) for a, b in zip(got, want)),
                "%s %s" % (key, what), str(values))


def verify(share, label):
    c = Checks()
    t_rest, p_rest = bmp280_compensate(ADC_T, ADC_P_REST)
    rests = [bmp280_compensate(ADC_T + dt, ADC_P_REST + dp)[1] for dp, dt in NOISE]
    holds = [bmp280_compensate(ADC_T + dt, ADC_P_HOLD + dp)[1] for dp, dt in NOISE]
    p_hold = sum(holds) / len(holds)
    # The gauge's zero is an average of resting samples; a pressed sample is
    # one of the hold values minus it: the noise's spread bounds the error,
    # plus the 0.01 kPa of the published rounding.
    hold_kpa = (p_hold - sum(rests) / len(rests)) / 1000.0
    tol_kpa = (max(holds) - min(holds) + max(rests) - min(rests)) / 1000.0 + 0.006
    t_mcp_rest = mcp9808_celsius(MCP_TA_REST)
    t_mcp_hot = mcp9808_celsius(MCP_TA_HOT)
    volts = (ADS_CODE - 0x10000 if ADS_CODE & 0x8000 else ADS_CODE) * ADS_FSR_V / 32768
    print("expected: BMP280 %.2f °C, %.4f Pa at rest, %.4f Pa pressed (%.3f kPa); "
          "ADS1115 %.5f V; MCP9808 %.4f then %.4f °C" %
          (t_rest, p_rest, p_hold, hold_kpa, volts, t_mcp_rest, t_mcp_hot))

    # 1. --once: every chip's absolute values.
    once = None
    try:
        with open(share + "/once.json") as f:
            once = json.loads(f.read())
    except (OSError, ValueError) as e:
        c.check(False, "sensord --once printed one JSON reading", str(e))
    if once is not None:
        sensors = once.get("sensors", {})

        def chip(prefix):
            for k, v in sensors.items():
                if k.startswith(prefix):
                    return k, v
            return prefix, {}
        k, v = chip("bmp280@")
        c.check(close(v.get("temperature_c"), t_rest, 0.005),
                "%s temperature %.2f °C (datasheet formula)" % (k, t_rest), str(v))
        c.check(close(v.get("pressure_pa"), p_rest, 0.02),
                "%s pressure %.2f Pa (datasheet int64 formula)" % (k, p_rest), str(v))
        k, v = chip("ads1115@")
        c.check(close(v.get("voltage_v"), volts, 0.00001),
                "%s %.5f V from code 0x%04x at ±%.3f V" % (k, volts, ADS_CODE, ADS_FSR_V), str(v))
        k, v = chip("mcp9808@")
        c.check(close(v.get("temperature_c"), t_mcp_rest, 0.005),
                "%s %.4f °C from T_A 0x%04x (flag bits masked)" % (k, t_mcp_rest, MCP_TA_REST),
                str(v))
        k, v = chip("lsm6ds3trc@")
        check_imu_once(c, k, v, [n * IMU_G_SO_DPS for n in IMU_GYRO], IMU_GYRO, IMU_GYRO_RANGE,
                       [n * IMU_LA_SO_G for n in IMU_ACCEL], IMU_ACCEL, IMU_ACCEL_RANGE)
        k, v = chip("mpu6050@")
        check_imu_once(c, k, v, [n / MPU_GYRO_LSB_PER_DPS for n in MPU_GYRO], MPU_GYRO,
                       MPU_GYRO_RANGE, [n / MPU_ACCEL_LSB_PER_G for n in MPU_ACCEL], MPU_ACCEL,
                       MPU_ACCEL_RANGE)
        c.check(not once.get("faults"), "--once reports no faults", str(once.get("faults")))

    # 2. The readings the daemon published while the registers changed.
    msgs = read_mqtt(share + "/mqtt.log")
    readings = device_readings(msgs, DEVICE)
    events = []
    for topic, payload in msgs:
        if topic == "%s/%s/event" % (PREFIX, DEVICE):
            try:
                events.append(json.loads(payload))
            except ValueError:
                pass
    c.check(len(readings) >= 100, "readings published over MQTT (%d)" % len(readings))
    pressures = [r.get("pressure_kpa") for r in readings]
    temps = [r.get("temperature_c") for r in readings]
    bad_p = [p for p in pressures
             if not (close(p, 0.0, tol_kpa) or close(p, hold_kpa, tol_kpa))]
    c.check(readings and not bad_p,
            "every pressure_kpa is 0 (at rest) or %.2f (pressed), as computed" % hold_kpa,
            "unexpected: %s" % bad_p[:5])
    n_hold = sum(1 for p in pressures if close(p, hold_kpa, tol_kpa))
    c.check(HOLD_S * 10 * 0.7 <= n_hold <= HOLD_S * 10 * 1.3,
            "about %d pressed readings at 10 Hz (%d)" % (HOLD_S * 10, n_hold))
    bad_t = [t for t in temps if not (close(t, t_mcp_rest, 0.006) or close(t, t_mcp_hot, 0.006))]
    c.check(readings and not bad_t,
            "every temperature_c is %.2f or %.2f, as computed" % (t_mcp_rest, t_mcp_hot),
            "unexpected: %s" % bad_t[:5])
    c.check(any(close(t, t_mcp_hot, 0.006) for t in temps), "the temperature rise was seen")
    # rotation_dps: |gyro - zero-rate offset|, the offset measured at rest
    # (the first second, and after the tare). At rest 0; rolling, the step
    # about y; before the first zero, the raw offset's magnitude.
    roll_dps = (IMU_GYRO_ROLL[1] - IMU_GYRO[1]) * IMU_G_SO_DPS
    raw_dps = magnitude(IMU_GYRO) * IMU_G_SO_DPS
    rots = [r.get("rotation_dps", "absent") for r in readings]
    bad_r = [x for x in rots if not any(close(x, w, 0.006) for w in (0.0, roll_dps, raw_dps))]
    c.check(readings and not bad_r,
            "every rotation_dps is 0 (still), %.2f (rolling) or %.2f (before the zero)" %
            (roll_dps, raw_dps), "unexpected: %s" % bad_r[:5])
    # The roll lasts ROLL_S plus the time the guest takes to write the
    # registers back, which emulation on a busy host stretches: at least
    # 70 % of ROLL_S at 10 Hz, in one unbroken run of readings.
    rolling = [i for i, x in enumerate(rots) if close(x, roll_dps, 0.006)]
    c.check(rolling and len(rolling) >= ROLL_S * 10 * 0.7 and
            rolling == list(range(rolling[0], rolling[0] + len(rolling))),
            "one run of at least %d rolling readings at 10 Hz (%d)" %
            (ROLL_S * 7, len(rolling)), str(rolling[:3] + rolling[-3:]))
    faults = [r["faults"] for r in readings if r.get("faults")]
    c.check(not faults, "no reading carries a fault", str(faults[:3]))

    # 3. The live detector events, in order.
    names = [e.get("event") for e in events]
    want = ["session_started", "hold_started", "hold_10s", "hold_ended", "heat_on",
            "session_ended"]
    pos, missing = 0, []
    for w in want:
        try:
            pos = names.index(w, pos) + 1
        except ValueError:
            missing.append(w)
    c.check(not missing, "events in order: %s" % ", ".join(want),
            "missing or out of order: %s (got %s)" % (missing, names))
    ended = [e for e in events if e.get("event") == "hold_ended"]
    if ended:
        h = ended[0].get("hold", {})
        c.check(close(h.get("duration_s"), HOLD_S, 2.0) and h.get("class") == "effective",
                "hold_ended: about %d s, effective" % HOLD_S, str(h))
        c.check(close(h.get("mean_kpa"), hold_kpa, tol_kpa),
                "hold_ended: mean %.2f kPa" % hold_kpa, str(h))
    heat = [e for e in events if e.get("event") == "heat_on"]
    if heat:
        c.check(close(heat[0].get("temperature_c"), t_mcp_hot, 0.006),
                "heat_on at %.2f °C" % t_mcp_hot, str(heat[0]))

    # 4. The collector stored the session and published its summary.
    sessions = []
    for topic, payload in msgs:
        if topic == "%s/%s/session" % (PREFIX, DEVICE):
            try:
                sessions.append(json.loads(payload))
            except ValueError:
                pass
    c.check(len(sessions) >= 1, "the collector published the session summary")
    if sessions:
        s = sessions[-1]
        s_holds = s.get("holds", [])
        c.check(s.get("hold_count") == 1 and len(s_holds) == 1 and
                s_holds[0].get("class") == "effective" and
                close(s_holds[0].get("mean_kpa"), hold_kpa, tol_kpa),
                "session: one effective hold at %.2f kPa" % hold_kpa, json.dumps(s)[:300])
        c.check(close(s.get("max_temperature_c"), t_mcp_hot, 0.006) and
                (s.get("heat_time_s") or 0) > 0,
                "session: heat time > 0, max %.2f °C" % t_mcp_hot, json.dumps(s)[:300])
    c.check(any(r.get("end_session") for r in readings),
            "the button's long press ended the session (end_session in a reading)")

    # 5. The LED line as the guest sampled it from gpio-sim.
    led = []
    try:
        with open(share + "/led.log") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    led.append((parts[0], float(parts[1]), int(parts[2])))
    except (OSError, ValueError):
        pass

    def pulses(phase):
        """(on durations) of the LED during one phase of the guest's script."""
        out, on_at = [], None
        for ph, t, v in led:
            if ph != phase:
                continue
            if v and on_at is None:
                on_at = t
            elif not v and on_at is not None:
                out.append(t - on_at)
                on_at = None
        return out
    # Under emulation the sampling, and a loaded host, add a few hundred ms
    # of jitter: the bounds allow it and still tell the patterns apart by
    # their count and length.
    tare = pulses("tare")
    c.check(len(tare) == 1 and 0.2 <= tare[0] <= 0.6,
            "short press: the LED blinks once for about 300 ms (tare)", str(tare))
    ten = pulses("hold")
    c.check(len(ten) == 2 and all(0.05 <= p <= 0.4 for p in ten),
            "hold_10s: the LED blinks twice, about 150 ms each", str(ten))
    end = pulses("end")
    c.check(len(end) == 1 and 0.8 <= end[0] <= 1.6,
            "long press: the LED glows once for about 1 s (session over)", str(end))

    # 6. The second tool.
    verify_second_tool(c, share, msgs)

    # 7. What the drivers left in the chips' registers.
    regs = {}
    try:
        with open(share + "/regs.txt") as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                regs[k] = int(v, 16)
    except (OSError, ValueError):
        pass
    # forced mode, osrs_t x1 (001), osrs_p x8 (100) [BMP §4.3.4]
    c.check(regs.get("bmp_ctrl_meas") == 0x31, "BMP280 ctrl_meas 0x31 (T x1, P x8, forced)",
            str(regs.get("bmp_ctrl_meas")))
    # OS, AIN0-GND (100), ±4.096 V (001), single shot, 128 SPS (100), comparator off
    c.check(regs.get("ads_config") is not None and swap16(regs["ads_config"]) == 0xC383,
            "ADS1115 config 0xC383 (AIN0, ±4.096 V, single shot, 128 SPS)",
            hex(swap16(regs["ads_config"])) if "ads_config" in regs else "missing")
    c.check(regs.get("mcp_res") is not None and regs["mcp_res"] & 3 == 3,
            "MCP9808 resolution 0.0625 °C (11)", str(regs.get("mcp_res")))

    # ODR 104 Hz (0100) with FS_XL ±2 g (00), FS_G ±500 °/s (01); BDU and
    # IF_INC, SW_RESET clear again [LSM §9, CTRL1_XL, CTRL2_G, CTRL3_C].
    c.check(regs.get("imu_ctrl1_xl") == 0x40, "LSM6DS3TR-C CTRL1_XL 0x40 (104 Hz, ±2 g)",
            str(regs.get("imu_ctrl1_xl")))
    c.check(regs.get("imu_ctrl2_g") == 0x44, "LSM6DS3TR-C CTRL2_G 0x44 (104 Hz, ±500 °/s)",
            str(regs.get("imu_ctrl2_g")))
    c.check(regs.get("imu_ctrl3_c") == 0x44, "LSM6DS3TR-C CTRL3_C 0x44 (BDU, IF_INC, reset done)",
            str(regs.get("imu_ctrl3_c")))

    # SMPLRT_DIV 9: 1 kHz / (1 + 9) = 100 Hz with the DLPF on; CONFIG
    # DLPF_CFG 3 (42 Hz); FS_SEL 2 (±1000), AFS_SEL 1 (±4 g) in bits 4:3;
    # PWR_MGMT_1 0x01: awake, PLL on the X gyro, DEVICE_RESET clear again
    # [MPU RM §4.2-4.5, §4.28].
    for key, want, what in (("mpu_smplrt_div", 0x09, "SMPLRT_DIV 9 (100 Hz)"),
                            ("mpu_config", 0x03, "CONFIG 0x03 (DLPF 42 Hz)"),
                            ("mpu_gyro_config", 0x10, "GYRO_CONFIG 0x10 (±1000 °/s)"),
                            ("mpu_accel_config", 0x08, "ACCEL_CONFIG 0x08 (±4 g)"),
                            ("mpu_pwr_mgmt_1", 0x01, "PWR_MGMT_1 0x01 (awake, X gyro clock, reset done)")):
        c.check(regs.get(key) == want, "MPU-6050 %s" % what, str(regs.get(key)))

    print("%s: %d passed, %d failed" % (label, c.passed, c.failed))
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("plan", "verify"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    if sys.argv[1] == "plan":
        plan(sys.argv[2])
        sys.exit(0)
    sys.exit(verify(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else "hil"))
