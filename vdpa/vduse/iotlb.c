// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vduse.h>

#include "util/efd.h"
#include "vduse/iotlb.h"

void iotlb_init(struct iotlb *tlb, int dev_fd)
{
	memset(tlb, 0, sizeof(*tlb));
	tlb->dev_fd = dev_fd;
	tlb->bounce_fd = -1;
}

static unsigned int access_of(__u8 perm)
{
	/* VDUSE_ACCESS_RO: the device may read; VDUSE_ACCESS_WO: it may write. */
	return (perm & VDUSE_ACCESS_RO ? IOVA_READ : 0) |
	       (perm & VDUSE_ACCESS_WO ? IOVA_WRITE : 0);
}

static int iotlb_fill(struct iotlb *tlb, uint64_t iova, struct iotlb_map **out)
{
	struct vduse_iotlb_entry e = { .start = iova, .last = iova };
	struct iotlb_map *m;
	int prot = 0, fd;
	void *addr;

	fd = ioctl(tlb->dev_fd, VDUSE_IOTLB_GET_FD, &e);
	if (fd < 0)
		return -EFAULT;
	if (e.start > iova || e.last < iova || e.last - e.start >= SIZE_MAX) {
		close(fd);
		return -EFAULT;
	}
	if (e.perm & VDUSE_ACCESS_RO)
		prot |= PROT_READ;
	if (e.perm & VDUSE_ACCESS_WO)
		prot |= PROT_WRITE;
	addr = mmap(NULL, e.last - e.start + 1, prot ? prot : PROT_NONE, MAP_SHARED, fd,
		    e.offset);
	close(fd);
	if (addr == MAP_FAILED)
		return -errno;
	if (tlb->nr == tlb->cap) {
		unsigned int cap = tlb->cap ? 2 * tlb->cap : 8;
		struct iotlb_map *maps = realloc(tlb->maps, cap * sizeof(*maps));

		if (!maps) {
			munmap(addr, e.last - e.start + 1);
			return -ENOMEM;
		}
		tlb->maps = maps;
		tlb->cap = cap;
	}
	if (!e.start && !tlb->bounce_seen && tlb->bounce_fd >= 0) {
		tlb->bounce_seen = !efd_signal(tlb->bounce_fd);
	}
	m = &tlb->maps[tlb->nr++];
	m->start = e.start;
	m->last = e.last;
	m->addr = addr;
	m->len = e.last - e.start + 1;
	m->access = access_of(e.perm);
	*out = m;
	return 0;
}

static int iotlb_translate(void *ctx, uint64_t iova, uint64_t len, unsigned int access,
			   void **hva, uint64_t *mapped)
{
	struct iotlb *tlb = ctx;
	struct iotlb_map *m = NULL;
	unsigned int i;
	uint64_t left;
	int ret;

	if (tlb->umem_live && iova < tlb->umem_size)
		goto umem;
	for (i = 0; i < tlb->nr; i++) {
		if (iova >= tlb->maps[i].start && iova <= tlb->maps[i].last) {
			m = &tlb->maps[i];
			break;
		}
	}
	if (!m) {
		ret = iotlb_fill(tlb, iova, &m);
		if (ret)
			return ret;
	}
	if ((m->access & access) != access)
		return -EACCES;
	*hva = (char *)m->addr + (iova - m->start);
	left = m->last - iova + 1;
	*mapped = len < left ? len : left;
	return 0;
umem:
	/* The bounce buffer is device-readable and -writable (VDUSE_ACCESS_RW). */
	*hva = (char *)tlb->umem + iova;
	left = tlb->umem_size - iova;
	*mapped = len < left ? len : left;
	return 0;
}

void iotlb_invalidate(struct iotlb *tlb, uint64_t start, uint64_t last)
{
	unsigned int i = 0;

	while (i < tlb->nr) {
		struct iotlb_map *m = &tlb->maps[i];

		if (m->start > last || m->last < start) {
			i++;
			continue;
		}
		munmap(m->addr, m->len);
		*m = tlb->maps[--tlb->nr];
	}
}

void iotlb_reset(struct iotlb *tlb)
{
	iotlb_invalidate(tlb, 0, UINT64_MAX);
	tlb->umem_live = false;
	tlb->bounce_seen = false;
}

void iotlb_fini(struct iotlb *tlb)
{
	iotlb_invalidate(tlb, 0, UINT64_MAX);
	free(tlb->maps);
	tlb->maps = NULL;
	tlb->cap = 0;
}

void iotlb_use_umem(struct iotlb *tlb, bool use)
{
	tlb->umem_live = use && tlb->umem_size;
}

void iotlb_set_umem(struct iotlb *tlb, void *umem, uint64_t size)
{
	/* Mappings of the kernel's bounce pages would fault from now on. */
	iotlb_invalidate(tlb, 0, size - 1);
	tlb->umem = umem;
	tlb->umem_size = size;
	tlb->umem_live = true;
}

struct iova_xlate iotlb_xlate(struct iotlb *tlb)
{
	return (struct iova_xlate){ .translate = iotlb_translate, .ctx = tlb };
}
