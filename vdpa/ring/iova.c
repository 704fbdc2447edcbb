// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "ring/iova.h"

int iova_table_translate(void *ctx, uint64_t iova, uint64_t len,
			 unsigned int access, void **hva, uint64_t *mapped)
{
	const struct iova_table *t = ctx;
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		const struct iova_region *r = &t->regions[i];
		uint64_t off = iova - r->iova;

		/* Unsigned wrap makes iova < r->iova fail this test too. */
		if (off >= r->size)
			continue;
		if ((r->access & access) != access)
			return -EACCES;
		*hva = (char *)r->hva + off;
		*mapped = r->size - off < len ? r->size - off : len;
		return 0;
	}
	return -EFAULT;
}
