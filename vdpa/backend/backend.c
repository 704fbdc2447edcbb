// SPDX-License-Identifier: GPL-2.0
/*
 * The table of backends.
 */
#include <errno.h>
#include <string.h>

#include "backend/backend.h"
#include "util/array_size.h"

static const struct be_ops *const be_table[] = {
	&be_file_ops,
	&be_null_ops,
	&be_ram_ops,
	&be_tap_ops,
	&be_nbd_ops,
	&be_rbd_ops,
};

const struct be_ops *be_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(be_table); i++)
		if (!strcmp(be_table[i]->name, name))
			return be_table[i];
	return NULL;
}

const struct be_ops *be_nth(enum be_kind kind, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < ARRAY_SIZE(be_table); j++)
		if (be_table[j]->kind == kind && !i--)
			return be_table[j];
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

int be_attach_none(struct be *be, struct be_ctx *ctx)
{
	return 0;
}
