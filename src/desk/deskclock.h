/*
 * deskclock.h - the clock the desk reads, as an interface
 *
 * The incident machine takes the time as a parameter; whoever drives it
 * reads it here: the daemon from the system clock, tests from a fake one
 * they move by hand (a 48-hour grace period runs in microseconds).
 */
#ifndef RW_DESKCLOCK_H
#define RW_DESKCLOCK_H

struct deskclock {
	long long (*now_ms)(void *arg); /* ms since the Unix epoch (or the fake's origin) */
	void *arg;
};

/* deskclock_system - CLOCK_REALTIME in ms (wall time: deadlines are stored) */
struct deskclock deskclock_system(void);
/* deskclock_fake - reads *ms, which the caller moves; ms is borrowed */
struct deskclock deskclock_fake(long long *ms);
/* deskclock_now - the time from c */
long long deskclock_now(const struct deskclock *c);

#endif
