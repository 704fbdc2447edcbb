/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How device models hand requests to backends, and how backends complete
 * them through a worker's io_uring. A model passes the worker's struct
 * be_ctx through to be_ops.submit() and never sees the ring. A backend
 * either prepares SQEs for the request (be_sqe_req(): the CQE completes
 * it), or arms SQEs of its own (be_sqe_event(): the CQE comes back to the
 * backend, e.g. an eventfd a library signals, a socket's replies) and
 * completes requests later with be_complete(), like ublksrv's target I/O.
 */
#ifndef UVDPA_BE_CTX_H
#define UVDPA_BE_CTX_H

#include <stdint.h>
#include <liburing.h>

/*
 * user_data on a worker's ring: the low 3 bits say whose CQE it is. A
 * request's handle is the address of the worker's request (8-byte
 * aligned); tags 1 to 3 are the ring owner's own (the worker's kicks,
 * commands and timers).
 */
#define BE_UD_REQ 0UL
#define BE_UD_EVENT 4UL	/* (uintptr_t)struct be_event * | BE_UD_EVENT */
#define BE_UD_MASK 7UL

/* A worker's ring, as backends see it: one per worker. */
struct be_ctx {
	struct io_uring *ring;
	/*
	 * The ring owner's: request @req ended with @res (bytes or -errno),
	 * reported outside a CQE of the request's own. On the worker's thread.
	 */
	void (*complete)(struct be_ctx *ctx, uint64_t req, int res);
	void *owner;	/* the ring owner's */
	void *priv;	/* the backend's state for this ring, set by its attach() */
};

/* A backend's own SQE; keep it alive (8-byte aligned) until its last CQE. */
struct be_event {
	void (*cqe)(struct be_event *ev, struct be_ctx *ctx, const struct io_uring_cqe *cqe);
};

/*
 * The one way to an SQE, for backends and the ring's owner alike: submits
 * what is queued first if the SQ is full. NULL only if the ring is broken.
 */
struct io_uring_sqe *be_get_sqe(struct io_uring *ring);

/*
 * An SQE whose CQE completes request @req (its res goes to the model), or
 * with @req 0 one whose CQE nobody waits for (a cancel, say).
 */
struct io_uring_sqe *be_sqe_req(struct be_ctx *ctx, uint64_t req);

/* An SQE whose CQE goes to @ev->cqe(). */
struct io_uring_sqe *be_sqe_event(struct be_ctx *ctx, struct be_event *ev);

/*
 * Complete @req, queued by a submit() that returned 1, from a backend's
 * event; never from inside submit() (return 0 or -errno there instead).
 */
static inline void be_complete(struct be_ctx *ctx, uint64_t req, int res)
{
	ctx->complete(ctx, req, res);
}

/* For the ring's owner: hand a CQE tagged BE_UD_EVENT to its backend. */
void be_ctx_event(struct be_ctx *ctx, const struct io_uring_cqe *cqe);

#endif
