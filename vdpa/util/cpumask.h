/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU masks as the kernel prints and parses them in sysfs ("%*pb"): hex in
 * 32-bit groups separated by commas, the highest group first ("3",
 * "ff,ffffffff").
 */
#ifndef UVDPA_CPUMASK_H
#define UVDPA_CPUMASK_H

#include <stddef.h>

/*
 * The CPU that is the (@n modulo the mask's weight)-th set in @text, the
 * lowest first; @weight gets the number of CPUs set. -EINVAL for text that
 * is not a mask, -ENOENT for an empty one.
 */
int cpumask_nth(const char *text, unsigned int n, unsigned int *weight);
/* Write the mask of @cpu alone into @buf: 0, or -ENOSPC. */
int cpumask_print_one(unsigned int cpu, char *buf, size_t len);

#endif
