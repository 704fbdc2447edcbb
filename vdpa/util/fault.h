/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Failures a test can ask for, in the test build only (make SAN=1 defines
 * UVDPA_FAULTS): the paths that handle an io_uring error, a missing SQE or a
 * thread that stops answering are otherwise never taken. The environment
 * says which, as UVDPA_FAULT=POINT:N: fault(POINT) is true on its Nth pass
 * only, and fault_value(POINT, v) is N instead of v. In every other build
 * both are constants and the compiler drops them.
 */
#ifndef UVDPA_FAULT_H
#define UVDPA_FAULT_H

#include <stdbool.h>

#ifdef UVDPA_FAULTS
bool fault(const char *point);
unsigned int fault_value(const char *point, unsigned int value);
#else
static inline bool fault(const char *point)
{
	return false;
}

static inline unsigned int fault_value(const char *point, unsigned int value)
{
	return value;
}
#endif

#endif
