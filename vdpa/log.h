/* SPDX-License-Identifier: GPL-2.0 */
/* Messages for a person: errors always, debug with uvdpad -v. */
#ifndef UVDPA_LOG_H
#define UVDPA_LOG_H

#include <stdbool.h>

void log_set_verbose(bool verbose);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
