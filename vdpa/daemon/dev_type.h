/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device types uvdpad serves (blk, net), as a table in the spirit of
 * ublksrv's target types: each says how it is used, checks its options,
 * sets up its model and backend, and has hooks around the VDUSE device's
 * life. Adding a device type is its model (dev/), one file with a struct
 * dev_type here, and one entry in dev_type.c's table.
 */
#ifndef UVDPA_DEV_TYPE_H
#define UVDPA_DEV_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend/backend.h"
#include "daemon/cli.h"
#include "vduse/vduse_dev.h"
#include "worker/device.h"

/* One device, as the daemon serves it: filled by dev_type.setup(). */
struct served {
	const struct dev_model *model;
	void *dev;		/* the model's */
	struct be *be;		/* attached to every worker's ring */
	uint32_t device_id;	/* VIRTIO_ID_* */
	uint64_t features;
	const void *config;
	uint32_t config_size;
	/* The bytes of @config not compared on --reconnect: the size, a link (struct state_file_params). */
	uint32_t size_off, size_len;
	unsigned int nr_queues;
	unsigned int nr_workers;
	uint32_t bounce_size;	/* struct vduse_dev_params */
	/* Keep an in-flight log, so that --reconnect can take the device over. */
	bool resumable;
	char what[128];		/* for the ready line */
	void *priv;		/* the device type's */
};

struct dev_type {
	const char *name;	/* uvdpad's first word */
	/* Its part of uvdpad --help. */
	void (*usage)(FILE *out);
	/*
	 * The options are all set: refuse what does not go together, fill in
	 * defaults. 0, or -EINVAL and one line in @err.
	 */
	int (*check)(struct cli_opts *o, char *err, size_t errlen);
	/* Open the backend and set up the model into @s: 0, or -errno said in one line. */
	int (*setup)(const struct cli_opts *o, struct served *s);
	/* Optional: the device's messages are served; it is not on the bus yet. */
	int (*running)(struct served *s, struct vduse_dev *dev);
	/* Optional: the workers are gone, the VDUSE device is not yet. */
	void (*stopped)(struct served *s);
	/* After the VDUSE device: undo setup(). */
	void (*teardown)(struct served *s);
	/*
	 * The model's counters as one "dev=TYPE key=value..." line, while the
	 * workers count: for uvdpactl stats, and the log at the end.
	 */
	void (*stats)(const struct served *s, FILE *out);
	/*
	 * For uvdpactl list and show (the info request): "backend=NAME" and
	 * the size or the MAC, then what else the device was made with, as
	 * key=value lines; a value that may hold blanks (a path) alone on the
	 * last line of its own.
	 */
	void (*info)(const struct cli_opts *o, const struct served *s, FILE *out);
};

/* A counter of a model's stats struct, for dev_type_print_stats(). */
struct dev_stat_field {
	const char *name;
	size_t offset;	/* of a uint64_t the workers add to atomically */
};

void dev_type_print_stats(FILE *out, const char *type, const void *stats,
			  const struct dev_stat_field *fields, unsigned int nr);

extern const struct dev_type dev_type_blk;
extern const struct dev_type dev_type_net;

/* The device type called @name, or NULL. */
const struct dev_type *dev_type_find(const char *name);
/* The @i-th device type, to list them: NULL past the last. */
const struct dev_type *dev_type_nth(unsigned int i);

#endif
