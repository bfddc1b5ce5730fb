/* Picks the GPIO side named by the configuration (gpio.h). */
#include "gpio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct gpio *gpio_open(const struct feedback_cfg *cfg, const char *state_dir, char *err,
		       size_t err_len)
{
	char dir[CONFIG_PATH_MAX + 16];

	if (cfg->chip[0] == '\0') {
		snprintf(err, err_len, "sensord.feedback.chip: no chip configured");
		errno = EINVAL;
		return NULL;
	}
	if (strcmp(cfg->chip, "sim") == 0) {
		snprintf(dir, sizeof(dir), "%s/gpio-sim", state_dir);
		return gpio_sim_open(cfg, dir, err, err_len);
	}
	return gpio_gpiod_open(cfg, err, err_len);
}
