// SPDX-License-Identifier: GPL-2.0
/* The table of device types. */
#include <string.h>

#include "daemon/dev_type.h"
#include "util/array_size.h"

static const struct dev_type *const dev_types[] = {
	&dev_type_blk,
	&dev_type_net,
};

const struct dev_type *dev_type_nth(unsigned int i)
{
	return i < ARRAY_SIZE(dev_types) ? dev_types[i] : NULL;
}

const struct dev_type *dev_type_find(const char *name)
{
	const struct dev_type *t;
	unsigned int i;

	for (i = 0; (t = dev_type_nth(i)); i++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
