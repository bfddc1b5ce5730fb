/* The ST LSM6DS3TR-C's register map, settings and pure decoding, shared by
 * the driver (drivers/lsm6ds3trc.c), the simulated chip
 * (sensord/sim/sim_lsm6ds3trc.c) and the test. Sections and tables are those
 * of ST's LSM6DS3TR-C datasheet (§4.1 Table 3 "Mechanical characteristics",
 * §8 "Register mapping", §9 "Register description"). */
#ifndef ROLLSENSE_LSM6DS3TRC_H
#define ROLLSENSE_LSM6DS3TRC_H

#include <stdint.h>

#include "config.h"

#define LSM6DS3TRC_REG_WHO_AM_I 0x0F
#define LSM6DS3TRC_REG_CTRL1_XL 0x10
#define LSM6DS3TRC_REG_CTRL2_G 0x11
#define LSM6DS3TRC_REG_CTRL3_C 0x12
#define LSM6DS3TRC_REG_STATUS 0x1E
#define LSM6DS3TRC_REG_OUTX_L_G 0x22	/* then OUTX_H_G .. OUTZ_H_G (0x27) */
#define LSM6DS3TRC_REG_OUTX_L_XL 0x28	/* then OUTX_H_XL .. OUTZ_H_XL (0x2D) */

/* WHO_AM_I [§9, WHO_AM_I (0Fh)]: 0x6A. The older LSM6DS3 (a different
 * register set behind the same addresses) answers 0x69. */
#define LSM6DS3TRC_ID 0x6A
#define LSM6DS3_ID 0x69

/* CTRL1_XL: ODR_XL bits 7:4, FS_XL bits 3:2 (00 ±2 g, 01 ±16 g, 10 ±4 g,
 * 11 ±8 g), LPF1_BW_SEL bit 1, BW0_XL bit 0 [§9, CTRL1_XL (10h)].
 * CTRL2_G: ODR_G bits 7:4, FS_G bits 3:2 (00 ±250, 01 ±500, 10 ±1000,
 * 11 ±2000 dps), FS_125 bit 1 (±125 dps, over FS_G) [§9, CTRL2_G (11h)].
 * ODR code for both: 0000 power-down, 0001 12.5 Hz, 0010 26 Hz, 0011 52 Hz,
 * 0100 104 Hz, 0101 208 Hz, 0110 416 Hz, 0111 833 Hz, 1000 1.66 kHz. */
#define LSM6DS3TRC_ODR_SHIFT 4
#define LSM6DS3TRC_FS_SHIFT 2
#define LSM6DS3TRC_CTRL2_FS_125 (1u << 1)
/* CTRL3_C: BOOT 7, BDU 6 (outputs not updated until both bytes of an axis
 * are read), H_LACTIVE 5, PP_OD 4, SIM 3, IF_INC 2 (multi-byte transfers
 * auto-increment; 1 at power-on), BLE 1, SW_RESET 0 (resets the control
 * registers, clears itself when done) [§9, CTRL3_C (12h)]. */
#define LSM6DS3TRC_CTRL3_BDU (1u << 6)
#define LSM6DS3TRC_CTRL3_IF_INC (1u << 2)
#define LSM6DS3TRC_CTRL3_SW_RESET (1u << 0)
/* STATUS_REG: TDA 2, GDA 1, XLDA 0: a new set of data at the temperature,
 * gyroscope, accelerometer outputs [§9, STATUS_REG (1Eh)]. */
#define LSM6DS3TRC_STATUS_GDA (1u << 1)
#define LSM6DS3TRC_STATUS_XLDA (1u << 0)

/* An LSM6DS3TR-C's settings, the base of its rows (drivers/lsm6ds3trc.c) in
 * struct sensor_cfg.options. */
struct lsm6ds3trc_options {
	double gyro_range_dps;	/* ±125, 250, 500 (default), 1000, 2000 */
	double accel_range_g;	/* ±2 (default), 4, 8, 16 */
	double odr_hz;		/* both sensors: 12.5 .. 1660, default 104 */
};
_Static_assert(sizeof(struct lsm6ds3trc_options) <= CONFIG_CHIP_OPTIONS_MAX, "options do not fit");

/* CTRL2_G's FS bits (FS_G and FS_125) for a gyro range in dps, CTRL1_XL's
 * FS_XL bits for an accelerometer range in g, the ODR code (bits 7:4's value)
 * for a rate in Hz: 0 and *bits set, or -EINVAL for a value the chip has not. */
int lsm6ds3trc_gyro_fs_bits(double range_dps, uint8_t *bits);
int lsm6ds3trc_accel_fs_bits(double range_g, uint8_t *bits);
int lsm6ds3trc_odr_code(double odr_hz, uint8_t *code);

/* The sensitivity of the full scale set by CTRL2_G's bits in dps per LSB
 * (Table 3, G_So: 4.375, 8.75, 17.50, 35, 70 mdps/LSB), of CTRL1_XL's in g per
 * LSB (LA_So: 0.061, 0.122, 0.244, 0.488 mg/LSB). */
double lsm6ds3trc_gyro_dps_per_lsb(uint8_t ctrl2_g);
double lsm6ds3trc_accel_g_per_lsb(uint8_t ctrl1_xl);

/* Output register pair out[0..1] (L, H): a 16-bit two's complement count,
 * LSB first (BLE = 0), times per_lsb. */
double lsm6ds3trc_decode(const uint8_t out[2], double per_lsb);

#endif
