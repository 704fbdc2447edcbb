/* SPDX-License-Identifier: GPL-2.0 */
/* The number of elements of an array (not of a pointer), as the kernel's linux/array_size.h. */
#ifndef UVDPA_ARRAY_SIZE_H
#define UVDPA_ARRAY_SIZE_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
