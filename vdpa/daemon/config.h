/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's configuration file (docs/uvdpad.conf.5), as the systemd unit
 * uvdpad@NAME.service reads /etc/uvdpa/NAME.conf: one device per file,
 * "key = value" lines whose keys are uvdpad's long options, each set and
 * checked through the option table (cli_set(), daemon/cli.h) exactly as on
 * the command line, with the file and line in every message.
 */
#ifndef UVDPA_CONFIG_H
#define UVDPA_CONFIG_H

#include <stddef.h>

#include "daemon/cli.h"

struct config {
	const char *path;
	/* Every value given: @o's strings point into them. */
	char **strs;
	unsigned int nr_strs;
	/* The filter parameters, in order, and their lines: o->filter_params. */
	char **params;
	unsigned int *param_lines;
	unsigned int nr_params;
	/* Every key the file gives, "key = no" flags too, to refuse a second one. */
	char **given;
	unsigned int *given_lines;
	unsigned int nr_given;
};

/*
 * Read @path and parse it, followed by @extra (further command-line
 * options, e.g. --reconnect), into @o, whose strings point into @c until
 * config_free(). On error, one line for a person in @err naming the file
 * and, where one is at fault, the line: -EINVAL for what the file or @extra
 * says, another -errno when the file cannot be read.
 */
int config_load(struct config *c, const char *path, int nr_extra, char **extra,
		struct cli_opts *o, char *err, size_t errlen);
void config_free(struct config *c);

#endif
