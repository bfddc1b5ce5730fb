#include "clock.h"

#include <time.h>

static double start_real_mono;
static double start_wall;
static double time_scale = 1.0;

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double clock_real_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

void clock_start(double scale)
{
	time_scale = scale > 0 ? scale : 1.0;
	start_real_mono = clock_real_s();
	start_wall = clock_s(CLOCK_REALTIME);
}

double clock_scale(void)
{
	return time_scale;
}

double clock_mono_s(void)
{
	return (clock_real_s() - start_real_mono) * time_scale;
}

double clock_wall_s(void)
{
	return time_scale == 1.0 ? clock_s(CLOCK_REALTIME) : start_wall + clock_mono_s();
}

double clock_wall_at(double mono_s)
{
	return start_wall + mono_s;
}
