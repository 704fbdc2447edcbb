// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "util/efd.h"

int efd_signal(int fd)
{
	uint64_t one = 1;

	/* An eventfd takes all 8 bytes or none. */
	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

bool efd_take(int fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) == sizeof(n);
}
