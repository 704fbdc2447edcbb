// SPDX-License-Identifier: GPL-2.0
/* uvdpactl: control a running uvdpad through its socket (uapi/uvdpa_ctl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"

/* Exit statuses: 2 for a command line that cannot work, 1 for a failure. */
#define EXIT_USAGE 2

int main(int argc, char **argv)
{
	struct ctl_request r;
	char err[UVDPA_CTL_LINE_MAX], *reply = NULL;
	int ret;

	if (ctl_client_parse(argc, argv, &r, err, sizeof(err))) {
		fprintf(stderr, "uvdpactl: %s\n(uvdpactl --help for usage)\n", err);
		return EXIT_USAGE;
	}
	if (r.help) {
		fputs(ctl_client_usage, stdout);
		return 0;
	}
	ret = ctl_client_call(&r, &reply);
	if (ret) {
		fprintf(stderr, "uvdpactl: cannot reach the uvdpad serving '%s': %s%s\n", r.device,
			strerror(-ret), ret == -ENOENT || ret == -ECONNREFUSED ?
			" (is it running? uvdpad blk --name DEVICE ...)" : "");
		return EXIT_FAILURE;
	}
	ret = ctl_client_format(&r, reply, stdout, err, sizeof(err));
	free(reply);
	if (ret) {
		fprintf(stderr, "uvdpactl: %s: %s\n", r.device, err);
		return EXIT_FAILURE;
	}
	return 0;
}
