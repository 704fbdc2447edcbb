// SPDX-License-Identifier: GPL-2.0
/*
 * Taking over a VDUSE device whose daemon died or was upgraded.
 *
 * What the kernel (6.12, drivers/vdpa/vdpa_user/vduse_dev.c) does for us:
 * closing the device fd deregisters our bounce memory, copying its pages
 * back into kernel pages, and moves the messages read but not answered back
 * to the queue of messages to send; the device stays on the vdpa bus with
 * its status, negotiated features, ring addresses and kick eventfds. Only
 * one process may hold the fd (-EBUSY). VDUSE_VQ_GET_INFO reports the rings
 * and the state the driver set up, not how far the old daemon got: that is
 * in our log. A message left unanswered for msg_timeout (30 s by default)
 * breaks the device for good, so a new daemon must come within that time
 * of any configuration change by the driver (I/O has no such limit).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/vduse.h>
#include <linux/virtio_config.h>

#include "vduse/vduse_resume.h"

int vduse_resume_plan(int fd, const struct vq_log_hdr *h, unsigned int nr_queues,
		      uint64_t *features, struct vq_config *cfg, char *why, size_t whylen)
{
	/* The device must be the one the log describes, queue by queue. */
	struct vduse_vq_info info = { .index = nr_queues };
	unsigned int i;
	uint64_t f;

	if (ioctl(fd, VDUSE_DEV_GET_FEATURES, &f))
		return -errno;
	if (f != h->driver_features) {
		snprintf(why, whylen, "the driver negotiated %#llx, the log says %#llx",
			 (unsigned long long)f, (unsigned long long)h->driver_features);
		return -ESTALE;
	}
	if (!ioctl(fd, VDUSE_VQ_GET_INFO, &info)) {
		snprintf(why, whylen, "the device has more than %u queues", nr_queues);
		return -ESTALE;
	}
	for (i = 0; i < nr_queues; i++) {
		const struct vq_log_vq *v = &h->vq[i];

		info = (struct vduse_vq_info){ .index = i };
		if (ioctl(fd, VDUSE_VQ_GET_INFO, &info)) {
			snprintf(why, whylen, "the device has only %u queue(s)", i);
			return -ESTALE;
		}
		if (!info.ready != !v->num || (v->num && (info.num != v->num ||
		    info.desc_addr != v->desc_addr || info.driver_addr != v->driver_addr ||
		    info.device_addr != v->device_addr))) {
			snprintf(why, whylen,
				 "queue %u: %s, %u entries at %#llx on the device; not as in the log",
				 i, info.ready ? "ready" : "not ready", info.num,
				 (unsigned long long)info.desc_addr);
			return -ESTALE;
		}
		cfg[i] = (struct vq_config){
			.features = f,
			.num = v->num,
			.desc_addr = v->desc_addr,
			.driver_addr = v->driver_addr,
			.device_addr = v->device_addr,
		};
	}
	*features = f;
	return 0;
}
