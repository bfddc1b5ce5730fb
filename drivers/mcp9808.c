/* Microchip MCP9808: digital temperature sensor, ±0.25 °C typical, used
 * here for the therapy (surface) temperature. Facts from DS25095 rev A:
 *
 *   Register pointer: one byte, bits 7:4 must be 0 [§5.1]. Every register
 *   is 16 bits, MSB first, except the 8-bit resolution register.
 *     0x01 CONFIG     10:9 T_HYST, 8 SHDN (1 = shutdown, no conversions),
 *                     7 Crit.Lock, 6 Win.Lock, 5 Int.Clear, 4:0 alert output
 *                     [§5.1.1]; power-on value 0x0000 = converting continuously
 *     0x02..0x04      T_UPPER, T_LOWER, T_CRIT alert limits [§5.1.2]
 *     0x05 T_A        15: T_A >= T_CRIT, 14: T_A > T_UPPER, 13: T_A < T_LOWER,
 *                     12:0 two's complement in 0.0625 °C [§5.1.3]
 *     0x06            manufacturer ID, 0x0054 [§5.1.4]
 *     0x07            device ID 0x04 (upper byte) / revision [§5.1.5]
 *     0x08            resolution, bits 1:0: 00 0.5 °C, 01 0.25, 10 0.125,
 *                     11 0.0625 (power-on) [§5.1.6]
 *   Equation 5-1 [§5.1.3.1] prints the negative branch as
 *   256 - (Upper * 16 + Lower / 16), which is |T|, not T; the decoding here
 *   sign-extends the 13-bit field instead, which gives T directly.
 *   Conversion time (typical) by resolution: 30, 65, 130, 250 ms
 *   ["Temperature Resolution"]. Conversions run continuously; T_A holds the
 *   last finished one and reads 0 after power-on until the first. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mcp9808.h"
#include "sensor.h"

/* Typical conversion time in ms by resolution code ["Temperature Resolution"]. */
static const unsigned mcp9808_conversion_ms[] = {30, 65, 130, 250};
/* Index = resolution code [§5.1.6]. */
static const double mcp9808_resolutions_c[] = {0.5, 0.25, 0.125, 0.0625};

static const struct config_key mcp9808_keys[] = {
	ROW(struct mcp9808_options, resolution_c, KEY_ONE_OF, ONE_OF(mcp9808_resolutions_c),
	    .def = 0.0625),
};

double mcp9808_temp_decode(uint16_t reg)
{
	int counts = reg & 0x1FFF;

	if (counts & 0x1000)	/* sign bit 12 */
		counts -= 0x2000;
	return counts * 0.0625;
}

int mcp9808_resolution_code(double resolution_c, uint8_t *code)
{
	int i = sensor_code_of(mcp9808_resolutions_c, ARRAY_LEN(mcp9808_resolutions_c),
			       resolution_c);

	if (i < 0)
		return -EINVAL;
	*code = (uint8_t)i;
	return 0;
}

static int mcp9808_init(struct sensor *s)
{
	struct mcp9808_options cfg;
	uint16_t value;
	uint8_t code, back;
	int ret;

	memcpy(&cfg, s->cfg->options, sizeof(cfg));
	ret = mcp9808_resolution_code(cfg.resolution_c, &code);
	if (ret < 0)
		return ret;

	ret = sensor_reg16_read(s, MCP9808_REG_MANUFACTURER, &value);
	if (ret < 0)
		return ret;
	if (value != MCP9808_MANUFACTURER_ID)
		return -ENODEV;
	ret = sensor_reg16_read(s, MCP9808_REG_DEVICE, &value);
	if (ret < 0)
		return ret;
	if ((value >> 8) != MCP9808_DEVICE_ID)
		return -ENODEV;

	/* There is no soft reset, so a chip someone shut down stays shut down
	 * (T_A frozen) until told otherwise. The other CONFIG bits (alert
	 * output, locks) are left as they are: this driver does not use them. */
	ret = sensor_reg16_read(s, MCP9808_REG_CONFIG, &value);
	if (ret < 0)
		return ret;
	if (value & MCP9808_CONFIG_SHDN) {
		value &= (uint16_t)~(MCP9808_CONFIG_SHDN | MCP9808_CONFIG_INT_CLEAR);
		ret = sensor_reg16_write_read(s, MCP9808_REG_CONFIG, value, &value);
		if (ret < 0)
			return ret;
		if (value & MCP9808_CONFIG_SHDN)
			return -EIO;
	}

	ret = sensor_reg8_write(s, MCP9808_REG_RESOLUTION, code);
	if (ret < 0)
		return ret;
	ret = s->bus->read(s->bus, s->address, MCP9808_REG_RESOLUTION, &back, 1);
	if (ret < 0)
		return ret;
	if ((back & 0x03) != code)
		return -EIO;

	/* T_A reads 0 after power-on and keeps an older resolution's result
	 * until a conversion at the new one finishes. The times are typical
	 * only, hence half again as margin. */
	s->bus->delay_us(s->bus, mcp9808_conversion_ms[code] * 1500u);
	return 0;
}

static int mcp9808_read(struct sensor *s, struct sensor_values *out)
{
	uint16_t reg;
	int ret;

	ret = sensor_reg16_read(s, MCP9808_REG_TA, &reg);
	if (ret < 0)
		return ret;
	sensor_values_clear(out);
	out->temperature_c = mcp9808_temp_decode(reg);
	out->raw = reg;
	return 0;
}

/* 0011 A2 A1 A0: the pins select 0x18..0x1F [§4.1.4]. */
static const uint8_t mcp9808_addresses[] = { 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0 };

/* No stuck_samples: a sensor at a steady temperature repeats its reading for
 * minutes. No priv_size: the driver keeps no state. */
const struct sensor_driver mcp9808_driver = {
	.config = CONFIG_CHIP("mcp9808", CONFIG_CHANNEL_TEMPERATURE, mcp9808_addresses, mcp9808_keys),
	.init = mcp9808_init,
	.read = mcp9808_read,
};
