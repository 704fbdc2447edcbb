/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a worker asks of a device model (blk, later net): start a request the
 * worker popped from a virtqueue, and finish it when its I/O completes. The
 * worker owns the rings, the io_uring and the interrupts; the model owns the
 * request's meaning. Adding a device type is one file with a struct
 * dev_model and one entry in the daemon's table.
 */
#ifndef UVDPA_DEVICE_H
#define UVDPA_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

#include "virtqueue.h"

/*
 * One request in flight. The worker allocates dev_model.req_size bytes per
 * request, so a model's own state follows this header, and calls
 * dev_model.req_init() once per request so that the model points chain.iov
 * at dev_model.max_iov iovecs of its own before the first vq_pop().
 */
struct dev_req {
	struct vq_chain chain;
	/* Bytes the device wrote into the chain, for the used element; set by the model. */
	uint32_t used_len;
	/* The worker's queue that popped it; the model leaves it alone. */
	void *owner;
};

struct dev_model {
	const char *name;
	size_t req_size;	/* >= sizeof(struct dev_req) */
	unsigned int max_iov;
	/* Set up @req's chain.iov and chain.max_iov, once, after allocating it. */
	void (*req_init)(void *dev, struct dev_req *req);
	/*
	 * Start @req, just popped. Return 1 when I/O is queued on @ring (its
	 * CQEs carry user_data == (uintptr_t)req), or 0 when the request is
	 * finished (used_len set; a malformed request is finished with an
	 * error status where it has room for one). Never fails otherwise.
	 */
	int (*start)(void *dev, struct dev_req *req, struct io_uring *ring);
	/*
	 * The CQE result @res of @req's I/O. Return 1 if more I/O for @req is
	 * queued (e.g. the rest of a short transfer), 0 when it is finished.
	 */
	int (*complete)(void *dev, struct dev_req *req, int res, struct io_uring *ring);
};

#endif
