/* pace: copies stdin to stdout one line at a time, HZ lines per second on an
 * absolute schedule (line k leaves at k / HZ s; no drift), flushing each:
 * feeds the same reading lines at the same rate to every reference publisher.
 *
 *   pace HZ < lines | publisher */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec start, due;
	char line[4096], *end;
	double hz;
	long k = 0;

	errno = 0;
	hz = argc == 2 ? strtod(argv[1], &end) : 0;
	if (argc != 2 || errno || *end || !isfinite(hz) || hz <= 0 || hz > 100000) {
		fprintf(stderr, "usage: pace HZ < lines\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (fgets(line, sizeof(line), stdin)) {
		double t = (double)k++ / hz;

		due.tv_sec = start.tv_sec + (time_t)t;
		due.tv_nsec = start.tv_nsec + (long)((t - floor(t)) * 1e9);
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
		if (fputs(line, stdout) == EOF || fflush(stdout) == EOF)
			return 1;
	}
	return 0;
}
