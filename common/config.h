/* The configuration: one JSON file for both daemons (comments allowed), with a
 * section per daemon. Loading validates everything; an error names the file,
 * the key and what is wrong, as "FILE: KEY: what is wrong", and the daemons
 * exit with status 2 on it. The structs hold no pointers to the heap, so a
 * loaded config can be copied and swapped whole (reload on SIGHUP). Relative
 * paths in the file are resolved against the file's own folder. */
#ifndef ROLLSENSE_CONFIG_H
#define ROLLSENSE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector_cfg.h"
#include "topic.h"
#include "zone.h"

#define CONFIG_DEFAULT_PATH "/etc/rollsense/rollsense.json"
#define CONFIG_MAX_SENSORS 8
#define CONFIG_MAX_CAL_POINTS 16
#define CONFIG_DEVICE_ID_MAX TOPIC_DEVICE_ID_MAX
#define CONFIG_PATH_MAX 512
#define CONFIG_CHIP_OPTIONS_MAX 320	/* bytes of a chip's options struct, at most */

/* What a sensor gives to the reading (bit mask). */
enum config_channel {
	CONFIG_CHANNEL_PRESSURE = 1u << 0,	/* "pressure_kpa" */
	CONFIG_CHANNEL_TEMPERATURE = 1u << 1,	/* "temperature_c" */
	CONFIG_CHANNEL_ROTATION = 1u << 2,	/* "rotation_dps": a gyroscope */
};

/* "calibration": [[volts, kPa], ...], volts rising strictly (KEY_CALIBRATION). */
struct config_calibration {
	size_t n_points;		/* 2..CONFIG_MAX_CAL_POINTS once read; 0: none given */
	double v[CONFIG_MAX_CAL_POINTS];
	double kpa[CONFIG_MAX_CAL_POINTS];
};

struct sensor_cfg {
	char driver[16];		/* a registered chip's name (config_chip_at) */
	char bus[CONFIG_PATH_MAX];	/* "/dev/i2c-1" or "sim" */
	uint8_t address;		/* 7-bit */
	unsigned provides;		/* enum config_channel bits */
	char key[CONFIG_PATH_MAX + 32];	/* "bmp280@/dev/i2c-1:0x76" */
	/* The chip's own settings: the options struct its driver's header
	 * declares (struct bmp280_options ...), read by the chip's rows, whose
	 * offsets are into it, with the chip's defaults where a key is absent.
	 * Zero beyond that struct. */
	_Alignas(max_align_t) unsigned char options[CONFIG_CHIP_OPTIONS_MAX];
};

struct mqtt_cfg {
	char uri[256];			/* tcp://host:port, ssl://, mqtt://, mqtts:// */
	char topic_prefix[64];		/* "rollsense" */
	char client_id[128];		/* empty: rollsense-sensord-<device_id>, or
					 * rollsense-collector for the collector */
	char username[128];
	char password_file[CONFIG_PATH_MAX];
	char password[256];		/* read from password_file at load */
	char ca_file[CONFIG_PATH_MAX];	/* "tls": {"ca_file", "cert_file", "key_file", "key_group"} */
	char cert_file[CONFIG_PATH_MAX];
	char key_file[CONFIG_PATH_MAX];	/* checked at load and before every connect (keyfile.h) */
	char key_group[64];		/* empty: key_file is for its owner alone; a group name:
					 * key_file may be readable by that group */
	unsigned keepalive_s;		/* 30 */
};

struct gauge_cfg {
	double rest_kpa;	/* 1.0: below this the tool counts as at rest and the zero tracks */
	double track_s;		/* 60: time constant of the zero tracking */
	bool gas_law;		/* true: correct a sealed ball's baseline for its air temperature */
};

struct sim_cfg {
	char scenario[CONFIG_PATH_MAX];	/* scenario file for the simulated bus */
	double time_scale;		/* 1: simulated seconds per real second */
	bool exit_at_end;		/* exit (status 0) once the scenario ended and the outbox drained */
};

/* A GPIO line: by offset on its chip, or by its line name. */
struct gpio_line_cfg {
	char name[32];		/* "GPIO17"; empty: by offset */
	int offset;		/* -1 with an empty name: not configured */
};

/* Whether the file names line l, by name or by offset. */
bool gpio_line_configured(const struct gpio_line_cfg *l);

/* "feedback": an LED, a buzzer and a button on the tool (libgpiod). */
struct feedback_cfg {
	char chip[CONFIG_PATH_MAX];	/* "" (off), "/dev/gpiochip0", "gpiochip0", a chip
					 * label such as "pinctrl-bcm2711", or "sim" (files
					 * in <state_dir>/gpio-sim/, for tests and demos) */
	struct gpio_line_cfg led, buzzer, button;
	bool led_active_low;		/* false */
	bool buzzer_active_low;		/* false */
	bool button_active_low;		/* true: a button to GND with the pull-up on */
	unsigned debounce_ms;		/* 30 */
	double long_press_s;		/* 2: a press this long ends the session; shorter tares */
	double double_press_s;		/* 0.4: a second short press within this long of the
					 * first one's release is a double press (next zone); a
					 * lone short press tares once this has passed */
};

/* "homeassistant": MQTT discovery. */
struct homeassistant_cfg {
	bool enabled;			/* true */
	char discovery_prefix[64];	/* "homeassistant" */
};

enum confirm_mode {
	CONFIRM_COLLECTOR = 0,	/* a reading is done when the collector's ack covers it */
	CONFIRM_BROKER = 1,	/* ... when the broker's PUBACK arrives */
};

/* "zones": the spots a person treats, in the order the button steps
 * through them. In the file a list of names or {"name", "label"} objects:
 *   "zones": ["neck", {"name": "calf_left", "label": "Left calf"}]
 * Absent: the default list (zone.h). Names unique and zone_name_valid;
 * a missing label is the name. An empty list turns zones off. */
struct zone_cfg {
	char name[ZONE_NAME_MAX + 1];
	char label[ZONE_LABEL_MAX + 1];
};

struct zones_cfg {
	size_t n;
	struct zone_cfg zone[ZONES_MAX];
};

/* The zone called name in z: its index, or -1. */
int zones_find(const struct zones_cfg *z, const char *name);
/* Its label, or name itself when z has no such zone ("" for no zone). */
const char *zones_label(const struct zones_cfg *z, const char *name);

/* "advice": when the collector advises (collector/advice.h has the rules). */
struct advice_cfg {
	unsigned days_per_week;	/* 3 (1..7): a zone treated on at least this many days ... */
	unsigned weeks;		/* 3 (1..8): ... in each of this many weeks: see a professional */
	double long_share;	/* 0.5 (0..1): over-treatment when more than this share of a
				 * week's holds on a zone are long ... */
	unsigned min_holds;	/* 3 (1..1000): ... out of at least this many holds */
	bool burn_risk;		/* true: any hot time in a week is noted */
};

struct sensord_cfg {
	unsigned sample_hz;		/* 1..100, default 10 */
	char state_dir[CONFIG_PATH_MAX];	/* /var/lib/rollsense */
	enum confirm_mode confirm;	/* "confirm": "collector" (default) or "broker" */
	size_t outbox_max;		/* readings kept unconfirmed at most; default 200000 */
	double resend_s;		/* resend what stays unconfirmed this long; default 30 */
	double flush_s;			/* outbox written to disk at least this often; default 1 */
	size_t n_sensors;
	struct sensor_cfg sensors[CONFIG_MAX_SENSORS];
	struct gauge_cfg gauge;
	struct feedback_cfg feedback;
	bool simulated;			/* some sensor is on the "sim" bus */
	struct sim_cfg sim;		/* "simulation" */
};

struct collector_cfg {
	char database[CONFIG_PATH_MAX];	/* /var/lib/rollsense/collector.db */
	unsigned retention_days;	/* readings kept this long; default 30; 0 = forever */
	double commit_s;		/* readings committed (and acked) at least this often; default 0.5 */
	double gap_timeout_s;		/* a hole in a run's seq waits this long for a resend before
					 * the readings in it count as missing; default 300 */
};

#define CONFIG_WEB_HOSTS_MAX 16
#define CONFIG_HOST_NAME_MAX 253	/* a DNS name's length at most (RFC 1035's 255 on the wire) */

/* web.hosts: names besides its own the machine is reached by. */
struct config_hosts {
	size_t n;
	char name[CONFIG_WEB_HOSTS_MAX][CONFIG_HOST_NAME_MAX + 1];	/* "pi.lan": letters,
					 * digits, '-' and '.'; as written (case, a trailing dot) */
};

/* "web": what `rollsense-collector serve` listens on and allows. */
struct web_cfg {
	char listen[128];		/* "HOST:PORT", "[IPv6]:PORT"; "127.0.0.1:8480" */
	unsigned max_clients;		/* 1..1024, default 32: more connections get a 503 */
	unsigned timeout_s;		/* 1..3600, default 30: an idle or slow client is closed */
	bool commands;			/* false: the page may not send commands (tare) */
	struct config_hosts hosts;	/* default none: only addresses, "localhost" and the
					 * machine's own name (bare and NAME.local) are its names */
};

struct rs_config {
	char path[CONFIG_PATH_MAX];	/* the file it came from */
	char device_id[CONFIG_DEVICE_ID_MAX + 1];	/* "": none given (the collector needs none) */
	char log_level[16];		/* "error", "warn", "info" (default), "debug" */
	struct mqtt_cfg mqtt;
	struct sensord_cfg sensord;
	struct detector_cfg detector;
	struct collector_cfg collector;
	struct homeassistant_cfg homeassistant;
	struct web_cfg web;
	struct zones_cfg zones;
	struct advice_cfg advice;
};

/* Fills every default. */
void config_defaults(struct rs_config *cfg);

/* Loads and validates PATH into cfg. Returns 0, or -1 with err holding
 * "PATH: KEY: what is wrong" (or "PATH: what is wrong" for a file that
 * cannot be read or parsed). cfg is only written on success. */
int config_load(const char *path, struct rs_config *cfg, char *err, size_t err_len);

/* The same from text already in memory (the fuzzer's entry): name is used in
 * messages, base_dir to resolve relative paths. Files named inside (password
 * file) are still read. */
int config_parse(const char *text, size_t len, const char *name, const char *base_dir,
		 struct rs_config *cfg, char *err, size_t err_len);

/* The daemons, as bits: a key's change may wait for the restart of either. */
enum config_daemon {
	CONFIG_SENSORD = 1u << 0,
	CONFIG_COLLECTOR = 1u << 1,
};

/* Which keys differ between old and next and take effect only when daemon
 * restarts (the schema says so per key). Writes their names into names (len
 * bytes, cut to fit) as "mqtt.uri, sensord.state_dir" and returns how many
 * there are; 0 leaves names "". */
size_t config_restart_keys(const struct rs_config *old, const struct rs_config *next,
			   enum config_daemon daemon, char *names, size_t len);

/* Splits web.listen's "HOST:PORT" (HOST a name or IPv4 address, or an IPv6
 * address in brackets, given here without them) into host (host_len bytes)
 * and *port (1..65535). 0, or -1 when listen is not of that form. */
int config_listen_split(const char *listen, char *host, size_t host_len, unsigned *port);

/* True if id matches [A-Za-z0-9_-]{1,64}. */
bool config_device_id_valid(const char *id);

/* sensord's check: the file gives a device_id (the loader takes a file
 * without one, for the collector). 0, or -1 with err holding
 * "PATH: device_id: missing; ...". */
int config_device_id_require(const struct rs_config *cfg, char *err, size_t err_len);

/* The schema: the file is read against tables of rows, one per key.
 * common/config.c holds the tables of every section; each chip's driver
 * (drivers/<chip>.c) holds the rows of its own keys. */

struct parse_ctx;		/* config.c's state while reading */
struct cJSON;
struct config_section;

enum key_type {
	KEY_STRING,	/* char[size]; check() then looks at the text */
	KEY_PATH,	/* a string resolved against the file's folder */
	KEY_UNSIGNED,	/* an integer in min..max */
	KEY_SIZE,	/* the same into a size_t */
	KEY_DOUBLE,	/* a number in min..max */
	KEY_BOOL,
	KEY_PICK,	/* a string, one of names: its index (unsigned or bool), or the name */
	KEY_ONE_OF,	/* a number, one of values (double or unsigned) */
	KEY_GPIO,	/* struct gpio_line_cfg: an offset or a line name */
	KEY_CALIBRATION,	/* struct config_calibration: 2..CONFIG_MAX_CAL_POINTS
				 * [volts, kPa] pairs; required (missing says why)
				 * exactly when the sensor provides pressure_kpa */
	KEY_SECTION,	/* an object, read by section */
	KEY_CUSTOM,	/* parse() reads it (when present) */
	KEY_HIDDEN,	/* not in the file (derived from other keys); only compared */
};

/* One key. offset and size are those of its field in the struct that its
 * section reads into (rs_config for the top level, mqtt_cfg, sensor_cfg, a
 * chip's options struct ...). */
struct config_key {
	const char *name;
	enum key_type type;
	size_t offset, size;
	double min, max;		/* KEY_UNSIGNED, KEY_SIZE, KEY_DOUBLE */
	double def;			/* numbers, bools, picks by index */
	const char *def_str;		/* strings */
	bool nonempty;			/* KEY_PATH: "" is refused */
	const char *missing;		/* set: the key is required; the message */
	const char *const *names;	/* KEY_PICK */
	const double *values;		/* KEY_ONE_OF */
	size_t n_choices;
	const struct config_section *section;	/* KEY_SECTION */
	/* KEY_CUSTOM: reads item (at path) into base, the section's struct. */
	int (*parse)(struct parse_ctx *ctx, const struct cJSON *item, const char *path, void *base);
	/* Strings: called on the value, given or default. */
	int (*check)(struct parse_ctx *ctx, const char *path, const char *value);
	unsigned restart;		/* enum config_daemon bits: a change waits for their restart */
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A row for member of base_type, named key in the file (ROW: named as the member). */
#define ROW_AS(base_type, member, key, kind, ...) \
	{ .name = key, .type = kind, .offset = offsetof(base_type, member), \
	  .size = sizeof(((base_type *)0)->member), __VA_ARGS__ }
#define ROW(base_type, member, kind, ...) ROW_AS(base_type, member, #member, kind, __VA_ARGS__)
#define PICK(list) .names = list, .n_choices = ARRAY_LEN(list)
#define ONE_OF(list) .values = list, .n_choices = ARRAY_LEN(list)
#define RANGE(lo, hi) .min = lo, .max = hi

/* A chip the configuration accepts as a sensor's "driver". Its keys (beside
 * the common bus, address and provides) are rows into its options struct
 * (struct sensor_cfg.options). */
struct config_chip {
	const char *name;
	unsigned provides;		/* enum config_channel bits it may provide */
	const uint8_t *addresses;	/* the 7-bit addresses it can be strapped to, 0-terminated */
	const struct config_key *keys;
	size_t n_keys;
};

/* A struct config_chip's initializer: its name, the channels it may provide,
 * its addresses (a 0-terminated array) and its rows (an array). */
#define CONFIG_CHIP(chip_name, channels, address_list, rows) \
	{ .name = chip_name, .provides = channels, .addresses = address_list, \
	  .keys = rows, .n_keys = ARRAY_LEN(rows) }

/* Chip i (0-based) of the one list of chips, the driver registry
 * (drivers/registry.c, linked into both daemons); NULL past the last. */
const struct config_chip *config_chip_at(size_t i);

#endif
