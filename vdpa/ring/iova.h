/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address translation from the driver's I/O virtual addresses to host
 * pointers. The virtqueue engine reaches ring and buffer memory only through
 * this interface, so one engine serves VDUSE's mmapped IOTLB regions, a
 * test's plain memory, and any later transport.
 */
#ifndef UVDPA_IOVA_H
#define UVDPA_IOVA_H

#include <stdint.h>

enum iova_access {
	IOVA_READ = 1,		/* the device reads: driver-to-device data */
	IOVA_WRITE = 2,		/* the device writes: device-to-driver data */
};

struct iova_xlate {
	/*
	 * Translate [iova, iova + len), len > 0, for @access (IOVA_* bits).
	 * On success store the host address of @iova in *hva and the number
	 * of bytes contiguous in host memory from there in *mapped
	 * (1 <= *mapped <= len) and return 0: a range crossing mappings is
	 * translated piece by piece. Return -EFAULT when @iova is not mapped
	 * and -EACCES when it is mapped without every @access bit.
	 */
	int (*translate)(void *ctx, uint64_t iova, uint64_t len,
			 unsigned int access, void **hva, uint64_t *mapped);
	void *ctx;
};

/*
 * The simplest translator: a fixed table of regions, searched linearly.
 * Tests, the fuzzer and the benchmark use it; it is also the shape of a
 * VDUSE IOTLB with a handful of mmapped regions.
 */
struct iova_region {
	uint64_t iova;
	uint64_t size;
	void *hva;
	unsigned int access;
};

struct iova_table {
	const struct iova_region *regions;
	unsigned int nr;
};

/* struct iova_xlate::translate for a struct iova_table passed as @ctx. */
int iova_table_translate(void *ctx, uint64_t iova, uint64_t len,
			 unsigned int access, void **hva, uint64_t *mapped);

#endif
