// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/restart.h"
#include "daemon/state_file.h"
#include "util/log.h"

bool restart_take_auto(int *argc, char **argv)
{
	bool found = false;
	int i, j;

	for (i = j = 0; i < *argc; i++) {
		if (!strcmp(argv[i], RESTART_AUTO_ARG))
			found = true;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	*argc = j;
	return found;
}

void restart_resolve(struct cli_opts *o)
{
	char state[256], dev[300];

	/* A name too long for a path has no state file: the device is made anew. */
	if (state_file_path(o->name, state, sizeof(state)))
		return;
	snprintf(dev, sizeof(dev), "/dev/vduse/%s", o->name);
	/* /run is emptied at boot: a state file is a crashed or upgraded daemon's. */
	if (access(state, F_OK) || access(dev, F_OK))
		return;
	log_info("%s: resuming from %s, left by the previous daemon", o->name, state);
	o->reconnect = true;
	o->attach = CLI_ATTACH_NONE;
}
