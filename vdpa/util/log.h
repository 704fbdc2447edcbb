/* SPDX-License-Identifier: GPL-2.0 */
/* Messages for a person: errors always, debug with uvdpad -v. */
#ifndef UVDPA_LOG_H
#define UVDPA_LOG_H

#include <stdbool.h>

void log_set_verbose(bool verbose);
/* No messages at all: for fuzzers, which feed the daemon's code hostile input by the million. */
void log_set_quiet(bool quiet);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A thread that can no longer serve: its one line (with "; exiting"), then
 * the daemon exits with status 1 at once, as a crash would, so that its
 * device and its in-flight log stay for a daemon started with --reconnect (a supervisor's
 * restart) instead of a daemon that looks alive and answers nothing.
 */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
