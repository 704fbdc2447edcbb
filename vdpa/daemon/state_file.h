/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file the in-flight log (ring/vq_log.h) lives in: RUN_DIR/NAME.state
 * (util/run_dir.h), mapped shared so that it outlives the daemon, made
 * afresh for a new device and taken over by a daemon started with
 * --reconnect.
 */
#ifndef UVDPA_STATE_FILE_H
#define UVDPA_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/vq_log.h"

/* What the device is; a file made for another device is refused. */
struct state_file_params {
	const char *name;
	uint32_t nr_queues;
	uint32_t queue_size;
	uint64_t device_features;
	const void *config;
	uint32_t config_size;
	/*
	 * Bytes of @config that hold the storage's size (a disk's capacity):
	 * the storage may have grown while no daemon ran, so they are not
	 * compared; a NIC's link status likewise. Length 0: none.
	 */
	uint32_t size_off, size_len;
};

struct state_file {
	struct vq_log_hdr *hdr;	/* the mapped log, NULL when there is none */
	size_t size;
	char path[256];
};

/* Where the state of device @name lives: 0 or -ENAMETOOLONG. */
int state_file_path(const char *name, char *path, size_t len);
/*
 * Start a fresh log for a new device, in the run directory run_dir_make()
 * checked: 0 or -errno (-ELOOP for a symlink in the file's place).
 */
int state_file_create(struct state_file *f, const struct state_file_params *p);
/*
 * Map the log a previous daemon left for the device: 0, -ENOENT when there
 * is none, or -ESTALE when it was made for another device (what differs in
 * @why), or another -errno.
 */
int state_file_open(struct state_file *f, const struct state_file_params *p, char *why,
		    size_t whylen);
/* Unmap; delete the file unless @keep (a planned upgrade keeps it for the next daemon). */
void state_file_close(struct state_file *f, bool keep);

#endif
