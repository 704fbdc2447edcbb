// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/iov.h"

size_t iov_take(struct iovec **iov, unsigned int *cnt, void *buf, size_t len)
{
	size_t taken = 0, n;

	while (*cnt && len) {
		n = (*iov)->iov_len < len ? (*iov)->iov_len : len;
		if (buf)
			memcpy((uint8_t *)buf + taken, (*iov)->iov_base, n);
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
		taken += n;
		len -= n;
		if (!(*iov)->iov_len) {
			(*iov)++;
			(*cnt)--;
		}
	}
	return taken;
}

static size_t iov_copy(const struct iovec *iov, unsigned int cnt, size_t off, uint8_t *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0, n;
	unsigned int i;

	for (i = 0; i < cnt && done < len; i++) {
		uint8_t *base = iov[i].iov_base;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - off;
		if (n > len - done)
			n = len - done;
		if (to_iov)
			memcpy(base + off, buf + done, n);
		else
			memcpy(buf + done, base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, cnt, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int cnt, size_t off, const void *buf,
		    size_t len)
{
	/* Only the iovecs are written to. */
	return iov_copy(iov, cnt, off, (uint8_t *)buf, len, true);
}

bool iov_mapped(const struct iovec *iov, unsigned int cnt, size_t len)
{
	unsigned int i;

	for (i = 0; i < cnt && len; i++) {
		if (!iov[i].iov_base && iov[i].iov_len)
			return false;
		len -= iov[i].iov_len < len ? iov[i].iov_len : len;
	}
	return !len;
}
