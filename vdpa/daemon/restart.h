/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --reconnect=auto, what uvdpad@.service starts with: after a crash the
 * unit runs the same command again, which must resume the device the dead
 * daemon left instead of failing to make it anew.
 */
#ifndef UVDPA_RESTART_H
#define UVDPA_RESTART_H

#include <stdbool.h>

#include "daemon/cli.h"

#define RESTART_AUTO_ARG "--reconnect=auto"

/* Take RESTART_AUTO_ARG out of @argv (NULL-terminated, @argc words): whether it was there. */
bool restart_take_auto(int *argc, char **argv);
/*
 * Resume when a previous daemon left @o->name's state file and its VDUSE
 * device (it is attached already: no --attach), else make the device anew
 * as @o says.
 */
void restart_resolve(struct cli_opts *o);

#endif
