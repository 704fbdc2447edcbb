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
#include <string.h>
#include <sys/ioctl.h>
#include <linux/virtio_config.h>

#include "util/log.h"
#include "vduse/vduse_dev.h"

/* The device must be the one the log describes, queue by queue. */
static int check_device(struct vduse_dev *d, const struct vq_log_hdr *h)
{
	struct vduse_vq_info info = { .index = d->nr_queues };
	unsigned int i;
	uint64_t f;

	if (ioctl(d->fd, VDUSE_DEV_GET_FEATURES, &f))
		return -errno;
	if (f != h->driver_features) {
		snprintf(d->why, sizeof(d->why), "the driver negotiated %#llx, the log says %#llx",
			 (unsigned long long)f, (unsigned long long)h->driver_features);
		return -ESTALE;
	}
	if (!ioctl(d->fd, VDUSE_VQ_GET_INFO, &info)) {
		snprintf(d->why, sizeof(d->why), "the device has more than %u queues",
			 d->nr_queues);
		return -ESTALE;
	}
	for (i = 0; i < d->nr_queues; i++) {
		const struct vq_log_vq *v = &h->vq[i];

		info = (struct vduse_vq_info){ .index = i };
		if (ioctl(d->fd, VDUSE_VQ_GET_INFO, &info)) {
			snprintf(d->why, sizeof(d->why), "the device has only %u queue(s)", i);
			return -ESTALE;
		}
		if (!info.ready != !v->num || (v->num && (info.num != v->num ||
		    info.desc_addr != v->desc_addr || info.driver_addr != v->driver_addr ||
		    info.device_addr != v->device_addr))) {
			snprintf(d->why, sizeof(d->why),
				 "queue %u: %s, %u entries at %#llx on the device; not as in the log",
				 i, info.ready ? "ready" : "not ready", info.num,
				 (unsigned long long)info.desc_addr);
			return -ESTALE;
		}
		if ((f & (1ULL << VIRTIO_F_RING_PACKED)) && vq_log_next(v, 0) >= 0) {
			snprintf(d->why, sizeof(d->why),
				 "queue %u: a packed ring with requests in flight cannot be resumed", i);
			return -EOPNOTSUPP;
		}
	}
	d->driver_features = f;
	return 0;
}

int vduse_dev_resume(struct vduse_dev *d)
{
	struct vq_log_hdr *h = d->log->hdr;
	unsigned int i, running = 0;
	int ret;

	d->status = h->status;
	/* Not running: the kernel re-sends whatever the old daemon did not answer. */
	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	ret = check_device(d, h);
	if (ret)
		return ret;
	for (i = 0; i < d->nr_queues; i++) {
		const struct vq_log_vq *v = &h->vq[i];
		struct vduse_vq_eventfd kick = { .index = i };
		struct wq *q = vduse_dev_queue(d, i);

		q->cfg.num = 0;
		if (!v->num)
			continue;
		/* The old daemon's eventfd is still the kernel's: replace it with ours. */
		kick.fd = q->kick_fd;
		if (ioctl(d->fd, VDUSE_VQ_SETUP_KICKFD, &kick))
			return -errno;
		q->cfg = (struct vq_config){
			.features = d->driver_features,
			.num = v->num,
			.desc_addr = v->desc_addr,
			.driver_addr = v->driver_addr,
			.device_addr = v->device_addr,
		};
		q->resume = true;
		running++;
	}
	vduse_dev_workers_call(d, WORKER_START);
	/*
	 * The old daemon may have published used buffers and died before the
	 * interrupt; a spurious one costs the driver a look at the ring.
	 */
	for (i = 0; i < d->nr_queues; i++) {
		__u32 index = i;

		if (h->vq[i].num && ioctl(d->fd, VDUSE_VQ_INJECT_IRQ, &index))
			log_err("queue %u: cannot inject an interrupt: %s", i, strerror(errno));
	}
	log_debug("resumed %u running queue(s)%s", running,
		  h->clean ? " after a planned upgrade" : "");
	vq_log_set_clean(d->log, false);
	return 0;
}
