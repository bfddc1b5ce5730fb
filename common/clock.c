#include "clock.h"

#include <errno.h>
#include <time.h>

static double start_real_mono;
static double start_wall;
static double time_scale = 1.0;

static double timespec_s(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9;
}

double clock_real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_s(&ts);
}

void clock_start(double scale)
{
	struct timespec ts;

	time_scale = scale > 0 ? scale : 1.0;
	start_real_mono = clock_real_s();
	clock_gettime(CLOCK_REALTIME, &ts);
	start_wall = timespec_s(&ts);
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
	struct timespec ts;

	if (time_scale == 1.0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		return timespec_s(&ts);
	}
	return start_wall + clock_mono_s();
}

double clock_wall_at(double mono_s)
{
	return start_wall + mono_s;
}

void clock_sleep_mono(double mono_s)
{
	struct timespec ts;
	double real_s = mono_s / time_scale;

	if (real_s <= 0)
		return;
	ts.tv_sec = (time_t)real_s;
	ts.tv_nsec = (long)((real_s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
