/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtqueue engine: the device side of the split and packed rings of
 * virtio 1.x (spec sections 2.7 and 2.8), hardened against a driver that
 * writes anything it likes into ring memory. It reaches memory only through
 * struct iova_xlate and knows nothing of the transport.
 *
 * A device model pops chains, processes their iovecs, pushes used elements
 * (staged until vq_publish()), then asks vq_need_interrupt(). Any driver
 * error found while popping is sticky: every later call returns it until
 * vq_init() runs again, and the transport reports VIRTIO_CONFIG_S_NEEDS_RESET.
 * A struct vq is used by one thread at a time.
 */
#ifndef UVDPA_VIRTQUEUE_H
#define UVDPA_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "ring/iova.h"

/* Largest queue size: packed rings keep positions in 15 bits (2.8.10). */
#define VQ_MAX_SIZE 32768

struct vq_config {
	uint64_t features;	/* negotiated VIRTIO_F_* / VIRTIO_RING_F_* bits */
	uint16_t num;		/* queue size; a power of 2 for the split ring */
	uint64_t desc_addr;	/* IOVA of the descriptor area */
	uint64_t driver_addr;	/* avail ring, or driver event suppression */
	uint64_t device_addr;	/* used ring, or device event suppression */
};

/*
 * One available buffer. The caller provides iov[max_iov]; vq_pop() fills
 * iov[0, out_num) with what the device reads and iov[out_num, out_num +
 * in_num) with what it writes, ready for readv/writev/io_uring. A
 * descriptor spanning two mappings yields two iovecs, so max_iov should
 * leave room beyond the longest chain the device accepts.
 *
 * A chain whose structure is sound but whose data the device cannot reach
 * is still popped, so that the device can answer it (an error status, a
 * dropped frame) and the queue goes on: bad says why, and the pieces that
 * could not be translated keep their place with iov_base NULL. Pieces
 * beyond max_iov are not kept, except that the last iovec always holds the
 * chain's last piece, where a status byte lives (5.2.6).
 */
struct vq_chain {
	struct iovec *iov;
	unsigned int max_iov;
	unsigned int out_num;
	unsigned int in_num;
	uint64_t out_len;
	uint64_t in_len;
	/* Buffer descriptors (those of an indirect table included), and the longest. */
	unsigned int desc_num;
	uint32_t desc_max;
	/*
	 * 0, or the first data fault: -EFAULT for a piece not mapped, -EACCES
	 * for one mapped without the access the device needs, -ENOBUFS for
	 * more pieces than max_iov.
	 */
	int bad;
	/* Opaque: give it back to vq_push(). */
	uint32_t token;
	/* Head descriptor index (split) or buffer ID (packed). */
	uint16_t id;
};

/*
 * Ring positions, as VDUSE_VQ_GET_INFO reports them. Split: avail_idx is the
 * free-running last avail index; the used index is read from the used ring
 * on vq_set_state(). Packed: positions in [0, num) and wrap counters.
 */
struct vq_state {
	uint16_t avail_idx;
	bool avail_wrap;
	uint16_t used_idx;
	bool used_wrap;
};

struct vq {
	/* Private: read through the functions below. */
	uint16_t num;
	bool packed;
	bool event_idx;
	bool indirect;
	bool in_order;
	bool notify;
	int error;
	uint16_t last_avail;
	bool avail_wrap;
	uint16_t avail_shadow;
	uint16_t used_idx;
	bool used_wrap;
	unsigned int staged;
	uint16_t staged_head;
	uint16_t staged_flags;
	uint16_t event_written;
	bool event_valid;
	uint16_t signalled;
	bool signalled_wrap;
	uint32_t since_signal;
	union {
		struct {
			struct vring_desc *desc;
			struct vring_avail *avail;
			struct vring_used *used;
		} split;
		struct {
			struct vring_packed_desc *desc;
			struct vring_packed_desc_event *driver;
			struct vring_packed_desc_event *device;
		} pk;
	};
	struct iova_xlate xlate;
	uint64_t *inflight;
	unsigned int inflight_count;
	uint32_t *order;
	uint16_t pop_seq;
	uint16_t push_seq;
	/* What vq_strerror() says about the last fault (vq_fault.c). */
	struct vq_fault_info {
		int err;
		uint8_t kind;
		uint16_t desc;
		int32_t ind;
		uint32_t value;
		uint32_t limit;
		uint64_t addr;
	} fault;
};

/*
 * Map the rings of @cfg through @xlate (kept by value) and start with ring
 * positions zero and kick notifications enabled. -EINVAL for a bad size or
 * misaligned ring, -EFAULT/-EACCES for a ring that is not mapped
 * contiguously with the access the device needs, -ENOMEM.
 */
int vq_init(struct vq *vq, const struct vq_config *cfg,
	    const struct iova_xlate *xlate);
void vq_fini(struct vq *vq);

/*
 * Take the next available chain: 1 and @chain filled, 0 when none is
 * available, or a negative errno (see docs/virtqueue.md) that breaks the
 * queue. With kick notifications enabled, 0 also arms them so the driver
 * kicks for the next buffer.
 */
int vq_pop(struct vq *vq, struct vq_chain *chain);

/*
 * Stage the used element for @token with @len bytes written; the driver
 * sees staged elements only after vq_publish(). -ENOENT if @token is not in
 * flight, -EINVAL if VIRTIO_F_IN_ORDER is negotiated and @token is not the
 * oldest chain in flight.
 */
int vq_push(struct vq *vq, uint32_t token, uint32_t len);

/* Make every staged used element visible with one release store. */
void vq_publish(struct vq *vq);

/*
 * Publish what is staged and tell whether the driver wants a used buffer
 * notification for what was published since the previous call.
 */
bool vq_need_interrupt(struct vq *vq);

/* Ask the driver not to kick (a hint: kicks may still arrive). */
void vq_disable_notify(struct vq *vq);

/*
 * Ask the driver to kick again, then look at the ring once more: 1 if a
 * chain became available meanwhile (the caller must pop it, as no kick
 * will come for it), 0 if not, or the queue's error.
 */
int vq_enable_notify(struct vq *vq);

/* The sticky error, or 0. */
int vq_error(const struct vq *vq);

/*
 * @err, returned by a call on @vq, in words for a log line: which field of
 * which descriptor was wrong when the ring engine found it
 * ("descriptor 17: readable after writable"), or strerror() for an error
 * that names no field. Returns @buf.
 */
const char *vq_strerror(const struct vq *vq, int err, char *buf, size_t len);

void vq_get_state(const struct vq *vq, struct vq_state *state);

/*
 * Restart from @state (before any pop, or after VDUSE reconnect): forgets
 * chains in flight and staged elements. -EINVAL for a packed position
 * outside [0, num).
 */
int vq_set_state(struct vq *vq, const struct vq_state *state);

/*
 * Reconnect support, split ring only (-EOPNOTSUPP on a packed ring, whose
 * used elements overwrite descriptors of chains still in flight: the
 * in-flight log keeps a copy of those, ring/vq_log.h).
 *
 * vq_pop_id(): take chain @id again, as popped before a restart of the
 * device (after vq_set_state()): 1 and @chain filled, or a negative errno
 * that breaks the queue.
 * vq_avail_id(): the head the driver put at avail position @idx, or
 * -ENOENT when it has not made that position available yet, -ERANGE for a
 * head outside the queue.
 * vq_used_id(): the head of the used element at used position @idx, which
 * the device wrote; -ENOENT when @idx is not published yet.
 */
int vq_pop_id(struct vq *vq, uint16_t id, struct vq_chain *chain);
int vq_avail_id(struct vq *vq, uint16_t idx);
int vq_used_id(struct vq *vq, uint16_t idx);

/* How many chains are popped and not yet pushed. */
unsigned int vq_inflight_count(const struct vq *vq);
/* The queue size given to vq_init(). */
unsigned int vq_size(const struct vq *vq);

#endif
