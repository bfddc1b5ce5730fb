/* Zone names and the default list: see zone.h. */
#include "zone.h"

#include <string.h>

static const char *const default_zones[][2] = {
	{ "neck", "Neck" },
	{ "shoulder_left", "Left shoulder" },
	{ "shoulder_right", "Right shoulder" },
	{ "upper_back", "Upper back" },
	{ "lower_back", "Lower back" },
	{ "hip_left", "Left hip" },
	{ "hip_right", "Right hip" },
	{ "glute_left", "Left glute" },
	{ "glute_right", "Right glute" },
	{ "thigh_left", "Left thigh" },
	{ "thigh_right", "Right thigh" },
	{ "calf_left", "Left calf" },
	{ "calf_right", "Right calf" },
	{ "foot_left", "Left foot" },
	{ "foot_right", "Right foot" },
};

#define N_DEFAULT (sizeof(default_zones) / sizeof(default_zones[0]))

bool zone_name_valid(const char *name)
{
	size_t n = 0;

	for (; name[n] != '\0'; n++) {
		char c = name[n];

		if (n == ZONE_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return n > 0 && strcmp(name, ZONE_NONE) != 0;
}

const char *zone_default_name(size_t i)
{
	return i < N_DEFAULT ? default_zones[i][0] : NULL;
}

const char *zone_default_label(size_t i)
{
	return i < N_DEFAULT ? default_zones[i][1] : NULL;
}
