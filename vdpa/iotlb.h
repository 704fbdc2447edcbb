/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VDUSE IOTLB as a struct iova_xlate: IOVA ranges are looked up with
 * VDUSE_IOTLB_GET_FD on first use, mmapped and cached. Each worker keeps its
 * own cache so that translation takes no lock; the control thread
 * invalidates a cache only while its worker is stopped.
 */
#ifndef UVDPA_IOTLB_H
#define UVDPA_IOTLB_H

#include <stddef.h>
#include <stdint.h>

#include "iova.h"

struct iotlb_map {
	uint64_t start;
	uint64_t last;
	void *addr;
	size_t len;
	unsigned int access;	/* IOVA_READ / IOVA_WRITE */
};

struct iotlb {
	int dev_fd;
	struct iotlb_map *maps;
	unsigned int nr;
	unsigned int cap;
};

void iotlb_init(struct iotlb *tlb, int dev_fd);
/* Unmap what overlaps [start, last]. */
void iotlb_invalidate(struct iotlb *tlb, uint64_t start, uint64_t last);
void iotlb_fini(struct iotlb *tlb);
/* A translator over @tlb. */
struct iova_xlate iotlb_xlate(struct iotlb *tlb);

#endif
