/* The Bosch BMP280/BME280 compensation arithmetic, split from the driver
 * (drivers/bmp280.c) so tests can check it against the datasheet directly.
 * Everything here is pure: no bus, no state beyond the arguments. */
#ifndef ROLLSENSE_BMP280_H
#define ROLLSENSE_BMP280_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A BMP280's or BME280's settings, the base of its rows (drivers/bmp280.c)
 * in struct sensor_cfg.options. */
struct bmp280_options {
	bool normal_mode;		/* "mode": "forced" (default) or "normal" */
	unsigned oversampling_p;	/* 1, 2, 4, 8, 16; default 4 */
	unsigned oversampling_t;	/* default 1 */
	unsigned oversampling_h;	/* bme280 only; default 1 */
	unsigned filter;		/* IIR coefficient 0 (off), 2, 4, 8, 16; default 0 */
};
_Static_assert(sizeof(struct bmp280_options) <= CONFIG_CHIP_OPTIONS_MAX, "options do not fit");

/* The register map and its fixed values, shared by the driver and the
 * simulated chip (sensord/sim/sim_bmp280.c) [BMP §4.2, BME §5.3; docs/chips.md]. */
#define BMP280_REG_CALIB_TP 0x88	/* dig_T1..dig_P9 */
#define BMP280_REG_CALIB_H1 0xA1	/* dig_H1 (BME280) */
#define BMP280_REG_CALIB_H 0xE1		/* dig_H2..dig_H6 (BME280) */
#define BMP280_REG_ID 0xD0
#define BMP280_REG_RESET 0xE0
#define BMP280_REG_CTRL_HUM 0xF2
#define BMP280_REG_STATUS 0xF3
#define BMP280_REG_CTRL_MEAS 0xF4
#define BMP280_REG_CONFIG 0xF5
#define BMP280_REG_DATA 0xF7		/* press, temp (, hum) */

#define BMP280_ID 0x58
#define BME280_ID 0x60
#define BMP280_RESET_WORD 0xB6
#define BMP280_STATUS_MEASURING 0x08
#define BMP280_STATUS_IM_UPDATE 0x01
/* The value a skipped (or never made) measurement reads as [BMP §3.9]. */
#define BMP280_ADC_SKIPPED_TP 0x80000
#define BMP280_ADC_SKIPPED_H 0x8000

/* Calibration block lengths (see bmp280_calib_decode). */
#define BMP280_CALIB_TP_LEN 24
#define BME280_CALIB_TPH1_LEN 26
#define BME280_CALIB_H_LEN 7

/* Trimming parameters, named as in [BMP §3.11.2, BME §4.2.2]. The H fields
 * are 0 on a BMP280. */
struct bmp280_calib {
	uint16_t dig_T1;
	int16_t dig_T2, dig_T3;
	uint16_t dig_P1;
	int16_t dig_P2, dig_P3, dig_P4, dig_P5, dig_P6, dig_P7, dig_P8, dig_P9;
	uint8_t dig_H1;
	int16_t dig_H2;
	uint8_t dig_H3;
	int16_t dig_H4, dig_H5;	/* 12-bit signed, packed with shared nibbles */
	int8_t dig_H6;
};

/* Decodes the calibration block read from 0x88: nvm_len 24 (BMP280, T1..P9)
 * or 26 (BME280: 0xA0 is unused, H1 at 0xA1 is the last byte). hum is the 7
 * bytes of 0xE1..0xE7 (H2..H6), required with 26 bytes, ignored with 24.
 * Fills every field of cal (H fields 0 for 24 bytes). 0, or -EINVAL for
 * another length or a missing hum (cal untouched then). */
int bmp280_calib_decode(struct bmp280_calib *cal, const uint8_t *nvm, size_t nvm_len,
			const uint8_t *hum);

/* bmp280_compensate_T_int32 [BMP §3.11.3]: temperature in 0.01 °C from the
 * 20-bit adc_T. Stores t_fine, an input of the pressure and humidity
 * routines, so compute temperature first for every sample. */
int32_t bmp280_compensate_t(const struct bmp280_calib *cal, int32_t adc_t, int32_t *t_fine);

/* bmp280_compensate_P_int64 [BMP §3.11.3]: pressure in Pa as unsigned Q24.8
 * (Pa = value / 256) from the 20-bit adc_P. 0 when the calibration would
 * divide by zero (no real chip has that calibration). */
uint32_t bmp280_compensate_p(const struct bmp280_calib *cal, int32_t adc_p, int32_t t_fine);

/* bme280_compensate_H_int32 [BME §4.2.3]: relative humidity in % as unsigned
 * Q22.10 (%RH = value / 1024), clamped to 0..100 %, from the 16-bit adc_H. */
uint32_t bme280_compensate_h(const struct bmp280_calib *cal, int32_t adc_h, int32_t t_fine);

#endif
