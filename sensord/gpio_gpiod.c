/* The real GPIO chip through libgpiod (gpio.h): the only file that includes
 * gpiod.h. libgpiod v1 (Debian 12: 1.6) and v2 (Debian 13, bookworm-
 * backports: 2.x) have incompatible APIs and no version macro, so the
 * Makefile asks pkg-config and defines ROLLSENSE_GPIOD_V2 for v2.
 *
 * The chip: a path ("/dev/gpiochip0"), a name ("gpiochip0") or a label
 * ("pinctrl-bcm2711", what `gpiodetect` shows in brackets); the label is the
 * stable one on a Pi, where the chip's number changed between kernels.
 * A line: its offset on the chip, or its name ("GPIO17", `gpioinfo`).
 *
 * Active-low is left to the kernel (the request's active-low flag), so the
 * values we read and write are logical. The button's bias follows its
 * polarity: pull-up for a button to GND (active-low, the default), pull-down
 * for a button to 3.3 V; bias needs Linux 5.5 or later. */
#include "gpio.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gpiod.h>

#define GPIO_CONSUMER "rollsense-sensord"

enum { LINE_LED = 0, LINE_BUZZER, LINE_BUTTON, LINES };

static const char *const line_keys[LINES] = { "led", "buzzer", "button" };

struct gpio_gpiod {
	struct gpio gpio;	/* first, so a struct gpio * is a struct gpio_gpiod * */
	struct gpiod_chip *chip;
	bool present[LINES];
#ifdef ROLLSENSE_GPIOD_V2
	struct gpiod_line_request *request;
	unsigned offset[LINES];
#else
	struct gpiod_line *line[LINES];
#endif
};

#ifdef ROLLSENSE_GPIOD_V2

/* v2 opens chips by path only: a name is a file in /dev, a label needs a scan
 * of every chip's info. */
static struct gpiod_chip *chip_open(const char *want)
{
	char path[CONFIG_PATH_MAX + 8];
	struct gpiod_chip *chip;
	struct dirent *de;
	DIR *dev;

	if (want[0] == '/')
		return gpiod_chip_open(want);
	snprintf(path, sizeof(path), "/dev/%s", want);
	chip = gpiod_chip_open(path);
	if (chip || errno != ENOENT)
		return chip;
	dev = opendir("/dev");
	if (!dev)
		return NULL;
	while ((de = readdir(dev)) != NULL) {
		struct gpiod_chip_info *info;
		bool match;

		if (strncmp(de->d_name, "gpiochip", 8) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		chip = gpiod_chip_open(path);
		if (!chip)
			continue;
		info = gpiod_chip_get_info(chip);
		match = info && strcmp(gpiod_chip_info_get_label(info), want) == 0;
		if (info)
			gpiod_chip_info_free(info);
		if (match) {
			closedir(dev);
			return chip;
		}
		gpiod_chip_close(chip);
	}
	closedir(dev);
	errno = ENOENT;
	return NULL;
}

static int line_find(struct gpio_gpiod *gg, int i, const struct gpio_line_cfg *l)
{
	int offset = l->offset;

	if (l->name[0]) {
		offset = gpiod_chip_get_line_offset_from_name(gg->chip, l->name);
		if (offset < 0)
			return errno ? -errno : -ENOENT;
	}
	gg->offset[i] = (unsigned)offset;
	return 0;
}

/* One request for every configured line, each with its own settings. */
static int lines_request(struct gpio_gpiod *gg, const bool active_low[LINES], char *err,
			 size_t err_len)
{
	struct gpiod_request_config *req_cfg = NULL;
	struct gpiod_line_config *line_cfg;
	struct gpiod_line_settings *s;
	int rc = 0;

	snprintf(err, err_len, "sensord.feedback: out of memory");
	line_cfg = gpiod_line_config_new();
	if (!line_cfg)
		return -ENOMEM;
	for (int i = 0; i < LINES; i++) {
		if (!gg->present[i])
			continue;
		s = gpiod_line_settings_new();
		if (!s) {
			rc = -ENOMEM;	/* err says so */
			goto out_free_line_cfg;
		}
		gpiod_line_settings_set_active_low(s, active_low[i]);
		if (i == LINE_BUTTON) {
			if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT) < 0 ||
			    gpiod_line_settings_set_bias(s, active_low[i] ? GPIOD_LINE_BIAS_PULL_UP
								: GPIOD_LINE_BIAS_PULL_DOWN) < 0)
				rc = -EINVAL;
		} else if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
			   gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_INACTIVE) < 0) {
			rc = -EINVAL;
		}
		/* The config keeps a copy of the settings. */
		if (rc == 0 && gpiod_line_config_add_line_settings(line_cfg, &gg->offset[i], 1, s) < 0)
			rc = errno ? -errno : -EINVAL;
		gpiod_line_settings_free(s);
		if (rc < 0) {
			snprintf(err, err_len, "sensord.feedback.%s: line %u: %s", line_keys[i],
				 gg->offset[i], strerror(-rc));
			goto out_free_line_cfg;
		}
	}
	req_cfg = gpiod_request_config_new();
	if (!req_cfg) {
		rc = -ENOMEM;
		goto out_free_line_cfg;
	}
	gpiod_request_config_set_consumer(req_cfg, GPIO_CONSUMER);
	gg->request = gpiod_chip_request_lines(gg->chip, req_cfg, line_cfg);
	if (!gg->request) {
		rc = errno ? -errno : -EIO;
		snprintf(err, err_len, "sensord.feedback: requesting lines on %s: %s%s",
			 gg->gpio.name, strerror(-rc),
			 rc == -EBUSY ? " (another program holds a line)" : "");
	}
	gpiod_request_config_free(req_cfg);
out_free_line_cfg:
	gpiod_line_config_free(line_cfg);
	return rc;
}

static int line_set(struct gpio_gpiod *gg, int i, bool on)
{
	if (gpiod_line_request_set_value(gg->request, gg->offset[i],
					 on ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static int line_get(struct gpio_gpiod *gg, int i)
{
	enum gpiod_line_value v = gpiod_line_request_get_value(gg->request, gg->offset[i]);

	if (v == GPIOD_LINE_VALUE_ERROR)
		return errno ? -errno : -EIO;
	return v == GPIOD_LINE_VALUE_ACTIVE;
}

static void lines_release(struct gpio_gpiod *gg)
{
	if (gg->request)
		gpiod_line_request_release(gg->request);
}

#else /* libgpiod v1 */

/* v1 finds a chip by path, name, number or label in one call. */
static struct gpiod_chip *chip_open(const char *want)
{
	return gpiod_chip_open_lookup(want);
}

static int line_find(struct gpio_gpiod *gg, int i, const struct gpio_line_cfg *l)
{
	if (l->name[0])
		gg->line[i] = gpiod_chip_find_line(gg->chip, l->name);
	else
		gg->line[i] = gpiod_chip_get_line(gg->chip, (unsigned)l->offset);
	if (!gg->line[i])
		return errno ? -errno : -ENOENT;
	return 0;
}

/* Reads the pending edges (poll found some): their levels are read anew. */
static int button_drain(struct gpio *g)
{
	struct gpio_gpiod *gg = (struct gpio_gpiod *)g;
	struct gpiod_line_event ev[16];

	if (gpiod_line_event_read_multiple(gg->line[LINE_BUTTON], ev, 16) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static int lines_request(struct gpio_gpiod *gg, const bool active_low[LINES], char *err,
			 size_t err_len)
{
	for (int i = 0; i < LINES; i++) {
		int flags, rc;

		if (!gg->present[i])
			continue;
		flags = active_low[i] ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
		if (i == LINE_BUTTON) {
			flags |= active_low[i] ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP
					       : GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
			/* An input with edge events: its fd wakes the loop at a
			 * change (gpio.h), and its level still reads with one
			 * ioctl. A chip without edge detection gets a plain
			 * input, polled all the time. */
			rc = gpiod_line_request_both_edges_events_flags(gg->line[i], GPIO_CONSUMER, flags);
			if (rc == 0) {
				gg->gpio.button_fd = gpiod_line_event_get_fd(gg->line[i]);
				gg->gpio.button_drain = button_drain;
			} else {
				rc = gpiod_line_request_input_flags(gg->line[i], GPIO_CONSUMER, flags);
			}
		} else {
			rc = gpiod_line_request_output_flags(gg->line[i], GPIO_CONSUMER, flags, 0);
		}
		if (rc < 0) {
			rc = errno ? -errno : -EIO;
			snprintf(err, err_len, "sensord.feedback.%s: line %u on %s: %s%s", line_keys[i],
				 gpiod_line_offset(gg->line[i]), gg->gpio.name, strerror(-rc),
				 rc == -EBUSY ? " (another program holds it)" : "");
			return rc;
		}
	}
	return 0;
}

static int line_set(struct gpio_gpiod *gg, int i, bool on)
{
	if (gpiod_line_set_value(gg->line[i], on ? 1 : 0) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static int line_get(struct gpio_gpiod *gg, int i)
{
	int v = gpiod_line_get_value(gg->line[i]);

	if (v < 0)
		return errno ? -errno : -EIO;
	return v == 1;
}

/* Nothing to do: closing the chip releases its lines. */
static void lines_release(struct gpio_gpiod *gg)
{
	(void)gg;
}

#endif

static int gpio_gpiod_set(struct gpio *g, enum gpio_output which, bool on)
{
	struct gpio_gpiod *gg = (struct gpio_gpiod *)g;
	int i = which == GPIO_OUTPUT_LED ? LINE_LED : LINE_BUZZER;

	if (which != GPIO_OUTPUT_LED && which != GPIO_OUTPUT_BUZZER)
		return -EINVAL;
	return gg->present[i] ? line_set(gg, i, on) : 0;
}

static int gpio_gpiod_button(struct gpio *g)
{
	struct gpio_gpiod *gg = (struct gpio_gpiod *)g;

	return gg->present[LINE_BUTTON] ? line_get(gg, LINE_BUTTON) : 0;
}

static void gpio_gpiod_close(struct gpio *g)
{
	struct gpio_gpiod *gg = (struct gpio_gpiod *)g;

	if (!g)
		return;
	/* A buzzer left sounding after the daemon exits would be the worst
	 * failure this file could have. */
	gpio_gpiod_set(g, GPIO_OUTPUT_LED, false);
	gpio_gpiod_set(g, GPIO_OUTPUT_BUZZER, false);
	lines_release(gg);
	gpiod_chip_close(gg->chip);
	free(gg);
}

struct gpio *gpio_gpiod_open(const struct feedback_cfg *cfg, char *err, size_t err_len)
{
	const struct gpio_line_cfg *lines[LINES] = { &cfg->led, &cfg->buzzer, &cfg->button };
	const bool active_low[LINES] = { cfg->led_active_low, cfg->buzzer_active_low,
					 cfg->button_active_low };
	struct gpio_gpiod *gg;
	char label[48];
	int rc;

	gg = calloc(1, sizeof(*gg));
	if (!gg) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	gg->gpio.set = gpio_gpiod_set;
	gg->gpio.button = gpio_gpiod_button;
	gg->gpio.close = gpio_gpiod_close;
	gg->gpio.button_fd = -1;	/* v1 sets it when the button has edge events */
	snprintf(gg->gpio.name, sizeof(gg->gpio.name), "%.63s", cfg->chip);
	errno = 0;
	gg->chip = chip_open(cfg->chip);
	if (!gg->chip) {
		rc = errno ? -errno : -ENOENT;
		snprintf(err, err_len, "sensord.feedback.chip: \"%s\": %s%s", cfg->chip, strerror(-rc),
			 rc == -ENOENT ? " (no GPIO chip by that path, name or label; see gpiodetect)" :
			 rc == -EACCES ? " (is the user in the gpio group?)" : "");
		goto err_free;
	}
	for (int i = 0; i < LINES; i++) {
		gg->present[i] = gpio_line_configured(lines[i]);
		if (!gg->present[i])
			continue;
		errno = 0;
		rc = line_find(gg, i, lines[i]);
		if (rc < 0) {
			/* "GPIO17" or 17 */
			if (lines[i]->name[0])
				snprintf(label, sizeof(label), "\"%s\"", lines[i]->name);
			else
				snprintf(label, sizeof(label), "%d", lines[i]->offset);
			snprintf(err, err_len, "sensord.feedback.%s: line %s on %s: %s", line_keys[i],
				 label, cfg->chip, rc == -ENOENT ? "no such line (see gpioinfo)" : strerror(-rc));
			goto err_close_chip;
		}
	}
	gg->gpio.has_button = gg->present[LINE_BUTTON];
	rc = lines_request(gg, active_low, err, err_len);
	if (rc < 0)
		goto err_release;
	return &gg->gpio;

err_release:
	lines_release(gg);
err_close_chip:
	gpiod_chip_close(gg->chip);
err_free:
	free(gg);
	errno = -rc;
	return NULL;
}
