/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the VDUSE transport (vduse_dev.c): what a new daemon reads
 * from the device and the in-flight log before it serves a device whose
 * daemon died or was upgraded. A leaf: it asks the kernel and the log, and
 * returns per-queue configuration for vduse_dev.c to hand to its workers.
 */
#ifndef UVDPA_VDUSE_RESUME_H
#define UVDPA_VDUSE_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "ring/virtqueue.h"
#include "ring/vq_log.h"

/*
 * Whether the running device behind @fd, with @nr_queues queues, is the one
 * @h describes: 0 with the negotiated features in *features and in cfg[i]
 * how to serve queue i again (num 0: it was not running); -ESTALE with the
 * difference in @why; or the kernel's -errno.
 */
int vduse_resume_plan(int fd, const struct vq_log_hdr *h, unsigned int nr_queues,
		      uint64_t *features, struct vq_config *cfg, char *why, size_t whylen);

#endif
