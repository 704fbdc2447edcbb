/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The service manager's watchdog (WatchdogSec=), petted only while every
 * thread that serves the device answers: a wedged worker or control thread
 * stops the keep-alives, and systemd restarts the daemon, which resumes the
 * device (docs/operations.md).
 */
#ifndef UVDPA_WATCHDOG_H
#define UVDPA_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A thread's probe: true if the thread answered the probe sent by the
 * previous call (the first call: true), then sends the next one. It never
 * waits for the thread.
 */
typedef bool (*watchdog_alive_fn)(void *arg);

struct watchdog_probe {
	char what[32];	/* "worker 1", for the status line */
	watchdog_alive_fn alive;
	void *arg;
};

#define WATCHDOG_MAX_PROBES 72

struct watchdog {
	uint64_t usec;	/* 0: no watchdog; the daemon only waits for its signals */
	struct watchdog_probe probes[WATCHDOG_MAX_PROBES];
	unsigned int nr_probes;
	int stuck;	/* the probe that did not answer last time, or -1 */
	char status[512];	/* STATUS= again once every thread answers again */
};

/* From the environment the service manager set (WATCHDOG_USEC): no probes yet. */
void watchdog_init(struct watchdog *wd);
/* -ENOSPC past WATCHDOG_MAX_PROBES. */
int watchdog_add(struct watchdog *wd, watchdog_alive_fn alive, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* How long the daemon may wait before the next watchdog_tick(), in ms; -1: forever. */
int watchdog_interval_ms(const struct watchdog *wd);
/*
 * Probe every thread: all answered, WATCHDOG=1; one did not, no keep-alive,
 * and (once, until they all answer again) a log line and a STATUS= naming it.
 * Returns the probe that did not answer, or -1.
 */
int watchdog_tick(struct watchdog *wd);

#endif
