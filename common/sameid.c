/* Two sensords under one device_id: the decisions (sameid.h). */
#include "sameid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void sameid_watch_init(struct sameid_watch *w, const char *own_run)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->own, sizeof(w->own), "%s", own_run);
	w->sign_at = -1;
	w->connected_at = -1;
}

void sameid_watch_connected(struct sameid_watch *w, double now_s)
{
	w->connected_at = now_s;
	w->other_this_conn = false;
}

void sameid_watch_lost(struct sameid_watch *w, double now_s)
{
	if (w->connected_at < 0)
		return;	/* a failed connect: nothing was taken from us */
	/* A connection that brought no other run's health is no sign: after
	 * a restart the previous run's comes at the first connect only (ours
	 * is the retained one from then on), so a flaky link is told apart. */
	if (now_s - w->connected_at < SAMEID_SHORT_CONN_S && w->other_this_conn)
		w->short_conns++;
	else
		w->short_conns = 0;
	w->connected_at = -1;
	w->other_this_conn = false;
	if (w->short_conns >= SAMEID_SHORT_CONNS)
		w->sign_at = now_s;
}

void sameid_watch_health(struct sameid_watch *w, const char *run, double up_s, double now_s)
{
	if (strcmp(run, w->own) == 0)
		return;
	if (w->connected_at >= 0)
		w->other_this_conn = true;
	if (strcmp(run, w->other) != 0) {
		/* First sight: maybe the retained health of a run that ended. */
		snprintf(w->other, sizeof(w->other), "%s", run);
		w->other_up_s = up_s;
		return;
	}
	if (up_s > w->other_up_s) {
		w->other_up_s = up_s;
		w->sign_at = now_s;
	}
}

const char *sameid_watch_other(const struct sameid_watch *w, double now_s)
{
	if (w->sign_at < 0 || now_s - w->sign_at >= SAMEID_CLEAR_S)
		return NULL;
	return w->other;
}

void sameid_runs_init(struct sameid_runs *s)
{
	memset(s, 0, sizeof(*s));
}

static bool run_live(const struct sameid_run *r, double now_s)
{
	return r->run[0] && now_s - r->newer_at < SAMEID_LIVE_S;
}

/* Finds two live runs whose reading spans overlap, and sets the flag (and
 * the pair) from it. True when the flag changed. */
static bool decide(struct sameid_runs *s, double now_s)
{
	bool was = s->flagged;

	s->flagged = false;
	for (size_t i = 0; i < SAMEID_RUNS && !s->flagged; i++) {
		const struct sameid_run *x = &s->runs[i];

		if (!run_live(x, now_s))
			continue;
		for (size_t j = i + 1; j < SAMEID_RUNS; j++) {
			const struct sameid_run *y = &s->runs[j];

			if (!run_live(y, now_s) ||
			    fmin(x->last_ts, y->last_ts) - fmax(x->first_ts, y->first_ts) < SAMEID_OVERLAP_S)
				continue;
			snprintf(s->a, sizeof(s->a), "%s", x->run);
			snprintf(s->b, sizeof(s->b), "%s", y->run);
			s->flagged = true;
			break;
		}
	}
	return s->flagged != was;
}

bool sameid_runs_feed(struct sameid_runs *s, const char *run, double ts, double now_s)
{
	struct sameid_run *r = NULL, *oldest = &s->runs[0];

	for (size_t i = 0; i < SAMEID_RUNS && !r; i++) {
		if (strcmp(s->runs[i].run, run) == 0)
			r = &s->runs[i];
		else if (!s->runs[i].run[0] ||
			 (oldest->run[0] && s->runs[i].newer_at < oldest->newer_at))
			oldest = &s->runs[i];
	}
	if (!r) {
		/* A free slot, or the run quiet longest gives its place. */
		r = oldest;
		snprintf(r->run, sizeof(r->run), "%s", run);
		r->first_ts = r->last_ts = ts;
		r->newer_at = now_s;
	} else if (ts > r->last_ts) {
		r->last_ts = ts;
		r->newer_at = now_s;
	} else if (ts < r->first_ts) {
		r->first_ts = ts;
	}
	return decide(s, now_s);
}

bool sameid_runs_tick(struct sameid_runs *s, double now_s)
{
	for (size_t i = 0; i < SAMEID_RUNS; i++)
		if (s->runs[i].run[0] && !run_live(&s->runs[i], now_s))
			s->runs[i].run[0] = '\0';
	return decide(s, now_s);
}
