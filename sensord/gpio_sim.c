/* The simulated GPIO chip (gpio.h says what its files hold).
 *
 * The button file is opened afresh at each read rather than kept open: a
 * test may rewrite it any way it likes (truncate and write, or rename over
 * it). A read that lands between a truncate and the write sees an empty
 * file, released, for one poll: shorter than any debounce, so harmless. */
#include "gpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

struct gpio_sim {
	struct gpio gpio;	/* first, so a struct gpio * is a struct gpio_sim * */
	char button_path[CONFIG_PATH_MAX + 32];
	int log_fd[2];		/* per enum gpio_output; -1 when the line is absent */
	int level[2];		/* last level logged */
};

static int gpio_sim_set(struct gpio *g, enum gpio_output which, bool on)
{
	struct gpio_sim *gs = (struct gpio_sim *)g;
	char line[64];
	ssize_t n;
	int len;

	if (which != GPIO_OUTPUT_LED && which != GPIO_OUTPUT_BUZZER)
		return -EINVAL;
	if (gs->log_fd[which] < 0 || gs->level[which] == (int)on)
		return 0;
	len = snprintf(line, sizeof(line), "%.3f %d\n", clock_mono_s(), on ? 1 : 0);
	/* One write per line with O_APPEND: a reader never sees half a line
	 * mixed with another. */
	n = write(gs->log_fd[which], line, (size_t)len);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)len)
		return -EIO;
	gs->level[which] = on;
	return 0;
}

static int gpio_sim_button(struct gpio *g)
{
	struct gpio_sim *gs = (struct gpio_sim *)g;
	char c = '0';
	ssize_t n;
	int fd;

	if (!g->has_button)
		return 0;
	fd = open(gs->button_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, &c, 1);
	close(fd);
	if (n < 0)
		return -EIO;
	return n == 1 && c == '1';
}

static int gpio_sim_button_drain(struct gpio *g)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	ssize_t n;

	while ((n = read(g->button_fd, buf, sizeof(buf))) > 0)
		;
	return n < 0 && errno != EAGAIN ? -errno : 0;
}

static void gpio_sim_close(struct gpio *g)
{
	struct gpio_sim *gs = (struct gpio_sim *)g;

	if (!g)
		return;
	if (g->button_fd >= 0)
		close(g->button_fd);
	for (int i = 0; i < 2; i++) {
		if (gs->log_fd[i] < 0)
			continue;
		gpio_sim_set(g, (enum gpio_output)i, false);
		close(gs->log_fd[i]);
	}
	free(gs);
}

static int gpio_sim_log_open(struct gpio_sim *gs, const char *dir, const char *file,
			     enum gpio_output which, char *err, size_t err_len)
{
	char path[CONFIG_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	gs->log_fd[which] = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (gs->log_fd[which] < 0) {
		int e = errno;

		snprintf(err, err_len, "%s: %s", path, strerror(e));
		return -e;
	}
	gs->level[which] = -1;	/* so the first set logs the starting level */
	return gpio_sim_set(&gs->gpio, which, false);
}

struct gpio *gpio_sim_open(const struct feedback_cfg *cfg, const char *dir, char *err,
			   size_t err_len)
{
	struct gpio_sim *gs;
	int rc = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, err_len, "%s: %s", dir, strerror(-rc));
		errno = -rc;
		return NULL;
	}
	gs = calloc(1, sizeof(*gs));
	if (!gs) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	gs->log_fd[0] = gs->log_fd[1] = -1;
	gs->gpio.set = gpio_sim_set;
	gs->gpio.button = gpio_sim_button;
	gs->gpio.button_drain = gpio_sim_button_drain;
	gs->gpio.close = gpio_sim_close;
	snprintf(gs->gpio.name, sizeof(gs->gpio.name), "sim");
	gs->gpio.has_button = gpio_line_configured(&cfg->button);
	snprintf(gs->button_path, sizeof(gs->button_path), "%s/button", dir);
	/* Not IN_MODIFY: the LED and buzzer logs we append to live here too.
	 * Without inotify the loop polls the button, as on libgpiod v2. */
	gs->gpio.button_fd = -1;
	if (gs->gpio.has_button) {
		gs->gpio.button_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (gs->gpio.button_fd >= 0 &&
		    inotify_add_watch(gs->gpio.button_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE) < 0) {
			close(gs->gpio.button_fd);
			gs->gpio.button_fd = -1;
		}
	}
	if (gpio_line_configured(&cfg->led) &&
	    (rc = gpio_sim_log_open(gs, dir, "led.log", GPIO_OUTPUT_LED, err, err_len)) < 0)
		goto err_close;
	if (gpio_line_configured(&cfg->buzzer) &&
	    (rc = gpio_sim_log_open(gs, dir, "buzzer.log", GPIO_OUTPUT_BUZZER, err, err_len)) < 0)
		goto err_close;
	return &gs->gpio;

err_close:
	gpio_sim_close(&gs->gpio);
	errno = -rc;
	return NULL;
}
