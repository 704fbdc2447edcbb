// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/log.h"

/* The daemon has one verbosity, set once from its command line. */
static bool verbose;
static bool quiet;

void log_set_verbose(bool v)
{
	verbose = v;
}

void log_set_quiet(bool q)
{
	quiet = q;
}

static void vlog(FILE *f, const char *fmt, va_list ap)
{
	if (quiet)
		return;
	fputs("uvdpad: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stderr, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stdout, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(stderr, fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("uvdpad: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; exiting\n", stderr);
	fflush(stderr);
	/* Not exit(): the other threads still run, and no atexit handler may tear down under them. */
	_exit(EXIT_FAILURE);
}
