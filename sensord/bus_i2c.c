/* The real bus: /dev/i2c-N through the kernel's i2c-dev and libi2c. The only
 * file that includes libi2c.
 *
 * Reads are one combined transfer (I2C_RDWR: write the register pointer, a
 * repeated start, then read), because the Pi's bcm2835 adapter has no SMBus
 * block read and the BMx280 only keeps a burst's data consistent inside one
 * transfer (docs/chips.md). Adapters without I2C_RDWR (SMBus-only, such as stock
 * i2c-stub) fall back to the SMBus "I2C block read", which sends the same
 * bytes on the wire. A single byte is an SMBus byte-data read. Writes are
 * SMBus byte / byte-data / I2C block writes: always one transfer. */
#include "bus.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <i2c/smbus.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>

struct bus_i2c {
	struct bus bus;		/* first: a struct bus * is a struct bus_i2c * */
	int fd;
	int slave;		/* address last set with I2C_SLAVE, -1 none */
	unsigned long funcs;
};

static int select_slave(struct bus_i2c *b, uint8_t addr)
{
	if (b->slave == addr)
		return 0;
	if (ioctl(b->fd, I2C_SLAVE, (unsigned long)addr) < 0)
		return -errno;
	b->slave = addr;
	return 0;
}

static int i2c_read(struct bus *bus, uint8_t addr, uint8_t reg, uint8_t *buf, size_t len)
{
	struct bus_i2c *b = (struct bus_i2c *)bus;
	int rc;

	if (len < 1 || len > I2C_SMBUS_BLOCK_MAX)
		return -EINVAL;
	if (b->funcs & I2C_FUNC_I2C) {
		struct i2c_msg msgs[2] = {
			{ .addr = addr, .flags = 0, .len = 1, .buf = &reg },
			{ .addr = addr, .flags = I2C_M_RD, .len = (uint16_t)len, .buf = buf },
		};
		struct i2c_rdwr_ioctl_data xfer = { .msgs = msgs, .nmsgs = 2 };

		return ioctl(b->fd, I2C_RDWR, &xfer) < 0 ? -errno : 0;
	}
	rc = select_slave(b, addr);
	if (rc < 0)
		return rc;
	if (len == 1) {
		rc = i2c_smbus_read_byte_data(b->fd, reg);
		if (rc < 0)
			return rc;	/* libi2c returns -errno */
		buf[0] = (uint8_t)rc;
		return 0;
	}
	rc = i2c_smbus_read_i2c_block_data(b->fd, reg, (uint8_t)len, buf);
	if (rc < 0)
		return rc;
	return (size_t)rc == len ? 0 : -EIO;
}

static int i2c_write(struct bus *bus, uint8_t addr, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct bus_i2c *b = (struct bus_i2c *)bus;
	int rc;

	if (len > I2C_SMBUS_BLOCK_MAX)
		return -EINVAL;
	rc = select_slave(b, addr);
	if (rc < 0)
		return rc;
	if (len == 0)
		rc = i2c_smbus_write_byte(b->fd, reg);
	else if (len == 1)
		rc = i2c_smbus_write_byte_data(b->fd, reg, buf[0]);
	else
		rc = i2c_smbus_write_i2c_block_data(b->fd, reg, (uint8_t)len, buf);
	return rc < 0 ? rc : 0;
}

static void i2c_delay_us(struct bus *bus, unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	(void)bus;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void i2c_close(struct bus *bus)
{
	struct bus_i2c *b = (struct bus_i2c *)bus;

	close(b->fd);
	free(b);
}

struct bus *bus_i2c_open(const char *path)
{
	struct bus_i2c *b;
	int saved;

	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || ioctl(b->fd, I2C_FUNCS, &b->funcs) < 0)
		goto err;
	if (!(b->funcs & (I2C_FUNC_I2C | I2C_FUNC_SMBUS_READ_I2C_BLOCK))) {
		errno = EOPNOTSUPP;
		goto err;
	}
	b->slave = -1;
	b->bus.read = i2c_read;
	b->bus.write = i2c_write;
	b->bus.delay_us = i2c_delay_us;
	b->bus.close = i2c_close;
	snprintf(b->bus.name, sizeof(b->bus.name), "%s", path);
	return &b->bus;

err:
	saved = errno;
	if (b->fd >= 0)
		close(b->fd);
	free(b);
	errno = saved;
	return NULL;
}
