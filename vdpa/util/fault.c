// SPDX-License-Identifier: GPL-2.0
/* The test build's fault points: see fault.h. */
#ifdef UVDPA_FAULTS
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/fault.h"

static atomic_uint passes;

/* N of UVDPA_FAULT=POINT:N when it names @point, else 0. */
static unsigned int fault_n(const char *point)
{
	const char *spec = getenv("UVDPA_FAULT");
	size_t len = strlen(point);

	if (!spec || strncmp(spec, point, len) || spec[len] != ':')
		return 0;
	return strtoul(spec + len + 1, NULL, 10);
}

bool fault(const char *point)
{
	unsigned int n = fault_n(point);

	return n && atomic_fetch_add(&passes, 1) + 1 == n;
}

unsigned int fault_value(const char *point, unsigned int value)
{
	unsigned int n = fault_n(point);

	return n ? n : value;
}
#endif
