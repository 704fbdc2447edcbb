/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the daemon tells its service manager (sd_notify(3)): readiness, a
 * status line, the watchdog's keep-alive, stopping. Run without
 * NOTIFY_SOCKET (by hand, in a shell), every call does nothing.
 */
#ifndef UVDPA_NOTIFY_H
#define UVDPA_NOTIFY_H

#include <stdint.h>

/* The device is served (and attached, when asked): READY=1 with STATUS=. */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_stopping(void);
/* WatchdogSec= of the unit in microseconds, or 0 when there is no watchdog for us. */
uint64_t notify_watchdog_usec(void);
void notify_watchdog(void);

#endif
