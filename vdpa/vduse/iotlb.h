/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VDUSE IOTLB as a struct iova_xlate: IOVA ranges are looked up with
 * VDUSE_IOTLB_GET_FD on first use, mmapped and cached. The transport keeps
 * one cache per worker, which translates on the worker's thread alone and
 * so takes no lock; the control thread invalidates a cache only while its
 * worker is stopped.
 */
#ifndef UVDPA_IOTLB_H
#define UVDPA_IOTLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/iova.h"

struct iotlb_map {
	uint64_t start;
	uint64_t last;
	void *addr;
	size_t len;
	unsigned int access;	/* IOVA_READ / IOVA_WRITE */
};

struct iotlb {
	int dev_fd;
	/* The daemon's own memory for IOVA [0, umem_size): VDUSE's bounce buffer. */
	void *umem;
	uint64_t umem_size;
	/*
	 * Whether IOVA [0, umem_size) is that bounce buffer for the driver of
	 * the moment: only virtio_vdpa maps streaming DMA through it. A driver
	 * on vhost_vdpa puts its own memory at those IOVAs, and VDUSE keeps a
	 * departed vhost driver's maps beside the bounce map until the next
	 * reset, so the kernel's IOTLB cannot tell the two apart.
	 */
	bool umem_live;
	/*
	 * Written (an eventfd) the first time the region at IOVA 0 is mapped:
	 * VDUSE creates its bounce buffer only on the driver's first streaming
	 * DMA mapping, after DRIVER_OK. -1: nobody asked.
	 */
	int bounce_fd;
	bool bounce_seen;
	struct iotlb_map *maps;
	unsigned int nr;
	unsigned int cap;
};

void iotlb_init(struct iotlb *tlb, int dev_fd);
/* Unmap what overlaps [start, last]. */
void iotlb_invalidate(struct iotlb *tlb, uint64_t start, uint64_t last);
/*
 * A device reset: unmap everything, the bounce buffer is the kernel's until
 * iotlb_use_umem() says otherwise, and bounce_fd hears of its next mapping.
 */
void iotlb_reset(struct iotlb *tlb);
void iotlb_fini(struct iotlb *tlb);
/*
 * From now on IOVA [0, size) is @umem (VDUSE_IOTLB_REG_UMEM): translated
 * without a lookup while iotlb_use_umem() says so, and never dropped by
 * iotlb_invalidate().
 */
void iotlb_set_umem(struct iotlb *tlb, void *umem, uint64_t size);
/* Whether IOVA [0, umem_size) is the bounce buffer (see umem_live). */
void iotlb_use_umem(struct iotlb *tlb, bool use);
/* A translator over @tlb. */
struct iova_xlate iotlb_xlate(struct iotlb *tlb);

#endif
