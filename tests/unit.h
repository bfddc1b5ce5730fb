/* What the unit tests share: a double comparison, JSON lookups that fail the
 * test, temporary folders, files written with a chosen mode, children that
 * crash on purpose, one scriptable I²C bus (a register file with hooks) and
 * the simulated bus over scenario text. Include it after
 * <cmocka.h>. Every helper here fails the running test on an error of its
 * own, so a test reads as the steps it takes. */
#ifndef ROLLSENSE_UNIT_H
#define ROLLSENSE_UNIT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bus.h"
#include "sensor.h"

/* cmocka's assert_float_equal works in float, too coarse for microvolts and
 * pascals. A NaN never passes. */
#define assert_near(got, want, tol)                                                        \
	do {                                                                               \
		double got_ = (got), want_ = (want);                                       \
		if (!(fabs(got_ - want_) <= (tol)))                                        \
			fail_msg("%s = %.10g, want %.10g +- %g", #got, got_, want_,        \
				 (double)(tol));                                           \
	} while (0)

/* ---- JSON ---- */

struct cJSON;

/* The member at path under obj ("cmps.pressure": a dot steps into an
 * object) as an object, a string or a number; fails the test, naming path,
 * when it is absent or of another type. obj may be NULL. */
const struct cJSON *json_obj(const struct cJSON *obj, const char *path);
const char *json_str(const struct cJSON *obj, const char *path);
double json_num(const struct cJSON *obj, const char *path);
/* Asserts obj's string members: the arguments are pairs of a path (as
 * json_str takes it) and the text expected there, ended by NULL. */
void expect_json_strs(const struct cJSON *obj, ...) __attribute__((sentinel));

/* ---- temporary folders and files ---- */

/* Makes /tmp/rollsense-<tag>-XXXXXX. Returns a malloc'd path the caller
 * passes to unit_rmtree; NULL (errno set) if it cannot. */
char *unit_tmpdir(const char *tag);
/* Removes dir and everything below it (nftw, links not followed). Only paths
 * under /tmp/rollsense- are touched. With KEEP_TMP set in the environment
 * the folder stays and its path is printed on stderr. */
void unit_remove_tree(const char *dir);
/* unit_remove_tree, then frees dir (from unit_tmpdir). */
void unit_rmtree(char *dir);
/* For cmocka's setup: a calloc'd fixture of size bytes whose first member,
 * a char *, holds a fresh unit_tmpdir(tag). NULL if either failed.
 * unit_fixture_teardown, a cmocka teardown, removes the folder and frees
 * the fixture in *state. */
void *unit_fixture_new(size_t size, const char *tag);
int unit_fixture_teardown(void **state);
/* The fixture of a test that needs a fresh folder and one path in it. */
struct unit_dir {
	char *dir;
	char path[128];		/* dir/name */
};
/* *state becomes a unit_fixture_new struct unit_dir for tag and name; -1 if
 * it cannot be made. */
int unit_dir_setup(void **state, const char *tag, const char *name);
/* Writes content to path and gives it mode with chmod (the umask does not
 * decide). Fails the test if it cannot. */
void unit_write_file(const char *path, const char *content, mode_t mode);

/* ---- processes ---- */

/* Runs child(arg) in a forked process that exits with what it returns: 0
 * when all went well, else a number naming the step that failed. Fails the
 * test unless it exited 0. For work that must end in a process dying
 * without cleaning up, or under limits the test must not keep. */
void unit_in_child(int (*child)(void *arg), void *arg);
/* Sets the limit on the size of files this process writes (a full card's
 * stand-in) to bytes, or back to the hard limit with 0; writing past it
 * fails with EFBIG instead of raising SIGXFSZ. 0, or -1 with errno set. */
int unit_file_size_limit(unsigned long bytes);

/* ---- a scriptable I²C bus with one chip ---- */

struct fake_bus;

/* Called after the register file filled buf (reads) or took the bytes
 * (writes); the return value is the transfer's: 0 or -errno. */
typedef int (*fake_read_hook)(struct fake_bus *fb, uint8_t reg, uint8_t *buf, size_t len);
typedef int (*fake_write_hook)(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len);

struct fake_write {
	uint8_t reg;
	uint16_t value;		/* the byte, or the 16-bit word for a 2-byte write */
	size_t len;
};

#define FAKE_BUS_MAX_WRITES 64

struct fake_bus {
	struct bus bus;		/* first: a driver's bus pointer is this */
	uint8_t addr;		/* the chip; another address gets -EREMOTEIO */
	bool other_addr_fails_test;	/* ... or fails the test instead */
	/* 1: byte registers read and written with auto-increment (BMP280);
	 * 2: 16-bit registers sent MSB first, a 1-byte transfer moving the low
	 * byte (ADS1115, MCP9808 with its 8-bit resolution register). */
	unsigned width;
	uint16_t regs[256];
	int read_errno;		/* not 0: every read fails with -read_errno */
	int write_errno;	/* not 0: every write fails with -write_errno */
	fake_read_hook on_read;
	fake_write_hook on_write;
	unsigned waited_us;	/* the sum of all delay_us calls */
	int n_writes;		/* every write, failed ones included */
	struct fake_write writes[FAKE_BUS_MAX_WRITES];
};

/* A chip at addr with all registers 0, no hooks, named "fake". */
void fake_bus_init(struct fake_bus *fb, uint8_t addr, unsigned width);
/* Sets n byte registers from reg on (a byte-wide chip's NVM, say). */
void fake_bus_set_bytes(struct fake_bus *fb, uint8_t reg, const uint8_t *bytes, size_t n);
/* The last write to reg, or NULL if there was none. */
const struct fake_write *fake_bus_last_write(const struct fake_bus *fb, uint8_t reg);
/* How many writes went to reg. */
int fake_bus_writes_to(const struct fake_bus *fb, uint8_t reg);

/* A sensor's configuration for a chip test: driver on the "sim" bus at
 * address, its options area holding size bytes of options (the chip's
 * options struct), zero beyond. */
struct sensor_cfg unit_sensor_cfg(const char *driver, uint8_t address, const void *options,
				  size_t size);

/* The 16-bit register reg (MSB first) of the chip at addr, read through bus;
 * a bus error fails the test. */
uint16_t unit_reg16(struct bus *bus, uint8_t addr, uint8_t reg);

/* Points s at drv on bus, address addr, with cfg and a zeroed priv the
 * caller frees (free(s->priv)). */
void unit_sensor_setup(struct sensor *s, const struct sensor_driver *drv, struct bus *bus,
		       uint8_t addr, const struct sensor_cfg *cfg);

/* ---- the simulated bus over a scenario ---- */

/* The simulated chips of a scenario on a bus whose clock is now_s: the test
 * sets the time, the bus reads it at every transfer. */
struct sim_rig {
	struct bus *bus;
	double now_s;
};

/* Parses scenario text and opens the bus on it. Fails the test if the text
 * does not parse (the parser's message is shown). */
void sim_rig_open(struct sim_rig *rig, const char *text);
void sim_rig_close(struct sim_rig *rig);

/* The chip of s on rig, whose scenario nacks it at nack_s and takes it off
 * the bus at absent_s: init succeeds at 1 s; at nack_s read and init fail
 * with -EREMOTEIO, at absent_s read does. The test then checks recovery. */
void sim_rig_chip_faults(struct sim_rig *rig, struct sensor *s, double nack_s, double absent_s);

/* For cmocka's setup/teardown: *state becomes a calloc'd rig over text. */
int sim_rig_setup(void **state, const char *text);
int sim_rig_teardown(void **state);

/* The next number of a deterministic generator (splitmix64) whose state is
 * *state: random test inputs that are the same in every run. */
uint64_t unit_splitmix(uint64_t *state);

#endif
