/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of uring-buf-ring.c, forced into the ublk selftest server's
 * sources with gcc -include when liburing.h lacks them: an implicit
 * declaration would return int and cut the returned pointer to 32 bits.
 */
#ifndef UVDPA_URING_BUF_RING_H
#define UVDPA_URING_BUF_RING_H

/* Declared, not included: liburing.h here would bring in its own copy of
 * <linux/io_uring.h> ahead of the newer kernel headers the server needs. */
struct io_uring;
struct io_uring_buf_ring;

struct io_uring_buf_ring *io_uring_setup_buf_ring(struct io_uring *ring,
						  unsigned int nentries,
						  int bgid, unsigned int flags,
						  int *ret);
int io_uring_free_buf_ring(struct io_uring *ring, struct io_uring_buf_ring *br,
			   unsigned int nentries, int bgid);
#endif
