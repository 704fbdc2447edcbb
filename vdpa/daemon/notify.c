// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon/notify.h"
#include "util/log.h"

/* The manager acts on what it gets; a message it did not get is only worth a debug line. */
static void send_state(const char *state)
{
	int ret = sd_notify(0, state);

	if (ret < 0)
		log_debug("cannot notify the service manager: %s", strerror(-ret));
}

static void send_with_status(const char *first, const char *fmt, va_list ap)
{
	char state[768];
	int n;

	n = snprintf(state, sizeof(state), "%sSTATUS=", first);
	vsnprintf(state + n, sizeof(state) - n, fmt, ap);
	send_state(state);
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status("READY=1\n", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status("", fmt, ap);
	va_end(ap);
}

void notify_stopping(void)
{
	send_state("STOPPING=1");
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is us. */
	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}
