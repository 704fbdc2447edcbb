// SPDX-License-Identifier: GPL-2.0
/* The SQE funnel and the routing of a worker's CQEs to backends. */
#include "backend/be_ctx.h"
#include "util/fault.h"

struct io_uring_sqe *be_get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe;

	if (fault("sqe"))
		return NULL;
	sqe = io_uring_get_sqe(ring);
	if (sqe)
		return sqe;
	/* Submitting hands the queued entries to the kernel and frees the SQ. */
	io_uring_submit(ring);
	return io_uring_get_sqe(ring);
}

struct io_uring_sqe *be_sqe_req(struct be_ctx *ctx, uint64_t req)
{
	struct io_uring_sqe *sqe = be_get_sqe(ctx->ring);

	if (sqe)
		io_uring_sqe_set_data64(sqe, req);
	return sqe;
}

struct io_uring_sqe *be_sqe_event(struct be_ctx *ctx, struct be_event *ev)
{
	struct io_uring_sqe *sqe = be_get_sqe(ctx->ring);

	if (sqe)
		io_uring_sqe_set_data64(sqe, (uintptr_t)ev | BE_UD_EVENT);
	return sqe;
}

void be_ctx_event(struct be_ctx *ctx, const struct io_uring_cqe *cqe)
{
	struct be_event *ev = (struct be_event *)(uintptr_t)(cqe->user_data & ~BE_UD_MASK);

	ev->cqe(ev, ctx, cqe);
}
