/* Time at the edge. The daemons read the clock here and nowhere else, so the
 * simulated gear can run faster than real time: with a scale of 10, one real
 * second is ten seconds of "mono" time for sensord, its simulated chips and
 * its schedule alike. Real hardware always runs at scale 1. */
#ifndef ROLLSENSE_CLOCK_H
#define ROLLSENSE_CLOCK_H

/* Starts the clock: mono time 0 is now. scale > 0. */
void clock_start(double scale);
double clock_scale(void);
/* Seconds of (scaled) CLOCK_MONOTONIC time since clock_start(). */
double clock_mono_s(void);
/* Wall-clock Unix time now, for labels. At scale 1 this is CLOCK_REALTIME (so
 * an NTP step after boot corrects the labels); scaled, it is the real time at
 * clock_start() plus the mono time, so labels follow the simulated timeline. */
double clock_wall_s(void);
/* The wall-clock label of a mono time on a scaled clock: the real time at
 * clock_start() plus mono_s. */
double clock_wall_at(double mono_s);
/* Real (unscaled) CLOCK_MONOTONIC seconds, for timeouts that must not scale. */
double clock_real_s(void);

#endif
