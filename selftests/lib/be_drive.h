/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A backend driven as a worker drives it, for native backend tests: a real
 * io_uring, the backend's CQEs routed back to it, requests that record how
 * they ended. The test's be_ctx has .complete = t_complete.
 */
#ifndef UVDPA_BE_DRIVE_H
#define UVDPA_BE_DRIVE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/uio.h>

#include "backend/backend.h"

struct t_req {
	bool done;
	int res;
};

static inline void t_complete(struct be_ctx *ctx, uint64_t req, int res)
{
	struct t_req *r = (struct t_req *)(uintptr_t)req;

	r->done = true;
	r->res = res;
}

static inline long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Run @ctx's ring until every request in @r[0..n) is done (bounded): 0 or -ETIMEDOUT. */
static inline int be_wait(struct be_ctx *ctx, struct t_req *r, unsigned int n, int timeout_ms)
{
	struct __kernel_timespec ts = { .tv_nsec = 100 * 1000000 };
	long long end = now_ms() + timeout_ms;
	struct io_uring_cqe *cqe;
	unsigned int i;

	for (;;) {
		for (i = 0; i < n && r[i].done; i++)
			;
		if (i == n)
			return 0;
		if (now_ms() > end)
			return -ETIMEDOUT;
		io_uring_submit_and_wait_timeout(ctx->ring, &cqe, 1, &ts, NULL);
		while (!io_uring_peek_cqe(ctx->ring, &cqe)) {
			struct io_uring_cqe c = *cqe;

			io_uring_cqe_seen(ctx->ring, cqe);
			if ((c.user_data & BE_UD_MASK) == BE_UD_EVENT)
				be_ctx_event(ctx, &c);
		}
	}
}

/* One request of @len bytes at @off: its result (bytes or -errno) once done. */
static inline int be_io_sync(struct be *be, struct be_ctx *ctx, enum be_op op, uint64_t off,
			     void *buf, size_t len)
{
	struct iovec v = { buf, len };
	struct be_io io = { .op = op, .offset = off, .len = len, .iov = &v, .iovcnt = 1 };
	struct t_req r = { 0 };
	int ret = be->ops->submit(be, ctx, &io, (uintptr_t)&r);

	if (ret <= 0)
		return ret ? ret : op == BE_READ || op == BE_WRITE ? (int)len : 0;
	if (be_wait(ctx, &r, 1, 30000))
		return -ETIMEDOUT;
	return r.res;
}

/* A pattern that differs per @seed and per sector. */
static inline void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

#endif
