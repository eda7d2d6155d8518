/*
 * NAME
 *	deskclock - the desk's clock interface: system or fake
 * SYNOPSIS
 *	struct deskclock deskclock_system(void);
 *	struct deskclock deskclock_fake(long long *ms);
 *	long long deskclock_now(const struct deskclock *c);
 * DESCRIPTION
 *	Wall time, not monotonic: deadlines are stored and must survive a
 *	restart. The fake reads a variable its owner moves.
 */
#include "deskclock.h"

#include <time.h>

static long long system_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long fake_now(void *arg)
{
	return *(long long *)arg;
}

/* deskclock_system - the real clock */
struct deskclock deskclock_system(void)
{
	return (struct deskclock){.now_ms = system_now, .arg = 0};
}

/* deskclock_fake - a clock that reads *ms */
struct deskclock deskclock_fake(long long *ms)
{
	return (struct deskclock){.now_ms = fake_now, .arg = ms};
}

/* deskclock_now - ask c */
long long deskclock_now(const struct deskclock *c)
{
	return c->now_ms(c->arg);
}
