/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-flight log that lets a new daemon take over a VDUSE device whose
 * daemon died or was upgraded (docs/reliability.md): its layout, the stores
 * that keep it, and the recovery of a queue from it. The memory it lives in
 * is the daemon's business (daemon/state_file.h maps a file shared, so every
 * store the daemon made is in it even after kill -9). It holds what the
 * kernel cannot tell a new daemon: the device status and features it saw,
 * each queue's rings, the ring positions, and which chains were popped but
 * not yet used.
 *
 * Each queue's part is written only by the worker serving it (or by the
 * control thread while that worker is stopped), in an order that a crash
 * between any two stores leaves recoverable: a chain is marked in flight
 * (a packed one with its descriptors) before the avail position moves past
 * it, and unmarked only after its used element is published
 * (vq_log_recover() repairs the window in between).
 */
#ifndef UVDPA_VQ_LOG_H
#define UVDPA_VQ_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/virtqueue.h"

/* "uvdpast1" */
#define VQ_LOG_MAGIC 0x3174736170647675ULL
/* 2: packed positions with their wrap counter in bit 15; chains kept for packed rings. */
#define VQ_LOG_VERSION 2
#define VQ_LOG_CONFIG_MAX 256
/* Packed positions: the wrap counter in bit 15, as in VDUSE's and the spec's off_wrap. */
#define VQ_LOG_WRAP 0x8000

/* One ring descriptor of a packed chain in flight, as the device popped it. */
struct vq_log_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;		/* the chain's next entry in vq_log_vq.desc */
};

/* Where a packed chain in flight is kept: one 32-bit store. */
struct vq_log_chain {
	uint16_t first;		/* entry in vq_log_vq.desc */
	uint16_t count;		/* ring descriptors it took */
};

struct vq_log_vq {
	uint64_t desc_addr;
	uint64_t driver_addr;
	uint64_t device_addr;
	uint16_t num;		/* 0: the queue is not running */
	uint16_t avail_idx;	/* next avail position to pop (packed: | VQ_LOG_WRAP) */
	uint16_t used_idx;	/* used position after the last committed element (same) */
	uint16_t next_used;	/* packed: used_idx once the batch in done[] is published */
	uint64_t inflight[VQ_MAX_SIZE / 64];	/* by head index / buffer ID */
	uint64_t done[VQ_MAX_SIZE / 64];	/* packed: the batch being published */
	/*
	 * Packed only: the device writes used elements over the descriptors
	 * of chains still in flight (they finish out of order), so a copy of
	 * each chain's ring descriptors is kept here, by buffer ID, in entries
	 * of a pool that only the daemon's memory says are free. The file is
	 * sparse: a split queue never touches these pages, a packed one only
	 * as many entries as it has descriptors in flight.
	 */
	struct vq_log_chain chain[VQ_MAX_SIZE];
	struct vq_log_desc desc[VQ_MAX_SIZE];
};

struct vq_log_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t nr_queues;
	uint32_t queue_size;
	uint32_t config_size;
	uint64_t device_features;	/* offered */
	uint64_t driver_features;	/* negotiated; valid with DRIVER_OK */
	uint8_t status;			/* the last status the kernel set and we answered */
	uint8_t clean;			/* saved by a planned upgrade: nothing in flight */
	uint8_t reserved[6];
	uint8_t config[VQ_LOG_CONFIG_MAX];
	struct vq_log_vq vq[];
};

/*
 * The worker's handle on one queue's part of the log, in its own memory:
 * which desc[] entries no chain in flight uses (packed), rebuilt from the
 * log by vq_log_start() or vq_log_recover().
 */
struct vq_logger {
	struct vq_log_vq *v;
	uint16_t *free;
	unsigned int nr_free;
	struct vring_packed_desc *scratch;	/* a chain copied back, for vq_log_pop_again() */
};

/* Bytes of a log for @nr_queues queues. */
static inline size_t vq_log_size(uint32_t nr_queues)
{
	return sizeof(struct vq_log_hdr) + (size_t)nr_queues * sizeof(struct vq_log_vq);
}

static inline struct vq_log_vq *vq_log_queue(struct vq_log_hdr *log, unsigned int index)
{
	return &log->vq[index];
}

/* The control thread, before answering a status change. */
void vq_log_set_status(struct vq_log_hdr *log, uint8_t status, uint64_t driver_features);

/* A planned upgrade saved the log with nothing in flight (or a new daemon took it over). */
void vq_log_set_clean(struct vq_log_hdr *log, bool clean);

/* The control thread at DRIVER_OK: queue @v starts afresh from @cfg and @st (@cfg NULL: not ready). */
void vq_log_reset(struct vq_log_vq *v, const struct vq_config *cfg, const struct vq_state *st);

/*
 * The worker, starting queue @vq afresh (after vq_log_reset()) with @l
 * keeping @v: 0 or -ENOMEM. vq_log_stop() when the queue stops.
 */
int vq_log_start(struct vq_logger *l, struct vq_log_vq *v, const struct vq *vq);
void vq_log_stop(struct vq_logger *l);

/*
 * The worker, right after vq_pop() gave @c: mark it in flight, keeping
 * what a new daemon needs to pop it again. 0, or -ENOSPC when a packed
 * driver has more descriptors in flight than the queue holds (it wrote
 * over some still in flight).
 */
int vq_log_pop(struct vq_logger *l, const struct vq *vq, const struct vq_chain *c);
/*
 * The worker: publish @vq's staged used elements, which end chains
 * @ids[0, n), and unmark them, in an order a crash between any two stores
 * leaves recoverable. Every publish of a logged queue goes through here.
 */
void vq_log_publish(struct vq_logger *l, struct vq *vq, const uint16_t *ids, unsigned int n);
/*
 * The worker of a new daemon, with @vq mapped and before vq_set_state():
 * repair what a crash between two stores of @v left, start @l on it and
 * fill @st with where to carry on. Returns the number of chains to pop
 * again with vq_log_pop_again(), -ENOMEM, -EINVAL when the log is for a
 * queue of another size, or -EBADMSG when it cannot be trusted (what is
 * wrong in @why).
 */
int vq_log_recover(struct vq_logger *l, struct vq_log_vq *v, struct vq *vq,
		   struct vq_state *st, char *why, size_t whylen);
/* Pop chain @id in flight again, from the ring (split) or the log (packed): as vq_pop_id(). */
int vq_log_pop_again(struct vq_logger *l, struct vq *vq, uint16_t id, struct vq_chain *c);
/* The first chain in flight with id >= @from, or -1. */
int vq_log_next(const struct vq_log_vq *v, unsigned int from);

#endif
