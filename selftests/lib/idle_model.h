/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device model that never gets a request, for tests of the control path
 * on real workers: their queues stay as the driver left them (never set
 * up), and nothing but a command makes a worker do anything.
 */
#ifndef UVDPA_SELFTESTS_IDLE_MODEL_H
#define UVDPA_SELFTESTS_IDLE_MODEL_H

#include "worker/device.h"

static inline void idle_req_init(void *dev, struct dev_req *req)
{
}

static inline int idle_start(void *dev, struct dev_req *req, struct be_ctx *ctx)
{
	return 0;
}

static inline int idle_complete(void *dev, struct dev_req *req, int res, struct be_ctx *ctx)
{
	return 0;
}

static const struct dev_model idle_model = {
	.req_size = sizeof(struct dev_req),
	.req_init = idle_req_init,
	.start = idle_start,
	.complete = idle_complete,
};

#endif
