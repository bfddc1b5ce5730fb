#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "sim/sim.h"

#define TMP_PREFIX "/tmp/rollsense-"

static const cJSON *json_at(const cJSON *obj, const char *path)
{
	const char *dot;
	char key[128];

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		path = dot + 1;
	}
	return cJSON_GetObjectItemCaseSensitive(obj, path);
}

const cJSON *json_obj(const cJSON *obj, const char *path)
{
	const cJSON *v = json_at(obj, path);

	if (!cJSON_IsObject(v))
		fail_msg("\"%s\" is not an object", path);
	return v;
}

const char *json_str(const cJSON *obj, const char *path)
{
	const cJSON *v = json_at(obj, path);

	if (!cJSON_IsString(v))
		fail_msg("\"%s\" is not a string", path);
	return v->valuestring;
}

void expect_json_strs(const cJSON *obj, ...)
{
	const char *path;
	va_list ap;

	va_start(ap, obj);
	while ((path = va_arg(ap, const char *)) != NULL) {
		const char *want = va_arg(ap, const char *);
		const char *got = json_str(obj, path);

		if (strcmp(got, want) != 0)
			fail_msg("\"%s\" is \"%s\", expected \"%s\"", path, got, want);
	}
	va_end(ap);
}

double json_num(const cJSON *obj, const char *path)
{
	const cJSON *v = json_at(obj, path);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is not a number", path);
	return v->valuedouble;
}

char *unit_tmpdir(const char *tag)
{
	size_t size = strlen(TMP_PREFIX) + strlen(tag) + sizeof("-XXXXXX");
	char *dir = malloc(size);

	if (!dir)
		return NULL;
	snprintf(dir, size, TMP_PREFIX "%s-XXXXXX", tag);
	if (!mkdtemp(dir)) {
		int saved = errno;

		free(dir);
		errno = saved;
		return NULL;
	}
	return dir;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void unit_remove_tree(const char *dir)
{
	if (!dir)
		return;
	if (getenv("KEEP_TMP"))
		fprintf(stderr, "KEEP_TMP: kept %s\n", dir);
	else if (strncmp(dir, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)	/* never anything else */
		nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

void unit_rmtree(char *dir)
{
	unit_remove_tree(dir);
	free(dir);
}

void *unit_fixture_new(size_t size, const char *tag)
{
	char **dir = calloc(1, size < sizeof(*dir) ? sizeof(*dir) : size);

	if (!dir)
		return NULL;
	*dir = unit_tmpdir(tag);
	if (!*dir) {
		free(dir);
		return NULL;
	}
	return dir;
}

int unit_fixture_teardown(void **state)
{
	char **dir = *state;

	unit_rmtree(*dir);
	free(dir);
	return 0;
}

int unit_dir_setup(void **state, const char *tag, const char *name)
{
	struct unit_dir *d = unit_fixture_new(sizeof(*d), tag);

	*state = d;
	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, name);
	return 0;
}

void unit_write_file(const char *path, const char *content, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* ---- processes ---- */

void unit_in_child(int (*child)(void *arg), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the child failed: wait status 0x%x (exit code %d)", (unsigned)status,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int unit_file_size_limit(unsigned long bytes)
{
	struct rlimit lim;

	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &lim) != 0)
		return -1;
	lim.rlim_cur = bytes ? (rlim_t)bytes : lim.rlim_max;
	return setrlimit(RLIMIT_FSIZE, &lim);
}

/* ---- the fake bus ---- */

static bool fake_addr_ok(const struct fake_bus *fb, uint8_t addr)
{
	if (addr == fb->addr)
		return true;
	if (fb->other_addr_fails_test)
		fail_msg("transfer to 0x%02x, the chip is at 0x%02x", addr, fb->addr);
	return false;
}

static int fake_read(struct bus *bus, uint8_t addr, uint8_t reg, uint8_t *buf, size_t len)
{
	struct fake_bus *fb = (struct fake_bus *)bus;

	if (!fake_addr_ok(fb, addr))
		return -EREMOTEIO;
	if (fb->read_errno)
		return -fb->read_errno;
	if (fb->width == 1) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)fb->regs[(reg + i) & 0xFF];
	} else if (len == 2) {
		buf[0] = (uint8_t)(fb->regs[reg] >> 8);
		buf[1] = (uint8_t)fb->regs[reg];
	} else if (len == 1) {
		buf[0] = (uint8_t)fb->regs[reg];
	} else {
		fail_msg("read of %zu bytes from a 16-bit register 0x%02x", len, reg);
	}
	return fb->on_read ? fb->on_read(fb, reg, buf, len) : 0;
}

static int fake_write(struct bus *bus, uint8_t addr, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct fake_bus *fb = (struct fake_bus *)bus;
	struct fake_write *w;

	if (!fake_addr_ok(fb, addr))
		return -EREMOTEIO;
	assert_true(fb->n_writes < FAKE_BUS_MAX_WRITES);
	w = &fb->writes[fb->n_writes++];
	w->reg = reg;
	w->len = len;
	w->value = len == 2 ? (uint16_t)((buf[0] << 8) | buf[1]) : len ? buf[0] : 0;
	if (fb->write_errno)
		return -fb->write_errno;
	if (fb->width == 1) {
		for (size_t i = 0; i < len; i++)
			fb->regs[(reg + i) & 0xFF] = buf[i];
	} else if (len == 1 || len == 2) {
		fb->regs[reg] = w->value;
	} else if (len != 0) {
		fail_msg("write of %zu bytes to a 16-bit register 0x%02x", len, reg);
	}
	return fb->on_write ? fb->on_write(fb, reg, buf, len) : 0;
}

static void fake_delay_us(struct bus *bus, unsigned us)
{
	((struct fake_bus *)bus)->waited_us += us;
}

void fake_bus_init(struct fake_bus *fb, uint8_t addr, unsigned width)
{
	memset(fb, 0, sizeof(*fb));
	fb->bus.read = fake_read;
	fb->bus.write = fake_write;
	fb->bus.delay_us = fake_delay_us;
	snprintf(fb->bus.name, sizeof(fb->bus.name), "fake");
	fb->addr = addr;
	fb->width = width;
}

void fake_bus_set_bytes(struct fake_bus *fb, uint8_t reg, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fb->regs[(reg + i) & 0xFF] = bytes[i];
}

const struct fake_write *fake_bus_last_write(const struct fake_bus *fb, uint8_t reg)
{
	for (int i = fb->n_writes - 1; i >= 0; i--)
		if (fb->writes[i].reg == reg)
			return &fb->writes[i];
	return NULL;
}

int fake_bus_writes_to(const struct fake_bus *fb, uint8_t reg)
{
	int n = 0;

	for (int i = 0; i < fb->n_writes; i++)
		n += fb->writes[i].reg == reg;
	return n;
}

struct sensor_cfg unit_sensor_cfg(const char *driver, uint8_t address, const void *options,
				  size_t size)
{
	struct sensor_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	assert_true(strlen(driver) < sizeof(cfg.driver) && size <= sizeof(cfg.options));
	strcpy(cfg.driver, driver);
	strcpy(cfg.bus, "sim");
	cfg.address = address;
	memcpy(cfg.options, options, size);
	return cfg;
}

uint16_t unit_reg16(struct bus *bus, uint8_t addr, uint8_t reg)
{
	uint8_t buf[2];

	assert_int_equal(bus->read(bus, addr, reg, buf, 2), 0);
	return (uint16_t)((buf[0] << 8) | buf[1]);
}

void unit_sensor_setup(struct sensor *s, const struct sensor_driver *drv, struct bus *bus,
		       uint8_t addr, const struct sensor_cfg *cfg)
{
	s->drv = drv;
	s->bus = bus;
	s->address = addr;
	s->cfg = cfg;
	s->priv = calloc(1, drv->priv_size ? drv->priv_size : 1);
	assert_non_null(s->priv);
}

/* ---- the simulated bus ---- */

static double rig_clock_s(void *ctx)
{
	return *(const double *)ctx;
}

void sim_rig_open(struct sim_rig *rig, const char *text)
{
	char err[256] = "";
	struct sim_scenario *scn = sim_scenario_parse(text, strlen(text), "test", err, sizeof(err));

	if (!scn)
		fail_msg("scenario: %s", err);
	rig->now_s = 0;
	rig->bus = sim_bus_open(scn, rig_clock_s, &rig->now_s);
	assert_non_null(rig->bus);
}

void sim_rig_close(struct sim_rig *rig)
{
	if (rig->bus)
		rig->bus->close(rig->bus);
	rig->bus = NULL;
}

void sim_rig_chip_faults(struct sim_rig *rig, struct sensor *s, double nack_s, double absent_s)
{
	struct sensor_values v;

	rig->now_s = 1;
	assert_int_equal(s->drv->init(s), 0);
	rig->now_s = nack_s;
	assert_int_equal(s->drv->read(s, &v), -EREMOTEIO);
	assert_int_equal(s->drv->init(s), -EREMOTEIO);
	rig->now_s = absent_s;
	assert_int_equal(s->drv->read(s, &v), -EREMOTEIO);
}

int sim_rig_setup(void **state, const char *text)
{
	struct sim_rig *rig = calloc(1, sizeof(*rig));

	if (!rig)
		return -1;
	sim_rig_open(rig, text);
	*state = rig;
	return 0;
}

int sim_rig_teardown(void **state)
{
	struct sim_rig *rig = *state;

	sim_rig_close(rig);
	free(rig);
	return 0;
}

uint64_t unit_splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
