#include "sampler.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauge.h"
#include "gyro_zero.h"
#include "log.h"
#include "sim/sim.h"

/* Attempts of one transfer-level read within a sample, and the pause before
 * each retry: a NACK from a chip that is busy for a moment clears in a few
 * hundred microseconds, a disconnected one does not clear at all. */
#define READ_TRIES 3
static const unsigned retry_pause_us[READ_TRIES] = { 0, 500, 2000 };
/* Failed samples in a row before the chip is re-initialised, and the cap on
 * the delay between re-initialisations (keeps recovery within 1 s). */
#define FAILS_BEFORE_REINIT 3
#define REINIT_DELAY_MIN_S 0.1
#define REINIT_DELAY_MAX_S 0.5

#define MAX_BUSES CONFIG_MAX_SENSORS

struct chip {
	struct sensor sensor;
	struct gauge gauge;	/* for a chip that provides pressure */
	struct gyro_zero gyro;	/* for a chip that provides rotation */
	unsigned gyro_zeros_logged;
	bool need_init;
	unsigned fails;		/* failed samples in a row */
	double retry_at;	/* mono time of the next re-initialisation */
	double retry_delay_s;
	uint64_t last_raw;
	unsigned same_raw;
	bool was_failing;	/* for one log line per change */
	char fault[READING_FAULT_LEN];
	struct sampler_detail detail;
};

struct sampler {
	const struct sensord_cfg *cfg;
	struct bus *buses[MAX_BUSES];
	size_t n_buses;
	struct chip chips[CONFIG_MAX_SENSORS];
	size_t n_chips;
	bool has_rotation;	/* a chip provides rotation_dps */
	double sim_end_s;
	double now_s;		/* mono time of the sample being taken */
	struct sampler_stats stats;
};

/* The simulated chips live on the sample timeline, not on the real clock:
 * each transfer happens at the time of the sample being taken, so a loaded
 * machine that runs late changes nothing in what the chips report. */
static double sim_now(void *ctx)
{
	const struct sampler *s = ctx;

	return s->now_s;
}

static struct bus *bus_for(struct sampler *s, const char *path, char *err, size_t err_len)
{
	struct sim_scenario *scn;
	struct bus *b;

	for (size_t i = 0; i < s->n_buses; i++)
		if (strcmp(s->buses[i]->name, path) == 0)
			return s->buses[i];
	if (strcmp(path, "sim") == 0) {
		scn = sim_scenario_load(s->cfg->sim.scenario, err, err_len);
		if (!scn)
			return NULL;
		s->sim_end_s = sim_scenario_end_s(scn);
		b = sim_bus_open(scn, sim_now, s);
		if (!b) {
			snprintf(err, err_len, "simulated bus: %s", strerror(errno));
			return NULL;
		}
	} else {
		b = bus_i2c_open(path);
		if (!b) {
			int e = errno;

			snprintf(err, err_len, "%s: %s%s", path, strerror(e),
				 e == ENOENT ? " (is dtparam=i2c_arm=on set and i2c-dev loaded?)" :
				 e == EACCES ? " (is the user in the i2c group?)" : "");
			return NULL;
		}
	}
	s->buses[s->n_buses++] = b;
	return b;
}

/* A short, stable text for a fault: what a person reads in "faults". */
static const char *fault_text(int rc)
{
	switch (-rc) {
	case EREMOTEIO:
	case ENXIO:
		return "no answer (NACK)";
	case ETIMEDOUT:
		return "timeout";
	case ENODEV:
		return "wrong chip id";
	case EINVAL:
		return "unsupported setting";
	case EAGAIN:
		return "bus busy";
	default:
		return "bus error";
	}
}

static bool transient(int rc)
{
	return rc == -EREMOTEIO || rc == -EAGAIN || rc == -ETIMEDOUT || rc == -EIO || rc == -ENXIO;
}

struct sampler *sampler_new(const struct sensord_cfg *cfg, char *err, size_t err_len)
{
	struct sampler *s;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	for (size_t i = 0; i < cfg->n_sensors; i++) {
		const struct sensor_cfg *sc = &cfg->sensors[i];
		struct chip *c = &s->chips[s->n_chips];
		/* The configuration only holds registered drivers' names. */
		const struct sensor_driver *drv = sensor_driver_find(sc->driver);

		c->sensor.drv = drv;
		c->sensor.cfg = sc;
		c->sensor.address = sc->address;
		c->sensor.bus = bus_for(s, sc->bus, err, err_len);
		if (!c->sensor.bus)
			goto err_free;
		c->sensor.priv = calloc(1, drv->priv_size ? drv->priv_size : 1);
		if (!c->sensor.priv) {
			snprintf(err, err_len, "out of memory");
			goto err_free;
		}
		if (sc->provides & CONFIG_CHANNEL_PRESSURE)
			gauge_init(&c->gauge, &cfg->gauge, drv->pressure == SENSOR_PRESSURE_GAS);
		if (sc->provides & CONFIG_CHANNEL_ROTATION) {
			gyro_zero_init(&c->gyro);
			s->has_rotation = true;
		}
		c->need_init = true;
		c->retry_delay_s = REINIT_DELAY_MIN_S;
		c->detail.key = sc->key;
		s->n_chips++;
	}
	return s;

err_free:
	sampler_free(s);
	return NULL;
}

void sampler_free(struct sampler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_chips; i++)
		free(s->chips[i].sensor.priv);
	for (size_t i = 0; i < s->n_buses; i++)
		s->buses[i]->close(s->buses[i]);
	free(s);
}

/* A sample that gave no value: its fault text, counted, logged once per
 * failing stretch. */
static void chip_fault(struct sampler *s, struct chip *c, const char *what)
{
	snprintf(c->fault, sizeof(c->fault), "%s", what);
	s->stats.faults++;
	if (!c->was_failing) {
		log_warn("%s: %s", c->sensor.cfg->key, what);
		c->was_failing = true;
	}
}

/* One chip, one sample. Returns true with v filled when it gave values. */
static bool chip_sample(struct sampler *s, struct chip *c, double now, struct sensor_values *v)
{
	struct sensor *sn = &c->sensor;
	int rc;

	if (c->need_init) {
		if (now < c->retry_at) {
			s->stats.faults++;
			return false;	/* keeps the last fault text */
		}
		if (c->fails)
			s->stats.reinits++;
		rc = sn->drv->init(sn);
		if (rc < 0) {
			c->fails++;
			c->retry_at = now + c->retry_delay_s;
			c->retry_delay_s = fmin(c->retry_delay_s * 2, REINIT_DELAY_MAX_S);
			chip_fault(s, c, fault_text(rc));
			return false;
		}
		c->need_init = false;
	}
	for (int i = 0; i < READ_TRIES; i++) {
		if (retry_pause_us[i])
			sn->bus->delay_us(sn->bus, retry_pause_us[i]);
		rc = sn->drv->read(sn, v);
		if (rc == 0 || !transient(rc))
			break;
	}
	if (rc < 0) {
		if (++c->fails >= FAILS_BEFORE_REINIT && !c->need_init) {
			c->need_init = true;
			c->retry_at = now + c->retry_delay_s;
		}
		chip_fault(s, c, fault_text(rc));
		return false;
	}
	if (sn->drv->stuck_samples) {
		c->same_raw = v->raw == c->last_raw ? c->same_raw + 1 : 0;
		c->last_raw = v->raw;
		if (c->same_raw + 1 >= sn->drv->stuck_samples) {
			char what[READING_FAULT_LEN];

			/* Not re-initialised: a reset cannot be told from recovery
			 * while the values stay frozen; a changing value can. */
			snprintf(what, sizeof(what), "stuck (same raw value %u times)", c->same_raw + 1);
			chip_fault(s, c, what);
			return false;
		}
	}
	if (c->was_failing)
		log_info("%s: answering again", sn->cfg->key);
	c->was_failing = false;
	c->fails = 0;
	c->retry_delay_s = REINIT_DELAY_MIN_S;
	c->fault[0] = '\0';
	return true;
}

static void add_fault(struct reading *r, const struct chip *c)
{
	struct reading_fault *f;

	if (r->n_faults >= READING_MAX_FAULTS)
		return;
	f = &r->faults[r->n_faults++];
	snprintf(f->sensor, sizeof(f->sensor), "%.*s", (int)sizeof(f->sensor) - 1, c->sensor.cfg->key);
	snprintf(f->what, sizeof(f->what), "%s", c->fault);
}

/* rotation_dps from c's sample v, and a log line for each zero measured. */
static double rotation_update(struct chip *c, double mono_s, const struct sensor_values *v)
{
	double dps = gyro_zero_update(&c->gyro, mono_s, v->gyro_dps, v->accel_g);
	const double *o = c->gyro.offset_dps;

	if (c->gyro.measured != c->gyro_zeros_logged) {
		c->gyro_zeros_logged = c->gyro.measured;
		log_info("%s: gyro zero-rate offset %.2f, %.2f, %.2f deg/s (x, y, z)",
			 c->sensor.cfg->key, o[0], o[1], o[2]);
	}
	return dps;
}

void sampler_sample(struct sampler *s, double mono_s, struct reading *r)
{
	r->pressure_kpa = NAN;
	r->temperature_c = NAN;
	/* NAN stays when the gyroscope failed: null with its fault. */
	r->has_rotation = s->has_rotation;
	r->rotation_dps = NAN;
	r->n_faults = 0;
	s->now_s = mono_s;
	s->stats.samples++;
	for (size_t i = 0; i < s->n_chips; i++) {
		struct chip *c = &s->chips[i];
		const struct sensor_cfg *sc = c->sensor.cfg;
		struct sensor_values v;
		bool ok;

		sensor_values_clear(&v);
		ok = chip_sample(s, c, mono_s, &v);
		if (!ok)
			sensor_values_clear(&v);
		c->detail.values = v;
		c->detail.fault = ok ? NULL : c->fault;
		if (!ok) {
			add_fault(r, c);
			continue;
		}
		if (sc->provides & CONFIG_CHANNEL_PRESSURE) {
			const struct sensor *sn = &c->sensor;
			double kpa = sn->drv->pressure_kpa ? sn->drv->pressure_kpa(sn, &v) : NAN;

			r->pressure_kpa = gauge_update(&c->gauge, mono_s, kpa, v.temperature_c);
		}
		if (sc->provides & CONFIG_CHANNEL_TEMPERATURE)
			r->temperature_c = v.temperature_c;
		if (sc->provides & CONFIG_CHANNEL_ROTATION)
			r->rotation_dps = rotation_update(c, mono_s, &v);
	}
}

void sampler_tare(struct sampler *s)
{
	for (size_t i = 0; i < s->n_chips; i++) {
		if (s->chips[i].sensor.cfg->provides & CONFIG_CHANNEL_PRESSURE)
			gauge_tare(&s->chips[i].gauge);
		if (s->chips[i].sensor.cfg->provides & CONFIG_CHANNEL_ROTATION)
			gyro_zero_tare(&s->chips[i].gyro);
	}
}

size_t sampler_details(const struct sampler *s, struct sampler_detail *out, size_t max)
{
	for (size_t i = 0; i < s->n_chips && i < max; i++)
		out[i] = s->chips[i].detail;
	return s->n_chips;
}

double sampler_sim_end_s(const struct sampler *s)
{
	return s->sim_end_s;
}

void sampler_get_stats(const struct sampler *s, struct sampler_stats *st)
{
	*st = s->stats;
}
