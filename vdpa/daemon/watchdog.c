// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "daemon/notify.h"
#include "daemon/watchdog.h"
#include "util/log.h"

void watchdog_init(struct watchdog *wd)
{
	wd->usec = notify_watchdog_usec();
	wd->nr_probes = 0;
	wd->stuck = -1;
	wd->status[0] = '\0';
}

int watchdog_add(struct watchdog *wd, watchdog_alive_fn alive, void *arg, const char *fmt, ...)
{
	struct watchdog_probe *p;
	va_list ap;

	if (wd->nr_probes == WATCHDOG_MAX_PROBES)
		return -ENOSPC;
	p = &wd->probes[wd->nr_probes++];
	p->alive = alive;
	p->arg = arg;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	return 0;
}

int watchdog_interval_ms(const struct watchdog *wd)
{
	/*
	 * A probe answered in one interval is seen at the next tick: two ticks
	 * per WatchdogSec= keep a live daemon on time (sd_watchdog_enabled(3)
	 * suggests half the period).
	 */
	uint64_t ms = wd->usec / 2000;

	if (!wd->usec)
		return -1;
	return ms ? (ms > INT_MAX ? INT_MAX : (int)ms) : 1;
}

int watchdog_tick(struct watchdog *wd)
{
	int stuck = -1;
	unsigned int i;

	/* Every probe is asked, so that each has its next one on the way. */
	for (i = 0; i < wd->nr_probes; i++)
		if (!wd->probes[i].alive(wd->probes[i].arg) && stuck < 0)
			stuck = i;
	if (stuck < 0) {
		if (wd->stuck >= 0) {
			log_err("%s answers again", wd->probes[wd->stuck].what);
			notify_status("%s", wd->status);
		}
		wd->stuck = -1;
		notify_watchdog();
		return -1;
	}
	if (wd->stuck != stuck) {
		log_err("%s does not answer: no watchdog keep-alive until it does",
			wd->probes[stuck].what);
		notify_status("%s does not answer", wd->probes[stuck].what);
	}
	wd->stuck = stuck;
	return stuck;
}
