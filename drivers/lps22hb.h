/* The ST LPS22HB's register map, settings and pure decoding, shared by the
 * driver (drivers/lps22hb.c), the simulated chip (sensord/sim/sim_lps22hb.c)
 * and the test. Sections are those of DocID027083. */
#ifndef ROLLSENSE_LPS22HB_H
#define ROLLSENSE_LPS22HB_H

#include <stdint.h>

#include "config.h"

#define LPS22HB_REG_WHO_AM_I 0x0F
#define LPS22HB_REG_CTRL_REG1 0x10
#define LPS22HB_REG_CTRL_REG2 0x11
#define LPS22HB_REG_STATUS 0x27
#define LPS22HB_REG_PRESS_OUT_XL 0x28	/* then PRESS_OUT_L, _H, TEMP_OUT_L, _H */

#define LPS22HB_ID 0xB1	/* WHO_AM_I [§9, WHO_AM_I] */
/* CTRL_REG1: ODR[6:4] (000: power-down, one-shot on demand), EN_LPFP bit 3
 * (pressure low-pass on), LPFP_CFG bit 2 (its bandwidth ODR/9 or ODR/20; ODR/2
 * with the filter off), BDU bit 1 [§9, CTRL_REG1 (10h)]. */
#define LPS22HB_CTRL1_EN_LPFP (1u << 3)
#define LPS22HB_CTRL1_LPFP_CFG (1u << 2)
/* CTRL_REG2: BOOT bit 7, IF_ADD_INC bit 4 (multi-byte transfers
 * auto-increment; 1 at power-on), SWRESET bit 2, ONE_SHOT bit 0 [§9,
 * CTRL_REG2 (11h)]. */
#define LPS22HB_CTRL2_IF_ADD_INC (1u << 4)
#define LPS22HB_CTRL2_SWRESET (1u << 2)
#define LPS22HB_CTRL2_ONE_SHOT (1u << 0)
/* STATUS: T_DA bit 1, P_DA bit 0; cleared by reading TEMP_OUT_H, PRESS_OUT_H
 * [§9, STATUS (27h)]. */
#define LPS22HB_STATUS_T_DA (1u << 1)
#define LPS22HB_STATUS_P_DA (1u << 0)

/* Sensitivities [§3.1]: 4096 LSB/hPa (40.96 LSB/Pa), 100 LSB/°C. */
#define LPS22HB_LSB_PER_PA 40.96
#define LPS22HB_LSB_PER_C 100.0

/* An LPS22HB's settings, the base of its row (drivers/lps22hb.c) in
 * struct sensor_cfg.options. */
struct lps22hb_options {
	unsigned lowpass;	/* "lowpass": 0 "off" (default: bandwidth ODR/2),
				 * 1 "odr/9", 2 "odr/20" */
};
_Static_assert(sizeof(struct lps22hb_options) <= CONFIG_CHIP_OPTIONS_MAX, "options do not fit");

/* PRESS_OUT_XL, _L, _H (out[0..2]): a 24-bit two's complement count, LSB
 * first, in Pa. */
double lps22hb_pressure_pa(const uint8_t out[3]);
/* TEMP_OUT_L, _H (out[0..1]): a 16-bit two's complement count, LSB first,
 * in °C. */
double lps22hb_temperature_c(const uint8_t out[2]);

#endif
