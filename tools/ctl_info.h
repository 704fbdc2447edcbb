/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdpactl list and show: ask daemons what they serve (the "info" request
 * of uapi/uvdpa_ctl.h), each within a deadline, so that a daemon that died
 * or hangs is reported as such and never holds the command up.
 */
#ifndef UVDPA_CTL_INFO_H
#define UVDPA_CTL_INFO_H

#include <stdbool.h>
#include <stdio.h>

/* How long one daemon gets to answer, connect to last byte. */
#define CTL_INFO_TIMEOUT_MS 1000

enum ctl_info_state {
	CTL_INFO_OK,
	CTL_INFO_STALE,		/* a socket nobody listens on: the daemon is gone */
	CTL_INFO_NO_ANSWER,	/* listening, but no whole answer in time */
	CTL_INFO_OLD,		/* a daemon too old to know "info" */
	CTL_INFO_REFUSED,	/* it answered with an error (permission denied) */
	CTL_INFO_GONE,		/* the socket went while we looked: not listed */
};

/*
 * Ask the daemon on socket @path for "info": the state, and in *reply
 * (malloc'd, or NULL) the lines before "ok" when CTL_INFO_OK, the daemon's
 * message when CTL_INFO_REFUSED.
 */
enum ctl_info_state ctl_info_ask(const char *path, int timeout_ms, char **reply);

/*
 * Every socket in @dir, by name: one line each (a table with a header, or
 * JSON with -j). 0, or -errno when @dir cannot be read (none: an empty list).
 */
int ctl_info_list(const char *dir, bool json, int timeout_ms, FILE *out);

/* One device in full. 0, or -errno with a line for a person in @err. */
int ctl_info_show(const char *dir, const char *name, bool json, int timeout_ms, FILE *out,
		  char *err, size_t errlen);

#endif
