/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a worker asks of a device model (blk, net): start a request the
 * worker popped from a virtqueue, and finish it when its I/O completes. The
 * worker owns the rings, the io_uring and the interrupts; the model owns the
 * request's meaning and hands its I/O to a backend through the worker's
 * struct be_ctx (backend/be_ctx.h), which it passes on untouched. A queue
 * the device fills on its own schedule (net RX: when a frame arrives, not
 * when the driver kicks) is popped by the model itself through struct
 * dev_queue. Adding a device type is one file with a
 * struct dev_model and one entry in the daemon's table.
 */
#ifndef UVDPA_DEVICE_H
#define UVDPA_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/be_ctx.h"
#include "ring/virtqueue.h"

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
	/* What the driver got wrong, for the log line, when start() fails. */
	const char *why;
};

/*
 * A running queue as a model sees it in its queue hooks. pop() takes the
 * next available chain into a free request (1, 0 when none is available or
 * the queue is stopping, or a negative errno that stopped the queue); push()
 * returns a request the model popped, with its used_len, and frees it. Both
 * on the worker's thread; the interrupt follows the current batch.
 */
struct dev_queue {
	unsigned int index;
	unsigned int num;	/* queue size: chains that can be out at once */
	uint64_t features;	/* negotiated */
	int (*pop)(struct dev_queue *q, struct dev_req **req);
	void (*push)(struct dev_queue *q, struct dev_req *req);
};

struct dev_model {
	size_t req_size;	/* >= sizeof(struct dev_req) */
	/* Set up @req's chain.iov and chain.max_iov, once, after allocating it. */
	void (*req_init)(void *dev, struct dev_req *req);
	/*
	 * Start @req, just popped. Return 1 when I/O is queued through @ctx
	 * (with the request handle (uintptr_t)req), or 0 when the request is
	 * finished (used_len set; a malformed request is finished with an
	 * error status where it has room for one). A negative errno, with
	 * req->why set, for a request that has no room for an answer: the
	 * worker stops the queue until the driver resets the device, and the
	 * request is never completed.
	 */
	int (*start)(void *dev, struct dev_req *req, struct be_ctx *ctx);
	/*
	 * The result @res of @req's I/O (bytes or -errno). Return 1 if the
	 * worker must leave @req alone (more I/O queued for it, e.g. the rest
	 * of a short transfer, or the model keeps it and pushes it itself), 0
	 * when it is finished.
	 */
	int (*complete)(void *dev, struct dev_req *req, int res, struct be_ctx *ctx);
	/*
	 * Optional queue hooks. queue_start: @q runs (after DRIVER_OK, or
	 * again after a stop). kick: @q was started or kicked; return true if
	 * the model serves it itself, false to have the worker pop chains and
	 * start() them. queue_stop: the worker is stopping (reset, IOTLB
	 * change); every request the model holds must come back (pushed, or
	 * finished through complete()) for the stop to end, so cancel I/O that
	 * would not end by itself.
	 */
	void (*queue_start)(void *dev, struct dev_queue *q, struct be_ctx *ctx);
	bool (*kick)(void *dev, struct dev_queue *q, struct be_ctx *ctx);
	void (*queue_stop)(void *dev, struct dev_queue *q, struct be_ctx *ctx);
	/*
	 * Optional: @req on @q is a chain a daemon that died had popped and
	 * not finished, popped again by the one taking over (--reconnect),
	 * after queue_start(). As start(); without it, start() is called.
	 */
	int (*resumed)(void *dev, struct dev_queue *q, struct dev_req *req, struct be_ctx *ctx);
};

#endif
