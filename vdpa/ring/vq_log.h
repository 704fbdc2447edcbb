/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-flight log that lets a new daemon take over a VDUSE device whose
 * daemon died or was upgraded (docs/reliability.md). It is a file,
 * /run/uvdpa/NAME.state, mapped shared, so every store the daemon made is
 * in it even after kill -9. It holds what the kernel cannot tell a new
 * daemon: the device status and features it saw, each queue's rings, the
 * ring positions, and which chains were popped but not yet used.
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

/* Next to the control sockets (uapi/uvdpa_ctl.h), and moved with them by UVDPA_RUN_DIR. */
#define VQ_LOG_DIR "/run/uvdpa"
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

/* What the device is; a log made for another device is refused. */
struct vq_log_params {
	const char *name;
	uint32_t nr_queues;
	uint32_t queue_size;
	uint64_t device_features;
	const void *config;
	uint32_t config_size;
};

struct vq_log {
	struct vq_log_hdr *hdr;
	size_t size;
	char path[256];
};

/* Where the log of device @name lives: $UVDPA_RUN_DIR or VQ_LOG_DIR, then NAME.state. */
int vq_log_path(const char *name, char *path, size_t len);
/* Start a fresh log for a new device: 0 or -errno. */
int vq_log_create(struct vq_log *log, const struct vq_log_params *p);
/*
 * Map the log a previous daemon left for the device: 0, -ENOENT when there
 * is none, or -ESTALE when it was made for another device (what differs in
 * @why), or another -errno.
 */
int vq_log_open(struct vq_log *log, const struct vq_log_params *p, char *why, size_t whylen);
/* Unmap; delete the file unless @keep (a planned upgrade keeps it for the next daemon). */
void vq_log_close(struct vq_log *log, bool keep);

static inline struct vq_log_vq *vq_log_queue(struct vq_log *log, unsigned int index)
{
	return &log->hdr->vq[index];
}

/* The control thread, before answering a status change. */
void vq_log_set_status(struct vq_log *log, uint8_t status, uint64_t driver_features);

/* A planned upgrade saved the log with nothing in flight (or a new daemon took it over). */
void vq_log_set_clean(struct vq_log *log, bool clean);

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
