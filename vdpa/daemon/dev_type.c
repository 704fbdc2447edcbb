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

void dev_type_print_stats(FILE *out, const char *type, const void *stats,
			  const struct dev_stat_field *fields, unsigned int nr)
{
	unsigned int i;

	fprintf(out, "dev=%s", type);
	for (i = 0; i < nr; i++)
		fprintf(out, " %s=%llu", fields[i].name, (unsigned long long)
			__atomic_load_n((const uint64_t *)((const char *)stats +
							   fields[i].offset), __ATOMIC_RELAXED));
	fputc('\n', out);
}
