/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the control socket's "info" request answers of a device before its
 * queues (uapi/uvdpa_ctl.h): how it was made, where the kernel bound it and
 * what it made of it, the features offered and taken, the ring, the
 * reconnect state. Read from the control socket's thread, so only what is
 * safe there: the options, the kernel (sysfs, VDUSE ioctls), and words the
 * other threads store atomically.
 */
#ifndef UVDPA_INFO_H
#define UVDPA_INFO_H

#include <stdio.h>

#include "daemon/cli.h"
#include "daemon/dev_type.h"
#include "vduse/vduse_dev.h"

struct info_dev {
	const struct cli_opts *o;
	const struct dev_type *type;
	const struct served *s;
	const struct vduse_dev *dev;
	const char *state_path;	/* the in-flight log, or NULL: none */
};

/* @d's lines of the info reply, to @out. */
void info_print(const struct info_dev *d, FILE *out);

#endif
