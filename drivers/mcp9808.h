/* The MCP9808's pure helpers, apart from its driver table so that tests (and
 * anyone decoding a logged raw register) can use them without a bus. */
#ifndef ROLLSENSE_MCP9808_H
#define ROLLSENSE_MCP9808_H

#include <stdint.h>

#include "config.h"

/* The register map (see drivers/mcp9808.c), shared with the simulated chip. */
#define MCP9808_REG_CONFIG 0x01
#define MCP9808_REG_UPPER 0x02
#define MCP9808_REG_LOWER 0x03
#define MCP9808_REG_CRIT 0x04
#define MCP9808_REG_TA 0x05
#define MCP9808_REG_MANUFACTURER 0x06
#define MCP9808_REG_DEVICE 0x07
#define MCP9808_REG_RESOLUTION 0x08
#define MCP9808_MANUFACTURER_ID 0x0054
#define MCP9808_DEVICE_ID 0x04
#define MCP9808_CONFIG_SHDN (1u << 8)
#define MCP9808_CONFIG_CRIT_LOCK (1u << 7)
#define MCP9808_CONFIG_WIN_LOCK (1u << 6)
#define MCP9808_CONFIG_INT_CLEAR (1u << 5)

/* An MCP9808's settings, the base of its row (drivers/mcp9808.c) in
 * struct sensor_cfg.options. */
struct mcp9808_options {
	double resolution_c;		/* 0.5, 0.25, 0.125, 0.0625 (default) */
};
_Static_assert(sizeof(struct mcp9808_options) <= CONFIG_CHIP_OPTIONS_MAX, "options do not fit");

/* Decodes the ambient temperature register (0x05) to °C: the alert flags in
 * bits 15:13 are dropped, bits 12:0 are a two's complement count of
 * 0.0625 °C [DS25095 §5.1.3]. Any reg is valid; the range is -256 .. +255.9375. */
double mcp9808_temp_decode(uint16_t reg);

/* The resolution register (0x08) value for a resolution in °C: 0.5 -> 0x00,
 * 0.25 -> 0x01, 0.125 -> 0x02, 0.0625 -> 0x03 [DS25095 §5.1.6]. 0 and *code
 * set, or -EINVAL for any other resolution. */
int mcp9808_resolution_code(double resolution_c, uint8_t *code);

#endif
