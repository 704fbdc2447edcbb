/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-blk device model (virtio 1.x spec, section 5.2): feature set,
 * configuration space, and requests turned into backend I/O.
 */
#ifndef UVDPA_BLK_H
#define UVDPA_BLK_H

#include <stdint.h>
#include <linux/virtio_blk.h>

#include "backend/backend.h"
#include "worker/device.h"

struct blk_opts {
	unsigned int num_queues;	/* >= 1; VIRTIO_BLK_F_MQ when > 1 */
	uint16_t queue_size;
	bool packed;			/* offer VIRTIO_F_RING_PACKED */
	const char *serial;		/* GET_ID answer; NULL: derived from the device name */
	const char *name;
};

struct blk_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes, get_ids;
	uint64_t io_errors;	/* backend errors answered with VIRTIO_BLK_S_IOERR */
	uint64_t bad_requests;	/* malformed requests answered with IOERR or UNSUPP */
};

struct blk_dev {
	struct be *be;
	uint64_t features;		/* what the device offers */
	struct virtio_blk_config config; /* little-endian, as the driver reads it */
	unsigned int config_size;
	/* VDUSE's bounce buffer for the largest requests of every slot at once. */
	uint32_t bounce_size;
	char id[VIRTIO_BLK_ID_BYTES];
	struct blk_stats stats;
};

/* Offer features and fill the config space for @be: 0 or -EINVAL for bad @opts. */
int blk_dev_init(struct blk_dev *dev, struct be *be, const struct blk_opts *opts);

/* The dev_model of virtio-blk; its "dev" argument is a struct blk_dev. */
extern const struct dev_model blk_model;

#endif
