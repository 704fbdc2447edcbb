/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small virtio driver over /dev/vhost-vdpa-N: the "guest" of the vhost
 * tests, doing from userspace what a VMM does for its guest. Guest memory is
 * memfd regions mapped into the device's IOVA space with vhost IOTLB
 * messages (VHOST_BACKEND_F_IOTLB_MSG_V2); vhost-vdpa hands VDUSE only
 * shared file-backed memory, so private anonymous memory would map without
 * error and yet stay invisible to the device. The rings are laid out by
 * hand, so a test can also publish whatever a hostile driver would.
 */
#ifndef VHOST_GUEST_H
#define VHOST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#define VG_MAX_REGIONS 4
#define VG_MAX_QUEUES 2

struct vg_region {
	uint64_t iova;
	size_t size;
	char *va;
	int memfd;
	bool mapped;
	size_t used;		/* bump allocator */
};

struct vg_queue {
	uint16_t num;
	uint64_t desc_iova, driver_iova, device_iova;
	int kick_fd;
	int call_fd;
	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;
	uint16_t last_used;
	/* packed */
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *pdriver;
	uint16_t next_avail;
	bool avail_wrap;
	uint16_t next_used;
	bool used_wrap;
	uint16_t next_id;
	uint16_t *chain_len;	/* packed: slots each buffer ID took */
	unsigned int outstanding;
	/* Per-request scratch: blk header + status, and indirect tables. */
	uint64_t hdr_iova;
	char *hdr;
	uint64_t table_iova;
	char *table;
	unsigned int next;
	uint16_t next_desc;	/* split: descriptors go out in ring order */
};

struct vg {
	int fd;
	uint32_t device_id;
	uint64_t device_features;
	uint64_t features;	/* negotiated */
	uint64_t backend_features;	/* 1 << VHOST_BACKEND_F_*, negotiated */
	bool packed;
	bool indirect;
	uint16_t max_queue_size;
	/* Enable the queues only after DRIVER_OK, as QEMU's virtio-net does. */
	bool enable_late;
	struct vg_region regions[VG_MAX_REGIONS];
	unsigned int nr_regions;
	struct vg_queue queues[VG_MAX_QUEUES];
	unsigned int nr_queues;
};

/* A buffer of a chain: IOVA, length, and whether the device writes it. */
struct vg_buf {
	uint64_t iova;
	uint32_t len;
	bool write;
};

/* Open @path, take ownership, and ask for IOTLB_MSG_V2. 0 or -errno. */
int vg_open(struct vg *g, const char *path);
/* Reset the device, close the fd, unmap and free every region. */
void vg_close(struct vg *g);

/* A new memfd region of @size bytes at @iova, mapped into the IOTLB. */
int vg_add_region(struct vg *g, uint64_t iova, size_t size);
/* IOTLB invalidate / update of region @r, at its (possibly new) iova. */
int vg_unmap(struct vg *g, unsigned int r);
int vg_map(struct vg *g, unsigned int r);
/* @len bytes from region @r aligned to @align: host pointer, IOVA in *iova. */
void *vg_alloc(struct vg *g, unsigned int r, size_t len, size_t align, uint64_t *iova);
/* Host address of @iova, NULL when no region holds it. */
void *vg_ptr(struct vg *g, uint64_t iova);

/*
 * Reset and bring the device up: negotiate @features (masked by what the
 * device offers; VERSION_1 and ACCESS_PLATFORM always), @nr_queues queues of
 * @size entries with rings in region @r, and, if @driver_ok, DRIVER_OK
 * (queues enabled before it, or after it with enable_late).
 */
int vg_start(struct vg *g, uint64_t features, unsigned int nr_queues, uint16_t size,
	     unsigned int r, bool driver_ok);
int vg_set_status(struct vg *g, uint8_t status);
/* VHOST_VDPA_SET_VRING_ENABLE on queue @q: enable it (@on) or disable it. */
int vg_enable(struct vg *g, unsigned int q, bool on);
/*
 * VHOST_GET_VRING_BASE of queue @q: split, the device's next available
 * index; packed, its next available slot and wrap counter in the low half,
 * its next used ones in the high half.
 */
int vg_vring_base(struct vg *g, unsigned int q, uint32_t *base);
/* VHOST_VDPA_SUSPEND: -EOPNOTSUPP where the device cannot be suspended. */
int vg_suspend(struct vg *g);
int vg_get_status(struct vg *g, uint8_t *status);
int vg_get_config(struct vg *g, unsigned int off, void *buf, unsigned int len);

/*
 * Post one chain on queue @q (indirect when the feature is negotiated and
 * @indirect is set, with the table allocated in region @r) and kick.
 * Returns the buffer ID (split: head index) or -errno.
 */
int vg_post(struct vg *g, unsigned int q, const struct vg_buf *bufs, unsigned int n,
	    bool indirect, unsigned int r);
void vg_kick(struct vg *g, unsigned int q);
/*
 * Wait up to @ms for the next used element of @q: 1 with *id and *len set,
 * 0 on timeout.
 */
int vg_wait_used(struct vg *g, unsigned int q, uint32_t *id, uint32_t *len, int ms);
/* Whether a used element is waiting, without waiting. */
bool vg_used_pending(struct vg *g, unsigned int q);
/*
 * A storm: every chain used so far on @q made available again at once,
 * unchanged, without a kick (split ring only). How many.
 */
unsigned int vg_repost_used(struct vg *g, unsigned int q);

/*
 * virtio-blk: post a request (VIRTIO_BLK_T_IN/OUT) of @len bytes at @sector
 * with the data at @data_iova, header and status in scratch memory of the
 * queue; *status points at the status byte (0xff until the device writes
 * it). Returns the buffer ID or -errno.
 */
int vg_blk_post(struct vg *g, unsigned int q, uint32_t type, uint64_t sector,
		uint64_t data_iova, uint32_t len, bool indirect, unsigned int r,
		uint8_t **status);
/*
 * virtio-blk: one request (VIRTIO_BLK_T_IN/OUT) of @len bytes at @sector
 * with the data at @data_iova; header and status from region @r. Waits for
 * it; returns the status byte, or -errno (-ETIMEDOUT).
 */
int vg_blk_rw(struct vg *g, unsigned int q, uint32_t type, uint64_t sector,
	      uint64_t data_iova, uint32_t len, bool indirect, unsigned int r);

#endif
