// SPDX-License-Identifier: GPL-2.0
/*
 * The submission interface between models, backends and a worker's ring:
 * a request's CQE carries its handle, a backend's own CQE comes back to the
 * backend, a completion a backend reports later reaches the ring's owner,
 * and the SQE funnel never runs dry while the ring works.
 */
#include <errno.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "backend/be_ctx.h"

struct t_event {
	struct be_event ev;
	struct be_ctx *ctx;
	int res;
	unsigned int calls;
};

static void t_event_cqe(struct be_event *ev, struct be_ctx *ctx, const struct io_uring_cqe *cqe)
{
	struct t_event *t = (struct t_event *)ev;

	t->ctx = ctx;
	t->res = cqe->res;
	t->calls++;
}

struct t_done {
	uint64_t req;
	int res;
	unsigned int calls;
};

static void t_complete(struct be_ctx *ctx, uint64_t req, int res)
{
	struct t_done *d = ctx->owner;

	d->req = req;
	d->res = res;
	d->calls++;
}

FIXTURE(ctx) {
	struct io_uring ring;
	struct be_ctx ctx;
	struct t_done done;
};

FIXTURE_SETUP(ctx)
{
	memset(&self->done, 0, sizeof(self->done));
	ASSERT_EQ(0, io_uring_queue_init(4, &self->ring, 0));
	self->ctx = (struct be_ctx){ .ring = &self->ring, .complete = t_complete,
				     .owner = &self->done };
}

FIXTURE_TEARDOWN(ctx)
{
	io_uring_queue_exit(&self->ring);
}

/* Submit what is queued and take the next CQE's user_data and res. */
static int t_reap(struct io_uring *ring, struct io_uring_cqe *out)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit_and_wait(ring, 1);

	if (ret < 0)
		return ret;
	ret = io_uring_peek_cqe(ring, &cqe);
	if (ret)
		return ret;
	*out = *cqe;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

TEST_F(ctx, request_cqe_carries_the_handle)
{
	static uint64_t slot;
	struct io_uring_cqe cqe;
	struct io_uring_sqe *sqe = be_sqe_req(&self->ctx, (uintptr_t)&slot);

	ASSERT_NE(NULL, sqe);
	io_uring_prep_nop(sqe);
	ASSERT_EQ(0, t_reap(&self->ring, &cqe));
	EXPECT_EQ((uintptr_t)&slot, cqe.user_data);
	EXPECT_EQ(BE_UD_REQ, cqe.user_data & BE_UD_MASK);
}

TEST_F(ctx, backend_cqe_comes_back_to_the_backend)
{
	struct t_event ev = { .ev.cqe = t_event_cqe, .res = 1 };
	struct io_uring_cqe cqe;
	struct io_uring_sqe *sqe = be_sqe_event(&self->ctx, &ev.ev);

	ASSERT_NE(NULL, sqe);
	io_uring_prep_nop(sqe);
	ASSERT_EQ(0, t_reap(&self->ring, &cqe));
	ASSERT_EQ(BE_UD_EVENT, cqe.user_data & BE_UD_MASK);
	be_ctx_event(&self->ctx, &cqe);
	EXPECT_EQ(1, ev.calls);
	EXPECT_EQ(&self->ctx, ev.ctx);
	EXPECT_EQ(0, ev.res);
	EXPECT_EQ(0, self->done.calls);
}

TEST_F(ctx, later_completion_reaches_the_owner)
{
	be_complete(&self->ctx, 64, -EIO);
	EXPECT_EQ(1, self->done.calls);
	EXPECT_EQ(64, self->done.req);
	EXPECT_EQ(-EIO, self->done.res);
}

/* A full SQ is submitted to make room: models queue more than the ring holds. */
TEST_F(ctx, funnel_submits_a_full_sq)
{
	struct io_uring_cqe *cqe;
	unsigned int i, n = 0, head;

	for (i = 0; i < 6; i++) {
		struct io_uring_sqe *sqe = be_sqe_req(&self->ctx, 8 * (i + 1));

		ASSERT_NE(NULL, sqe) TH_LOG("SQE %u", i);
		io_uring_prep_nop(sqe);
	}
	ASSERT_LE(0, io_uring_submit_and_wait(&self->ring, 6));
	io_uring_for_each_cqe(&self->ring, head, cqe)
		n++;
	EXPECT_EQ(6, n);
}

TEST_HARNESS_MAIN
