/* The tool's feedback lines: an LED, a buzzer and a button on a GPIO chip.
 * Two sides behind one table, as with the bus: the real chip through
 * libgpiod (gpio_gpiod.c, the only file that includes gpiod.h, built against
 * libgpiod v1 or v2) and a simulated chip made of files (gpio_sim.c), so the
 * integration tests press the button and watch the LED through the real
 * daemon. Which lines exist is the configuration's business: a line that is
 * not configured is simply absent, and calls on it do nothing.
 *
 * Levels are logical throughout: "on" lights the LED, sounds the buzzer;
 * "pressed" is the button held down. Active-low wiring (the usual button to
 * GND with the pull-up on) is handled inside, from the *_active_low settings.
 *
 * The daemon polls the button every few milliseconds while a press may be
 * under way, which keeps the debounce logic pure (feedback.h). While the
 * button rests, a side that can tell of changes (button_fd: edge events on
 * libgpiod v1, inotify on the simulated side) lets it sleep until one comes,
 * instead of 100 wake-ups a second; without one it polls all the time.
 *
 * Every call returns 0 (or a level) or -errno, passed up unchanged. */
#ifndef ROLLSENSE_GPIO_H
#define ROLLSENSE_GPIO_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum gpio_output {
	GPIO_OUTPUT_LED = 0,
	GPIO_OUTPUT_BUZZER,
};

struct gpio {
	/* Drives an output to its logical level. 0, or -errno. */
	int (*set)(struct gpio *g, enum gpio_output which, bool on);
	/* The button's logical level: 1 pressed, 0 released, or -errno. */
	int (*button)(struct gpio *g);
	/* Turns the outputs off and releases everything; g is invalid after. */
	void (*close)(struct gpio *g);
	/* Readable when the button may have changed since the last
	 * button_drain; -1: no such fd, poll the button all the time. */
	int button_fd;
	/* Empties button_fd once poll(2) found it readable. 0, or -errno. */
	int (*button_drain)(struct gpio *g);
	bool has_button;	/* the loop polls only a configured button */
	char name[64];		/* "gpiochip0", or "sim" */
};

/* Opens the chip named by cfg->chip ("sim": the simulated side in
 * <state_dir>/gpio-sim/; otherwise libgpiod) and requests the configured
 * lines, outputs off. NULL with errno set and a one-line reason in err (the
 * chip or the line that failed) on failure. cfg->chip must not be empty. */
struct gpio *gpio_open(const struct feedback_cfg *cfg, const char *state_dir, char *err,
		       size_t err_len);

/* The two sides; gpio_open picks one. Same contract. */
struct gpio *gpio_gpiod_open(const struct feedback_cfg *cfg, char *err, size_t err_len);
/* The simulated chip: files in dir (created if missing):
 *   button      the test writes "1" (pressed) or "0"; absent or empty: released.
 *               Watched with inotify: a change counts when the writer closes
 *               the file, renames over it or deletes it.
 *   led.log     the daemon appends "<mono seconds> <0|1>\n" at each change,
 *   buzzer.log  the time from clock_mono_s(), so a test reads the pattern
 *               with its timing on the run's timeline.
 * Both logs start with a "<mono> 0" line at open. Active-low settings do
 * not apply: the files hold logical levels. */
struct gpio *gpio_sim_open(const struct feedback_cfg *cfg, const char *dir, char *err,
			   size_t err_len);

#endif
