/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Byte ranges over iovecs: a device request's boundaries (headers, status
 * bytes, frames) need not match the descriptors the driver cut it into.
 */
#ifndef UVDPA_IOV_H
#define UVDPA_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/*
 * Take @len bytes off the front of *@iov, copying them to @buf unless it is
 * NULL; the iovecs are trimmed in place. Returns the bytes taken.
 */
size_t iov_take(struct iovec **iov, unsigned int *cnt, void *buf, size_t len);

/*
 * Copy @len bytes between @buf and the iovecs, starting @off bytes into
 * them. Return the bytes copied: fewer if the iovecs end first.
 */
size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, size_t off, void *buf,
		  size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int cnt, size_t off, const void *buf,
		    size_t len);

/*
 * Whether the first @len bytes of the iovecs are there and in memory: an
 * iovec with iov_base NULL stands for a piece the device cannot reach.
 */
bool iov_mapped(const struct iovec *iov, unsigned int cnt, size_t len);

#endif
