// SPDX-License-Identifier: GPL-2.0
/*
 * The null backend: every request succeeds at once and nothing is stored.
 * Like the kernel's null_blk, reads leave the driver's buffer as it was.
 * It measures the cost of everything but storage.
 */
#include "backend/backend.h"

static void null_close(struct be *be)
{
}

static int null_submit(struct be *be, struct be_ctx *ctx,
		       const struct be_io *io, uint64_t req)
{
	return 0;
}

const struct be_ops be_null_ops = {
	.name = "null",
	.help = "no data, for benchmarks",
	.kind = BE_BLOCK,
	.takes = BE_OPT_SIZE,
	.needs = BE_OPT_SIZE,
	.open = be_init_fileless,
	.close = null_close,
	.attach = be_attach_none,
	.submit = null_submit,
};
