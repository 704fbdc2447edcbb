/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client side of the control protocol (uapi/uvdpa_ctl.h), as uvdpactl
 * uses it: its command line into a request line, a reply into text or JSON.
 * Not in the daemon's library: uvdpactl and selftests/cli link it.
 */
#ifndef UVDPA_CTL_CLIENT_H
#define UVDPA_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "uvdpa_ctl.h"

enum ctl_client_kind {
	CTL_FILTER_SHOW,
	CTL_FILTER_SET,
	CTL_STATS,
	CTL_UPGRADE,
};

struct ctl_request {
	bool help;
	bool json;
	enum ctl_client_kind kind;
	const char *device;
	char line[UVDPA_CTL_LINE_MAX];	/* the request, newline included */
};

extern const char ctl_client_usage[];

/* uvdpactl's argv into @r: 0, or -EINVAL and one line for a person in @err. */
int ctl_client_parse(int argc, char **argv, struct ctl_request *r, char *err, size_t errlen);

/*
 * Print @reply for @r on @out, text or JSON: 0 when the daemon said ok,
 * otherwise -EPROTO (no final line) or -EIO with the daemon's message in @err.
 */
int ctl_client_format(const struct ctl_request *r, const char *reply, FILE *out, char *err,
		      size_t errlen);

/* @len bytes of @s as a JSON string, quoted; control characters dropped. */
void ctl_json_string(FILE *out, const char *s, size_t len);

/* Send @r to its daemon and read the whole reply (malloc'd in *reply): 0 or -errno. */
int ctl_client_call(const struct ctl_request *r, char **reply);

#endif
