// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_setup_buf_ring() and io_uring_free_buf_ring() for a liburing
 * older than 2.4 (bookworm has 2.3), which has only the registration call
 * under them. tools/bench/kublk/build links this into the kernel's ublk selftest
 * server only when the installed liburing lacks the pair; the server uses
 * them for its batch mode, which the benchmarks do not run, but it must link.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <liburing.h>
#include "uring-buf-ring.h"

static size_t buf_ring_bytes(unsigned int nentries)
{
	return (size_t)nentries * sizeof(struct io_uring_buf);
}

struct io_uring_buf_ring *io_uring_setup_buf_ring(struct io_uring *ring,
						  unsigned int nentries,
						  int bgid, unsigned int flags,
						  int *ret)
{
	struct io_uring_buf_reg reg;
	struct io_uring_buf_ring *br;
	int err;

	br = mmap(NULL, buf_ring_bytes(nentries), PROT_READ | PROT_WRITE,
		  MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (br == MAP_FAILED) {
		*ret = -errno;
		return NULL;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = nentries;
	reg.bgid = bgid;
	err = io_uring_register_buf_ring(ring, &reg, flags);
	if (err) {
		munmap(br, buf_ring_bytes(nentries));
		*ret = err;
		return NULL;
	}
	io_uring_buf_ring_init(br);
	*ret = 0;
	return br;
}

int io_uring_free_buf_ring(struct io_uring *ring, struct io_uring_buf_ring *br,
			   unsigned int nentries, int bgid)
{
	int err = io_uring_unregister_buf_ring(ring, bgid);

	if (err)
		return err;
	munmap(br, buf_ring_bytes(nentries));
	return 0;
}
