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
 * before the avail position moves past it, and unmarked only after its used
 * element is published (vq_log_recover() repairs the window in between).
 */
#ifndef UVDPA_VQ_LOG_H
#define UVDPA_VQ_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/virtqueue.h"

/* "uvdpast1" */
#define VQ_LOG_MAGIC 0x3174736170647675ULL
#define VQ_LOG_VERSION 1
#define VQ_LOG_CONFIG_MAX 256

struct vq_log_vq {
	uint64_t desc_addr;
	uint64_t driver_addr;
	uint64_t device_addr;
	uint16_t num;		/* 0: the queue is not running */
	uint16_t avail_idx;	/* next avail position to pop */
	uint16_t used_idx;	/* used position after the last committed element */
	uint8_t avail_wrap;	/* packed wrap counters */
	uint8_t used_wrap;
	uint64_t inflight[VQ_MAX_SIZE / 64];	/* by head index / buffer ID */
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
/* The worker: chain @id was popped, leaving the ring at @st. */
void vq_log_pop(struct vq_log_vq *v, uint16_t id, const struct vq_state *st);
/* The worker, after publishing: chains @ids[0, n) are used, the ring at @st. */
void vq_log_commit(struct vq_log_vq *v, const uint16_t *ids, unsigned int n,
		   const struct vq_state *st);
/*
 * The worker of a new daemon, with @vq mapped and before vq_set_state():
 * repair what a crash between two stores left, and fill @st with where to
 * carry on. Returns the number of chains to pop again with vq_pop_id(),
 * -EINVAL when the log is for a queue of another size, or -EOPNOTSUPP for a
 * packed queue that has chains in flight.
 */
int vq_log_recover(struct vq_log_vq *v, struct vq *vq, struct vq_state *st);
/* The first chain in flight with id >= @from, or -1. */
int vq_log_next(const struct vq_log_vq *v, unsigned int from);

#endif
