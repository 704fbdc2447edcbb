// SPDX-License-Identifier: GPL-2.0
/* uvdpactl: control a running uvdpad through its socket (uapi/uvdpa_ctl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "ctl_info.h"
#include "util/run_dir.h"

/* Exit statuses: 2 for a command line that cannot work, 1 for a failure. */
#define EXIT_USAGE 2

/* uvdpactl list [-j], uvdpactl show DEVICE [-j]: every daemon in the run directory. */
static int info_main(int argc, char **argv)
{
	const char *dir = run_dir(), *device = NULL;
	bool json = false, list = !strcmp(argv[1], "list");
	char err[512];
	int i, ret;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!list && !device && argv[i][0] != '-') {
			device = argv[i];
		} else {
			fprintf(stderr, "uvdpactl: %s: unexpected '%s'\n(uvdpactl --help for "
				"usage)\n", argv[1], argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!list && !device) {
		fprintf(stderr, "uvdpactl: show: which device?\n(uvdpactl --help for usage)\n");
		return EXIT_USAGE;
	}
	if (list) {
		ret = ctl_info_list(dir, json, CTL_INFO_TIMEOUT_MS, stdout);
		if (ret)
			fprintf(stderr, "uvdpactl: cannot read %s: %s\n", dir, strerror(-ret));
		return ret ? EXIT_FAILURE : 0;
	}
	ret = ctl_info_show(dir, device, json, CTL_INFO_TIMEOUT_MS, stdout, err, sizeof(err));
	if (ret)
		fprintf(stderr, "uvdpactl: %s\n", err);
	return ret ? EXIT_FAILURE : 0;
}

int main(int argc, char **argv)
{
	struct ctl_request r;
	char err[UVDPA_CTL_LINE_MAX], *reply = NULL;
	int ret;

	if (argc >= 2 && (!strcmp(argv[1], "list") || !strcmp(argv[1], "show")))
		return info_main(argc, argv);
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
