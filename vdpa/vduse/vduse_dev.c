// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "util/efd.h"
#include "util/fault.h"
#include "util/log.h"
#include "vduse/irq_affinity.h"
#include "vduse/vdpa_bus.h"
#include "vduse/vduse_dev.h"
#include "vduse/vduse_resume.h"
#include "vduse/vduse_uapi.h"

#define CONTROL "/dev/vduse/control"

static int dev_init(struct vduse_dev *d, const struct vduse_dev_params *p)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->bounce_fd = -1;
	d->enable_fd = -1;
	if (strlen(p->name) >= sizeof(d->name) || !p->name[0] ||
	    p->nr_queues > VDUSE_DEV_MAX_QUEUES)
		return -EINVAL;
	strcpy(d->name, p->name);
	d->nr_queues = p->nr_queues;
	d->queue_size = p->queue_size;
	d->umem_wanted = p->umem;
	d->umem_ready = p->umem_ready;
	d->umem_arg = p->umem_arg;
	d->log = p->log;
	return 0;
}

/* The VDUSE features uvdpad serves where the kernel offers them (docs/kernel-features.md). */
#define WANTED_FEATURES ((1ULL << VDUSE_F_QUEUE_READY) | (1ULL << VDUSE_F_SUSPEND))

/*
 * Before VDUSE_CREATE_DEV: the newest API version both know (6.12 answers
 * 0; 7.x answers 1 and from then on expects version 1's VDUSE_CREATE_DEV,
 * so a kernel newer still is held to 1, the newest we know), and the VDUSE
 * features both know (6.12 has no VDUSE_GET_FEATURES: none).
 */
static int negotiate(struct vduse_dev *d, __u64 *api)
{
	__u64 features = 0;

	if (ioctl(d->ctl_fd, VDUSE_GET_API_VERSION, api))
		return -errno;
	if (*api > VDUSE_API_VERSION_1)
		*api = VDUSE_API_VERSION_1;
	if (ioctl(d->ctl_fd, VDUSE_SET_API_VERSION, api))
		return -errno;
	if (ioctl(d->ctl_fd, VDUSE_GET_FEATURES, &features))
		features = 0;
	features &= WANTED_FEATURES;
	if (features && ioctl(d->ctl_fd, VDUSE_SET_FEATURES, &features))
		return -errno;
	log_debug("VDUSE API version %llu, features:%s%s%s", (unsigned long long)*api,
		  features ? "" : " none",
		  features & (1ULL << VDUSE_F_QUEUE_READY) ? " queue-ready" : "",
		  features & (1ULL << VDUSE_F_SUSPEND) ? " suspend" : "");
	return 0;
}

/* Before the first "vdpa dev add": the kernel sizes the buffer when the driver comes. */
static int bounce_size_set(const char *name, uint32_t size)
{
	char path[VDUSE_NAME_MAX + 40], buf[16];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), "/sys/class/vduse/%s/bounce_size", name);
	len = snprintf(buf, sizeof(buf), "%u", size);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

int vduse_dev_create(struct vduse_dev *d, const struct vduse_dev_params *p)
{
	struct vduse_dev_config *cfg;
	char path[VDUSE_NAME_MAX + 16];
	__u64 api;
	unsigned int i;
	int ret;

	ret = dev_init(d, p);
	if (ret)
		return ret;

	d->ctl_fd = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (d->ctl_fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	ret = negotiate(d, &api);
	if (ret)
		goto err_ctl;
	cfg = calloc(1, sizeof(*cfg) + p->config_size);
	if (!cfg) {
		ret = -ENOMEM;
		goto err_ctl;
	}
	strcpy(cfg->name, p->name);
	cfg->device_id = p->device_id;
	cfg->vendor_id = 0;
	cfg->features = p->features;
	cfg->vq_num = p->nr_queues;
	cfg->vq_align = 4096;
	/* Version 1: one group of queues in one address space, all a blk or net device needs. */
	if (api >= VDUSE_API_VERSION_1) {
		VDUSE_CONFIG_NGROUPS(cfg) = 1;
		VDUSE_CONFIG_NAS(cfg) = 1;
	}
	cfg->config_size = p->config_size;
	memcpy(cfg->config, p->config, p->config_size);
	ret = ioctl(d->ctl_fd, VDUSE_CREATE_DEV, cfg) ? -errno : 0;
	free(cfg);
	if (ret)
		goto err_ctl;
	if (p->bounce_size) {
		ret = bounce_size_set(p->name, p->bounce_size);
		if (ret)
			goto err_dev;
	}

	snprintf(path, sizeof(path), "/dev/vduse/%s", p->name);
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		goto err_dev;
	}
	for (i = 0; i < p->nr_queues; i++) {
		struct vduse_vq_config vq = { .index = i, .max_size = p->queue_size };

		if (ioctl(d->fd, VDUSE_VQ_SETUP, &vq)) {
			ret = -errno;
			goto err_fd;
		}
	}
	return 0;
err_fd:
	close(d->fd);
	d->fd = -1;
err_dev:
	ioctl(d->ctl_fd, VDUSE_DESTROY_DEV, d->name);
err_ctl:
	close(d->ctl_fd);
	d->ctl_fd = -1;
	return ret;
}

int vduse_dev_open(struct vduse_dev *d, const struct vduse_dev_params *p)
{
	char path[VDUSE_NAME_MAX + 16];
	int ret = dev_init(d, p);

	if (ret)
		return ret;
	/* Kept to destroy the device when this daemon ends it for good. */
	d->ctl_fd = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (d->ctl_fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	snprintf(path, sizeof(path), "/dev/vduse/%s", p->name);
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		close(d->ctl_fd);
		d->ctl_fd = -1;
		return ret;
	}
	d->resume = true;
	return 0;
}

/* The worker serving queue @index, or NULL. */
static struct worker *worker_of(struct vduse_dev *d, unsigned int index)
{
	unsigned int i;

	for (i = 0; i < d->nr_workers; i++)
		if (worker_has_queue(d->workers[i], index))
			return d->workers[i];
	return NULL;
}

static int inject_irq(void *ctx, unsigned int index)
{
	struct vduse_dev *d = ctx;
	__u32 i = index;

	return ioctl(d->fd, VDUSE_VQ_INJECT_IRQ, &i) ? -errno : 0;
}

static void workers_start(struct vduse_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_workers; i++)
		worker_start(d->workers[i]);
}

static void workers_stop(struct vduse_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_workers; i++)
		worker_stop(d->workers[i]);
}

/*
 * VDUSE creates the bounce buffer at the driver's first streaming DMA
 * mapping and keeps it until the device is destroyed. When a worker first
 * maps it (iotlb.bounce_fd), stop the queues and try once to back it with
 * our memory; the kernel copies the pages in use over. Without it, the
 * kernel's bounce pages stay mapped through VDUSE_IOTLB_GET_FD.
 *
 * 7.x makes a new IOVA domain, with a new bounce buffer, at every
 * "vdpa dev add" (6.12 keeps one for the device's life), yet keeps our old
 * registration and refuses another: a registration holds only until the
 * next reset (umem_release()), and after one the same memory is registered
 * again at the next driver's first mapping.
 */
static struct vduse_iova_umem umem_of(const struct vduse_dev *d)
{
	return (struct vduse_iova_umem){
		.uaddr = (uintptr_t)d->umem.iov_base,
		.size = d->umem.iov_len,
	};
}

static int umem_reregister(struct vduse_dev *d, size_t size)
{
	struct vduse_iova_umem um = umem_of(d);
	unsigned int i;

	if (size != d->umem.iov_len)
		return -EINVAL;
	if (ioctl(d->fd, VDUSE_IOTLB_REG_UMEM, &um))
		return -errno;
	for (i = 0; i < d->nr_workers; i++) {
		/* Lookups of the kernel's pages made before this one. */
		iotlb_invalidate(&d->tlbs[i], 0, size - 1);
		iotlb_use_umem(&d->tlbs[i], true);
	}
	return 0;
}

static void umem_register(struct vduse_dev *d)
{
	struct vduse_iova_info info = { .start = 0, .last = 0 };
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct vduse_iova_umem um = { 0 };
	bool fixed = true;
	unsigned int i;
	size_t size;
	void *mem;
	int ret;

	if (d->umem_tried)
		return;
	d->umem_tried = true;
	if (ioctl(d->fd, VDUSE_IOTLB_GET_INFO, &info) || info.start ||
	    !(info.capability & VDUSE_IOVA_CAP_UMEM)) {
		log_debug("bounce buffer: the kernel's (no VDUSE_IOVA_CAP_UMEM)");
		return;
	}
	size = info.last + 1;
	if (d->umem.iov_len) {
		ret = umem_reregister(d, size);
		if (ret)
			log_err("bounce buffer: cannot register ours again: %s", strerror(-ret));
		d->umem_bound = !ret;
		return;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		return;
	/* VDUSE pins the pages against RLIMIT_MEMLOCK, even for root. */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		log_debug("bounce buffer: cannot lift RLIMIT_MEMLOCK: %s", strerror(errno));
	um.uaddr = (uintptr_t)mem;
	um.size = size;
	if (ioctl(d->fd, VDUSE_IOTLB_REG_UMEM, &um)) {
		log_debug("bounce buffer: VDUSE_IOTLB_REG_UMEM: %s", strerror(errno));
		munmap(mem, size);
		return;
	}
	d->umem = (struct iovec){ .iov_base = mem, .iov_len = size };
	d->umem_bound = true;
	for (i = 0; i < d->nr_workers; i++) {
		iotlb_set_umem(&d->tlbs[i], mem, size);
		ret = worker_set_umem(d->workers[i], mem, size);
		/* Without fixed buffers, I/O on the bounce buffer still works. */
		if (ret) {
			fixed = false;
			log_debug("bounce buffer: io_uring fixed buffer: %s", strerror(-ret));
		}
	}
	if (fixed && d->umem_ready)
		d->umem_ready(d->umem_arg, &d->umem);
	log_debug("bounce buffer: %zu bytes of our own, %s", size,
		  fixed ? "a fixed buffer on every ring" : "no fixed buffers");
}

/*
 * Only the kernel's own virtio driver (virtio_vdpa) does streaming DMA
 * through the bounce buffer; a VM's driver on vhost_vdpa has its memory at
 * those IOVAs. The vdpa device carries the VDUSE device's name.
 */
static bool bounce_in_use(struct vduse_dev *d)
{
	char driver[32];

	return vdpa_bus_driver(d->name, driver, sizeof(driver)) || strcmp(driver, "vhost_vdpa");
}

/*
 * Take queue @i as the driver set it up (@info): only while its worker is
 * stopped. A queue enabled again after a disable (VDUSE_SET_VQ_READY) goes
 * on from where it stopped: the ring state in @info is from before it ran,
 * and vhost-vdpa refuses a new one after DRIVER_OK unless suspended.
 */
static void queue_config(struct vduse_dev *d, unsigned int i, const struct vduse_vq_info *info)
{
	bool packed = d->driver_features & (1ULL << VIRTIO_F_RING_PACKED);
	struct vq_config cfg;
	struct vq_state state;
	int ret;

	cfg = (struct vq_config){
		.features = d->driver_features,
		.num = info->num,
		.desc_addr = info->desc_addr,
		.driver_addr = info->driver_addr,
		.device_addr = info->device_addr,
	};
	if (d->queue_ran & (1ULL << i)) {
		worker_queue_state(worker_of(d, i), i, &state);
	} else if (packed) {
		state = (struct vq_state){
			.avail_idx = info->packed.last_avail_idx,
			.avail_wrap = info->packed.last_avail_counter,
			.used_idx = info->packed.last_used_idx,
			.used_wrap = info->packed.last_used_counter,
		};
	} else {
		state = (struct vq_state){ .avail_idx = info->split.avail_index };
	}
	worker_queue_config(worker_of(d, i), i, &cfg, &state);
	d->queue_ran |= 1ULL << i;
	/* The driver set the queue's mask before enabling it: narrow it now. */
	ret = irq_affinity_pin(d->name, i);
	if (ret)
		log_info("queue %u: interrupt CPUs left to the kernel: %s", i, strerror(-ret));
	if (d->log)
		vq_log_reset(vq_log_queue(d->log, i), &cfg, &state);
	log_debug("queue %u: %u entries, %s ring, desc %#llx", i, info->num,
		  packed ? "packed" : "split", (unsigned long long)info->desc_addr);
}

/* Whether the workers serve the queues: from DRIVER_OK until the reset or a suspend. */
static bool serving(const struct vduse_dev *d)
{
	return d->status & VIRTIO_CONFIG_S_DRIVER_OK && !d->suspended;
}

/* DRIVER_OK: read what the driver set up and hand each ready queue to its worker. */
static void queues_start(struct vduse_dev *d, uint8_t status)
{
	bool bounce = bounce_in_use(d);
	unsigned int i;

	if (ioctl(d->fd, VDUSE_DEV_GET_FEATURES, &d->driver_features))
		log_err("cannot read the negotiated features: %s", strerror(errno));
	for (i = 0; i < d->nr_workers; i++)
		iotlb_use_umem(&d->tlbs[i], bounce && d->umem_bound);
	for (i = 0; i < d->nr_queues; i++) {
		struct vduse_vq_info info = { .index = i };
		struct worker *w = worker_of(d, i);
		struct vduse_vq_eventfd kick = { .index = i };

		worker_queue_config(w, i, NULL, NULL);
		d->queue_ran &= ~(1ULL << i);
		if (d->log)
			vq_log_reset(vq_log_queue(d->log, i), NULL, NULL);
		/*
		 * The kernel drops the kick eventfd on every reset. A queue the
		 * driver enables only after DRIVER_OK gets it too: without
		 * VDUSE_F_QUEUE_READY its first kick is how we learn of it.
		 */
		kick.fd = worker_queue_kick_fd(w, i);
		if (ioctl(d->fd, VDUSE_VQ_SETUP_KICKFD, &kick)) {
			log_err("queue %u: cannot set its kick eventfd: %s", i, strerror(errno));
			continue;
		}
		if (ioctl(d->fd, VDUSE_VQ_GET_INFO, &info)) {
			log_err("queue %u: cannot read its setup: %s", i, strerror(errno));
			continue;
		}
		if (info.ready)
			queue_config(d, i, &info);
	}
	/* Logged before the first pop, so that a new daemon resumes rather than restarts. */
	if (d->log)
		vq_log_set_status(d->log, status, d->driver_features);
	workers_start(d);
}

/*
 * A kick at a queue that was not ready at DRIVER_OK: QEMU's virtio-net over
 * vhost-vdpa enables its queues only after it, which 6.12's VDUSE does not
 * report. Start the ones now enabled.
 */
static void queues_enabled(struct vduse_dev *d)
{
	struct vduse_vq_info info[d->nr_queues];
	bool any = false;
	unsigned int i;

	if (!serving(d))
		return;
	for (i = 0; i < d->nr_queues; i++) {
		info[i] = (struct vduse_vq_info){ .index = i };
		if (!worker_queue_configured(worker_of(d, i), i) &&
		    !ioctl(d->fd, VDUSE_VQ_GET_INFO, &info[i]) && info[i].ready)
			any = true;
		else
			info[i].ready = 0;
	}
	if (!any)
		return;
	workers_stop(d);
	for (i = 0; i < d->nr_queues; i++)
		if (info[i].ready)
			queue_config(d, i, &info[i]);
	workers_start(d);
}

static void invalidate(struct vduse_dev *d, uint64_t start, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < d->nr_workers; i++)
		iotlb_invalidate(&d->tlbs[i], start, last);
}

/*
 * On a reset, before the answer: hand the bounce buffer back to the kernel's
 * pages. Kept, 6.12's VDUSE would serve the next driver's first mappings
 * from our pages but fault a daemon that maps them through
 * VDUSE_IOTLB_GET_FD; 7.x would bounce the next attach through a new
 * buffer of its own. The kernel copies the pages in use back.
 */
static void umem_release(struct vduse_dev *d)
{
	struct vduse_iova_umem um = umem_of(d);

	if (d->umem_bound && ioctl(d->fd, VDUSE_IOTLB_DEREG_UMEM, &um))
		log_err("bounce buffer: cannot hand it back: %s", strerror(errno));
	d->umem_bound = false;
	d->umem_tried = false;
}

static void set_status(struct vduse_dev *d, uint8_t status)
{
	bool was_ok = d->status & VIRTIO_CONFIG_S_DRIVER_OK;
	bool ok = status & VIRTIO_CONFIG_S_DRIVER_OK;

	log_debug("status %#x -> %#x", d->status, status);
	if (ok && !was_ok)
		queues_start(d, status);
	else if (!ok && was_ok && !d->suspended)
		/* Before the answer: the kernel frees the rings once we reply. */
		workers_stop(d);
	/* A suspend lasts as long as DRIVER_OK: the workers stopped with it. */
	if (!ok)
		d->suspended = false;
	/*
	 * The kernel frees coherent (ring) memory without an IOTLB update
	 * message, and the next driver may get the same IOVAs with other
	 * pages: drop every mapping on reset.
	 */
	if (!status) {
		unsigned int i;

		for (i = 0; i < d->nr_workers; i++)
			iotlb_reset(&d->tlbs[i]);
		/* The next driver's bounce buffer may be another (see umem_register()). */
		umem_release(d);
		atomic_store(&d->driver_error, false);
	}
	/* Read by the control socket's thread too (vduse_dev_status()). */
	__atomic_store_n(&d->status, status, __ATOMIC_RELAXED);
	if (d->log)
		vq_log_set_status(d->log, status, ok ? d->driver_features : 0);
}

static void update_iotlb(struct vduse_dev *d, uint64_t start, uint64_t last)
{
	bool running = serving(d);

	log_debug("iotlb update [%#llx, %#llx]", (unsigned long long)start,
		  (unsigned long long)last);
	/* Workers hold pointers into the mappings only while they run. */
	if (running)
		workers_stop(d);
	invalidate(d, start, last);
	if (running)
		workers_start(d);
}

static void vq_state_of(struct vduse_dev *d, struct vduse_vq_state *s)
{
	struct worker *w = worker_of(d, s->index);
	bool running = serving(d);
	struct vq_state st;

	if (!w)
		return;
	/* A stopped queue's state is current; a running one is stopped and restarted for it. */
	if (running) {
		workers_stop(d);
		workers_start(d);
	}
	worker_queue_state(w, s->index, &st);
	if (d->driver_features & (1ULL << VIRTIO_F_RING_PACKED)) {
		s->packed.last_avail_idx = st.avail_idx;
		s->packed.last_avail_counter = st.avail_wrap;
		s->packed.last_used_idx = st.used_idx;
		s->packed.last_used_counter = st.used_wrap;
	} else {
		s->split.avail_index = st.avail_idx;
	}
}

/*
 * VDUSE_SET_VQ_READY (VDUSE_F_QUEUE_READY): the driver enables or disables
 * queue @index; the kernel changes its ready bit once we answer. Before
 * DRIVER_OK there is nothing to do: queues_start() reads every queue then.
 * A disabled queue is drained, and keeps its state for VDUSE_GET_VQ_STATE
 * and the next enable.
 */
static void vq_ready(struct vduse_dev *d, unsigned int index, bool ready)
{
	struct vduse_vq_info info = { .index = index };
	struct worker *w = worker_of(d, index);

	log_debug("queue %u: %s by the driver", index, ready ? "enabled" : "disabled");
	if (!w || !(d->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    worker_queue_configured(w, index) == ready)
		return;
	if (ready && ioctl(d->fd, VDUSE_VQ_GET_INFO, &info)) {
		log_err("queue %u: cannot read its setup: %s", index, strerror(errno));
		return;
	}
	/* Suspended, the workers stay stopped: the change waits for a start that never comes. */
	if (serving(d))
		worker_stop(w);
	if (ready) {
		queue_config(d, index, &info);
	} else {
		worker_queue_config(w, index, NULL, NULL);
		if (d->log)
			vq_log_reset(vq_log_queue(d->log, index), NULL, NULL);
	}
	if (serving(d))
		worker_start(w);
}

/*
 * VDUSE_SUSPEND (VDUSE_F_SUSPEND, vhost-vdpa's VHOST_VDPA_SUSPEND): from our
 * answer on the kernel passes on no kick and no interrupt until the reset
 * (VDUSE has no resume). Drain every queue first and keep the workers
 * stopped, so that VDUSE_GET_VQ_STATE is exact and nothing is used after
 * it; the interrupt a notification filter held back goes out now, while
 * the kernel still passes it.
 */
static void suspend(struct vduse_dev *d)
{
	unsigned int i;

	log_debug("suspend");
	if (serving(d)) {
		workers_stop(d);
		for (i = 0; i < d->nr_queues; i++) {
			int err = 0;

			if (worker_queue_configured(worker_of(d, i), i))
				err = inject_irq(d, i);
			if (err)
				log_err("queue %u: cannot inject an interrupt: %s", i,
					strerror(-err));
		}
	}
	/* Only a running device is suspended (vhost-vdpa asks only then). */
	d->suspended = d->status & VIRTIO_CONFIG_S_DRIVER_OK;
}

void vduse_dev_dispatch(struct vduse_dev *d, const struct vduse_dev_request *req,
			struct vduse_dev_response *resp)
{
	struct uvdpa_vduse_vq_group_asid ga;
	struct uvdpa_vduse_vq_ready vr;

	memset(resp, 0, sizeof(*resp));
	resp->request_id = req->request_id;
	resp->result = VDUSE_REQ_RESULT_OK;
	switch (req->type) {
	case VDUSE_GET_VQ_STATE:
		resp->vq_state.index = req->vq_state.index;
		vq_state_of(d, &resp->vq_state);
		break;
	case VDUSE_SET_STATUS:
		set_status(d, req->s.status);
		break;
	case VDUSE_UPDATE_IOTLB:
		/* Version 1's range adds an address space after these: we have one. */
		update_iotlb(d, req->iova.start, req->iova.last);
		break;
	case UVDPA_VDUSE_SET_VQ_READY:
		memcpy(&vr, req->padding, sizeof(vr));
		vq_ready(d, vr.num, vr.ready);
		break;
	case UVDPA_VDUSE_SUSPEND:
		suspend(d);
		break;
	case UVDPA_VDUSE_SET_VQ_GROUP_ASID:
		/* The one group stays in the one address space (vduse_dev_create()). */
		memcpy(&ga, req->padding, sizeof(ga));
		if (ga.group || ga.asid)
			resp->result = VDUSE_REQ_RESULT_FAILED;
		break;
	default:
		resp->result = VDUSE_REQ_RESULT_FAILED;
		break;
	}
}

static int handle(struct vduse_dev *d)
{
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	ssize_t n = read(d->fd, &req, sizeof(req));

	if (fault("control-msg"))
		return -EIO;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n != sizeof(req))
		return -EIO;
	vduse_dev_dispatch(d, &req, &resp);
	if (write(d->fd, &resp, sizeof(resp)) != sizeof(resp))
		return -errno;
	return 0;
}

/* The control thread, woken by the device fd, the bounce and the enable eventfds. */
static int control_ready(void *arg, const struct pollfd *fds)
{
	struct vduse_dev *d = arg;
	int ret;

	if (fds[1].revents & POLLIN && efd_take(d->bounce_fd) && serving(d)) {
		workers_stop(d);
		umem_register(d);
		workers_start(d);
	}
	if (fds[2].revents & POLLIN && efd_take(d->enable_fd))
		queues_enabled(d);
	if (fds[0].revents & POLLIN) {
		ret = handle(d);
		/* Nobody else answers the kernel: the device would hang on its next reset. */
		if (ret)
			log_fatal("control: message from the kernel: %s", strerror(-ret));
	}
	return 0;
}

static void queue_kicked(void *ctx, unsigned int index)
{
	struct vduse_dev *d = ctx;
	int ret = efd_signal(d->enable_fd);

	if (ret)
		log_err("worker: cannot reach the control thread: %s", strerror(-ret));
}

static bool driver_error(void *ctx, unsigned int index)
{
	struct vduse_dev *d = ctx;

	return !atomic_exchange(&d->driver_error, true);
}

static const struct worker_ops vduse_worker_ops = {
	.inject_irq = inject_irq,
	.queue_kicked = queue_kicked,
	.driver_error = driver_error,
};

/*
 * Restart the queues of a device opened with vduse_dev_open() from its log:
 * 0, or -ESTALE with d->why when the device differs from the log.
 */
static int resume(struct vduse_dev *d)
{
	struct vq_log_hdr *h = d->log;
	unsigned int i, running = 0;
	struct vq_config *cfg;
	int ret;

	__atomic_store_n(&d->status, h->status, __ATOMIC_RELAXED);
	/* Not running: the kernel re-sends whatever the old daemon did not answer. */
	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	cfg = calloc(d->nr_queues, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	ret = vduse_resume_plan(d->fd, h, d->nr_queues, &d->driver_features, cfg, d->why,
				sizeof(d->why));
	for (i = 0; !ret && i < d->nr_queues; i++) {
		struct worker *w = worker_of(d, i);
		struct vduse_vq_eventfd kick = { .index = i };

		worker_queue_config(w, i, NULL, NULL);
		if (!cfg[i].num)
			continue;
		/* The old daemon's eventfd is still the kernel's: replace it with ours. */
		kick.fd = worker_queue_kick_fd(w, i);
		if (ioctl(d->fd, VDUSE_VQ_SETUP_KICKFD, &kick)) {
			ret = -errno;
		} else {
			worker_queue_resume(w, i, &cfg[i]);
			d->queue_ran |= 1ULL << i;
		}
		running++;
	}
	if (ret)
		goto out;
	workers_start(d);
	/*
	 * The old daemon may have published used buffers and died before the
	 * interrupt; a spurious one costs the driver a look at the ring.
	 */
	for (i = 0; i < d->nr_queues; i++) {
		int err = cfg[i].num ? inject_irq(d, i) : 0;

		if (err)
			log_err("queue %u: cannot inject an interrupt: %s", i, strerror(-err));
	}
	log_debug("resumed %u running queue(s)%s", running,
		  h->clean ? " after a planned upgrade" : "");
	vq_log_set_clean(d->log, false);
out:
	free(cfg);
	return ret;
}

int vduse_dev_set_workers(struct vduse_dev *d, struct worker **workers, unsigned int nr)
{
	unsigned int i;

	d->workers = workers;
	d->nr_workers = nr;
	d->enable_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->enable_fd < 0)
		return -errno;
	if (d->umem_wanted) {
		d->bounce_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->bounce_fd < 0)
			return -errno;
	}
	d->tlbs = calloc(nr, sizeof(*d->tlbs));
	if (!d->tlbs)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		iotlb_init(&d->tlbs[i], d->fd);
		d->tlbs[i].bounce_fd = d->bounce_fd;
		worker_set_transport(workers[i], &vduse_worker_ops, d, iotlb_xlate(&d->tlbs[i]));
	}
	for (i = 0; d->log && i < d->nr_queues; i++)
		worker_queue_set_log(worker_of(d, i), i, vq_log_queue(d->log, i));
	return 0;
}

int vduse_dev_run(struct vduse_dev *d, struct worker **workers, unsigned int nr)
{
	int fds[3];
	int ret;

	ret = vduse_dev_set_workers(d, workers, nr);
	if (ret)
		return ret;
	if (d->resume) {
		/* Before any message: the kernel re-sends those left unanswered. */
		ret = resume(d);
		if (ret)
			return ret;
	}
	fds[0] = d->fd;
	fds[1] = d->bounce_fd;
	fds[2] = d->enable_fd;
	ret = poll_thread_start(&d->control, "control", fds, 3, control_ready, d);
	if (ret)
		return ret;
	/* What ps, a debugger and the watchdog's status line call it. */
	pthread_setname_np(d->control.thread, "uvdpa-vduse");
	d->running = true;
	return 0;
}

bool vduse_dev_alive(struct vduse_dev *d)
{
	return !d->running || poll_thread_alive(&d->control);
}

void vduse_dev_stop(struct vduse_dev *d)
{
	if (!d->running)
		return;
	poll_thread_stop(&d->control);
	d->running = false;
	if (serving(d))
		workers_stop(d);
	close(d->enable_fd);
	d->enable_fd = -1;
	if (d->bounce_fd >= 0)
		close(d->bounce_fd);
	d->bounce_fd = -1;
}

int vduse_dev_set_config(struct vduse_dev *d, uint32_t offset, const void *buf, uint32_t len)
{
	struct vduse_config_data *c = malloc(sizeof(*c) + len);
	int ret = 0;

	if (!c)
		return -ENOMEM;
	c->offset = offset;
	c->length = len;
	memcpy(c->buffer, buf, len);
	if (ioctl(d->fd, VDUSE_DEV_SET_CONFIG, c))
		ret = -errno;
	/* Before DRIVER_OK (EINVAL) the driver reads the config when it comes. */
	else if (ioctl(d->fd, VDUSE_DEV_INJECT_CONFIG_IRQ) && errno != EINVAL)
		ret = -errno;
	free(c);
	if (ret)
		return ret;
	/* What the device is now, for a daemon that --reconnects to it (a disk resized). */
	if (d->log && offset + len <= d->log->config_size)
		memcpy(d->log->config + offset, buf, len);
	return ret;
}

/* After the workers are gone: nothing translates any more. */
static void tlbs_free(struct vduse_dev *d)
{
	unsigned int i;

	for (i = 0; d->tlbs && i < d->nr_workers; i++)
		iotlb_fini(&d->tlbs[i]);
	free(d->tlbs);
	d->tlbs = NULL;
}

void vduse_dev_release(struct vduse_dev *d)
{
	tlbs_free(d);
	/* The kernel copies our bounce pages back into its own on this close. */
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->umem.iov_len)
		munmap(d->umem.iov_base, d->umem.iov_len);
	d->umem.iov_len = 0;
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}

int vduse_dev_destroy(struct vduse_dev *d)
{
	int ret = 0;

	tlbs_free(d);
	/* The device fd goes first: the kernel refuses to destroy a connected device. */
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->ctl_fd >= 0 && ioctl(d->ctl_fd, VDUSE_DESTROY_DEV, d->name))
		ret = -errno;
	vduse_dev_release(d);
	return ret;
}

uint8_t vduse_dev_status(const struct vduse_dev *d)
{
	return __atomic_load_n(&d->status, __ATOMIC_RELAXED);
}

int vduse_dev_driver_features(const struct vduse_dev *d, uint64_t *features)
{
	__u64 f;

	/* The kernel's copy: d->driver_features is the control thread's, read at DRIVER_OK. */
	if (ioctl(d->fd, VDUSE_DEV_GET_FEATURES, &f))
		return -errno;
	*features = f;
	return 0;
}
