/* The InvenSense MPU-6050's register map, settings and pure decoding, shared
 * by the driver (drivers/mpu6050.c), the simulated chip
 * (sensord/sim/sim_mpu6050.c) and the test. [RM §n] is a section of the
 * Register Map and Descriptions RM-MPU-6000A-00 rev 4.2, [PS §n] one of the
 * Product Specification PS-MPU-6000A-00 rev 3.4. */
#ifndef ROLLSENSE_MPU6050_H
#define ROLLSENSE_MPU6050_H

#include <stdint.h>

#include "config.h"

#define MPU6050_REG_SMPLRT_DIV 0x19	/* [RM §4.2] */
#define MPU6050_REG_CONFIG 0x1A		/* EXT_SYNC_SET 5:3, DLPF_CFG 2:0 [RM §4.3] */
#define MPU6050_REG_GYRO_CONFIG 0x1B	/* FS_SEL 4:3 [RM §4.4] */
#define MPU6050_REG_ACCEL_CONFIG 0x1C	/* AFS_SEL 4:3 [RM §4.5] */
/* ACCEL_XOUT_H .. GYRO_ZOUT_L: 14 bytes, each value 16-bit two's complement,
 * high byte first: accel x, y, z, TEMP_OUT, gyro x, y, z [RM §4.17-4.19].
 * A burst read gives one sampling instant [RM §4.19]. */
#define MPU6050_REG_ACCEL_XOUT_H 0x3B
#define MPU6050_REG_TEMP_OUT_H 0x41
#define MPU6050_REG_GYRO_XOUT_H 0x43
#define MPU6050_DATA_LEN 14
#define MPU6050_REG_PWR_MGMT_1 0x6B	/* [RM §4.28] */
#define MPU6050_REG_WHO_AM_I 0x75	/* [RM §4.32] */

/* WHO_AM_I: the upper 6 bits of the 7-bit address, without AD0: 0x68 on
 * either strapping [RM §4.32]. */
#define MPU6050_ID 0x68
/* PWR_MGMT_1: DEVICE_RESET bit 7 (clears itself when done), SLEEP bit 6
 * (set at power-on: reset value 0x40 [RM §3]), CYCLE bit 5, TEMP_DIS bit 3,
 * CLKSEL 2:0 (0 internal 8 MHz, 1 PLL on the X gyro) [RM §4.28]. */
#define MPU6050_PWR1_DEVICE_RESET (1u << 7)
#define MPU6050_PWR1_SLEEP (1u << 6)
#define MPU6050_PWR1_CYCLE (1u << 5)
#define MPU6050_CLKSEL_PLL_XGYRO 1u
/* FS_SEL and AFS_SEL both sit in bits 4:3 [RM §4.4, §4.5]. */
#define MPU6050_FS_SHIFT 3
#define MPU6050_FS_MASK (3u << MPU6050_FS_SHIFT)
/* DLPF_CFG 0 and 7 run the gyro at 8 kHz, 1..6 at 1 kHz [RM §4.2]. */
#define MPU6050_DLPF_MASK 0x07u

/* An MPU-6050's settings, the base of its rows (drivers/mpu6050.c) in
 * struct sensor_cfg.options. */
struct mpu6050_options {
	double gyro_range_dps;	/* ±250, 500 (default), 1000, 2000 °/s */
	double accel_range_g;	/* ±2 (default), 4, 8, 16 g */
	double lowpass_hz;	/* the gyro's DLPF bandwidth: 256, 188, 98, 42,
				 * 20 (default), 10, 5 Hz */
	double rate_hz;		/* the sample rate: 1000, 500, 200, 100 (default), 50 Hz */
};
_Static_assert(sizeof(struct mpu6050_options) <= CONFIG_CHIP_OPTIONS_MAX, "options do not fit");

/* The sensitivities by FS_SEL / AFS_SEL code: 131, 65.5, 32.8, 16.4 LSB per
 * °/s [PS §6.1], 16384, 8192, 4096, 2048 LSB per g [PS §6.2]. */
extern const double mpu6050_gyro_lsb_per_dps[4];
extern const double mpu6050_accel_lsb_per_g[4];

/* The FS_SEL code (0..3) for a gyro range of ±range_dps, the AFS_SEL code for
 * an accelerometer range of ±range_g, the DLPF_CFG code for a bandwidth in Hz
 * (256 -> 0 ... 5 -> 6), the SMPLRT_DIV for a rate in Hz given dlpf_cfg: 0
 * and *code set, or -EINVAL for a value that is not in the tables. */
int mpu6050_gyro_fs_code(double range_dps, uint8_t *code);
int mpu6050_accel_fs_code(double range_g, uint8_t *code);
int mpu6050_dlpf_code(double lowpass_hz, uint8_t *code);
int mpu6050_smplrt_div(double rate_hz, uint8_t dlpf_cfg, uint8_t *div);

/* One output register pair (high byte first, two's complement) in °/s at
 * FS_SEL fs, and in g at AFS_SEL afs (fs, afs 0..3). */
double mpu6050_gyro_dps(const uint8_t hl[2], unsigned fs);
double mpu6050_accel_g(const uint8_t hl[2], unsigned afs);

#endif
