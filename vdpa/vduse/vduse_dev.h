/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VDUSE transport: create the device through /dev/vduse/control, then
 * serve /dev/vduse/NAME's messages on a control thread that never waits for
 * data-path I/O beyond draining it on a reset (the kernel gives a message
 * msg_timeout, 30 s by default, and then marks the device broken for good).
 * Queues are served by workers; the control thread starts and stops them.
 */
#ifndef UVDPA_VDUSE_DEV_H
#define UVDPA_VDUSE_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/vduse.h>

#include "ring/vq_log.h"
#include "util/poll_thread.h"
#include "vduse/iotlb.h"
#include "worker/worker.h"

/* Queues a device may have: a bit each in struct vduse_dev.queue_ran. */
#define VDUSE_DEV_MAX_QUEUES 64

struct vduse_dev_params {
	const char *name;
	uint32_t device_id;	/* VIRTIO_ID_* */
	uint64_t features;	/* offered; must include VIRTIO_F_ACCESS_PLATFORM */
	const void *config;	/* the device's config space */
	uint32_t config_size;
	unsigned int nr_queues;
	uint16_t queue_size;
	/* VDUSE's bounce buffer in bytes, a multiple of 1 MiB; 0: the kernel's 64 MiB. */
	uint32_t bounce_size;
	/*
	 * Supply VDUSE's bounce buffer from our own memory (VDUSE_IOTLB_REG_UMEM)
	 * and register it with every worker's io_uring; umem_ready then hears
	 * where it is, before any queue runs.
	 */
	bool umem;
	void (*umem_ready)(void *arg, const struct iovec *umem);
	void *umem_arg;
	/* The in-flight log to keep up to date, or NULL (no reconnect). */
	struct vq_log_hdr *log;
};

struct vduse_dev {
	char name[VDUSE_NAME_MAX];
	int ctl_fd;
	int fd;
	unsigned int nr_queues;
	uint16_t queue_size;
	uint8_t status;
	uint64_t driver_features;
	uint64_t queue_ran;	/* bit per queue: served since DRIVER_OK */
	bool suspended;		/* VDUSE_SUSPEND, until the reset */
	struct worker **workers;
	/* Each worker's cache of IOTLB mappings, its struct iova_xlate. */
	struct iotlb *tlbs;
	unsigned int nr_workers;
	struct poll_thread control;
	bool running;
	/*
	 * Set when a queue stops for a driver error, so that a device logs
	 * one line per reset (see struct worker_ops); cleared on reset.
	 */
	atomic_bool driver_error;
	bool umem_wanted;
	bool umem_tried;	/* since the last reset */
	bool umem_bound;	/* umem is the kernel's bounce buffer now */
	int bounce_fd;
	int enable_fd;		/* written on struct worker_ops.queue_kicked */
	struct iovec umem;
	void (*umem_ready)(void *arg, const struct iovec *umem);
	void *umem_arg;
	struct vq_log_hdr *log;
	/* Opened by vduse_dev_open(): vduse_dev_run() resumes from the log. */
	bool resume;
	char why[160];
};

/*
 * Create the VDUSE device: -ENODEV when the vduse module is missing,
 * -EACCES without privileges, -EEXIST when the name is taken, else the
 * kernel's errno.
 */
int vduse_dev_create(struct vduse_dev *d, const struct vduse_dev_params *p);
/*
 * Take over the existing device @p->name, whose previous daemon died or
 * was upgraded: -ENOENT when there is no such device, -EBUSY while another
 * daemon holds it. vduse_dev_run() then carries on from @p->log.
 */
int vduse_dev_open(struct vduse_dev *d, const struct vduse_dev_params *p);
/*
 * Serve messages with @nr workers that split the queues among them. After
 * vduse_dev_open(), first restart the queues from the log and pop their
 * chains in flight again: -ESTALE (what differs in d->why) when the device
 * is not the one the log describes.
 */
int vduse_dev_run(struct vduse_dev *d, struct worker **workers, unsigned int nr);
/*
 * Become the transport of @workers, which run and split the queues among
 * them: vduse_dev_run() does it first; a fuzzer, that has no control thread,
 * alone.
 */
int vduse_dev_set_workers(struct vduse_dev *d, struct worker **workers, unsigned int nr);
/*
 * Carry out one message from the kernel and fill in the answer. The control
 * thread reads and writes the device fd around it; a fuzzer calls it alone.
 */
void vduse_dev_dispatch(struct vduse_dev *d, const struct vduse_dev_request *req,
			struct vduse_dev_response *resp);
/* Stop the control thread (queues stop with the device's reset, or here). */
void vduse_dev_stop(struct vduse_dev *d);
/*
 * For the watchdog: whether the control thread ("uvdpa-vduse") came back
 * to its messages since the previous call (poll_thread_alive()); true when
 * it does not run.
 */
bool vduse_dev_alive(struct vduse_dev *d);
/*
 * Change @len bytes of the config space at @offset and tell the driver with
 * a config interrupt (e.g. virtio-net's link status). Any thread.
 */
int vduse_dev_set_config(struct vduse_dev *d, uint32_t offset, const void *buf, uint32_t len);
/*
 * For a person (uvdpactl show), from any thread: the driver's status byte
 * (VIRTIO_CONFIG_S_*), and the features it took as the kernel has them (0
 * until FEATURES_OK and after a reset): 0 or -errno.
 */
uint8_t vduse_dev_status(const struct vduse_dev *d);
int vduse_dev_driver_features(const struct vduse_dev *d, uint64_t *features);
/* Close the device and leave it to the next daemon (vduse_dev_open()). */
void vduse_dev_release(struct vduse_dev *d);
/* Close and destroy the device; -EBUSY while it is still on the vdpa bus. */
int vduse_dev_destroy(struct vduse_dev *d);

#endif
