/* The detector's thresholds: the "detector" section of the configuration.
 * Defaults and meaning in docs/protocol.md, "Detector semantics". */
#ifndef ROLLSENSE_DETECTOR_CFG_H
#define ROLLSENSE_DETECTOR_CFG_H

struct detector_cfg {
	double contact_kpa;	/* 2: contact, opens a session */
	double hold_start_kpa;	/* 10: a hold starts at or above */
	double hold_end_kpa;	/* 8: a hold ends below ... */
	double bridge_s;	/* 1.0: ... for longer than this; shorter dips are bridged */
	double min_hold_s;	/* 5: shorter holds are not counted */
	double effective_s;	/* 10: class short below, effective from */
	double long_s;		/* 60: class long above */
	double idle_s;		/* 120: a session closes after this long without contact */
	double heat_c;		/* 38: heat at or above */
	double heat_hysteresis_c; /* 0.5: heat ends below heat_c minus this */
	double hot_c;		/* 45: burn-risk warning at or above */
	double still_dps;	/* 10: a hold needs rotation at or below; faster is rolling */
};

#endif
