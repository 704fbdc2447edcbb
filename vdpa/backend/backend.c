// SPDX-License-Identifier: GPL-2.0
/*
 * The table of block backends, and the SQE helper they share.
 */
#include <errno.h>
#include <string.h>

#include "backend/backend.h"

static const struct be_ops *const be_table[] = {
	&be_file_ops,
	&be_null_ops,
	&be_ram_ops,
};

const struct be_ops *be_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(be_table) / sizeof(be_table[0]); i++)
		if (!strcmp(be_table[i]->name, name))
			return be_table[i];
	return NULL;
}

int be_init_fileless(struct be *be, const struct be_opts *opts)
{
	if (!opts->size || opts->size % 512)
		return -EINVAL;
	be->size = opts->size;
	be->block_size = 512;
	be->phys_block_size = 512;
	be->read_only = opts->read_only;
	be->discard = true;
	be->write_zeroes = true;
	be->fd = -1;
	be->priv = NULL;
	return 0;
}

int be_attach_none(struct be *be, struct io_uring *ring)
{
	return 0;
}

struct io_uring_sqe *be_get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (sqe)
		return sqe;
	/* Submitting hands the queued entries to the kernel and frees the SQ. */
	io_uring_submit(ring);
	return io_uring_get_sqe(ring);
}
