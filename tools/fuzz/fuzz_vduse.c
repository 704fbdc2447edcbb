// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the VDUSE message handling: the input is a sequence
 * of kernel messages (any type, any status byte, any queue index, any IOVA
 * range) handed to vduse_dev_dispatch() of a device served by real workers.
 * There is no device fd, so every ioctl the handlers make fails the way a
 * kernel that refuses them would; the handlers must answer every message,
 * never touch a queue that does not exist, and leave the workers able to
 * stop and start.
 *
 * Between messages the input also fills the workers' translation caches,
 * as VDUSE_IOTLB_GET_FD answers would (an anonymous mapping per IOVA
 * range), and looks IOVAs up through them. An IOTLB update must drop every
 * cached range it overlaps and keep every other one usable; a reset must
 * drop them all.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/virtio_config.h>

#include "dev/blk.h"
#include "util/log.h"
#include "vduse/iotlb.h"
#include "vduse/vduse_dev.h"
#include "vduse/vduse_uapi.h"
#include "fuzz_input.h"

#define NR_QUEUES 3
/* The last request type the daemon knows: it must refuse those after it. */
#define LAST_TYPE UVDPA_VDUSE_SUSPEND
#define NR_WORKERS 2
#define MAX_MSGS 64
/* Cached ranges per worker, each at most MAX_PAGES: a few MiB at most. */
#define MAX_MAPS 32
#define MAX_PAGES 4
#define PAGE 4096ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vduse_dev dev;
static struct worker *workers[NR_WORKERS];
static struct blk_dev blk;
static struct be be = { .size = 1 << 20, .block_size = 512, .phys_block_size = 512, .fd = -1 };

static void setup(void)
{
	struct blk_opts opts = { .num_queues = NR_QUEUES, .queue_size = 64, .name = "fuzz" };

	log_set_quiet(true);
	be.ops = be_find("null");
	if (blk_dev_init(&blk, &be, &opts))
		abort();
	memset(&dev, 0, sizeof(dev));
	dev.fd = -1;
	dev.ctl_fd = -1;
	dev.bounce_fd = -1;
	dev.nr_queues = NR_QUEUES;
	dev.queue_size = 64;
	if (worker_new(&workers[0], &blk_model, &blk, 0, 2) ||
	    worker_new(&workers[1], &blk_model, &blk, 2, 1) ||
	    worker_run(workers[0]) || worker_run(workers[1]) ||
	    vduse_dev_set_workers(&dev, workers, NR_WORKERS))
		abort();
}

static bool overlaps(const struct iotlb_map *m, uint64_t start, uint64_t last)
{
	return !(m->start > last || m->last < start);
}

/* A range the kernel would have handed out for a lookup: cached, never overlapping. */
static void cache_fill(struct input *in)
{
	struct iotlb *tlb = &dev.tlbs[next(in) % NR_WORKERS];
	uint64_t start = next64(in) & ~(PAGE - 1);
	uint64_t len = (1 + next(in) % MAX_PAGES) * PAGE;
	struct iotlb_map *m;
	unsigned int i;
	void *addr;

	if (start + len < start || tlb->nr >= MAX_MAPS)
		return;
	for (i = 0; i < tlb->nr; i++)
		if (overlaps(&tlb->maps[i], start, start + len - 1))
			return;
	if (tlb->nr == tlb->cap) {
		m = realloc(tlb->maps, (tlb->cap + 8) * sizeof(*m));
		if (!m)
			abort();
		tlb->maps = m;
		tlb->cap += 8;
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (addr == MAP_FAILED)
		abort();
	tlb->maps[tlb->nr++] = (struct iotlb_map){
		.start = start, .last = start + len - 1, .addr = addr, .len = len,
		.access = IOVA_READ | IOVA_WRITE,
	};
}

/* An IOVA in a cached range translates into it; elsewhere there is no kernel to ask. */
static void cache_lookup(struct input *in)
{
	struct iotlb *tlb = &dev.tlbs[next(in) % NR_WORKERS];
	struct iova_xlate x = iotlb_xlate(tlb);
	const struct iotlb_map *m;
	uint64_t iova, mapped;
	unsigned int i;
	void *hva;
	int ret;

	if (!tlb->nr)
		return;
	m = &tlb->maps[next(in) % tlb->nr];
	iova = m->start + next32(in) % m->len;
	if (tlb->umem_live && iova < tlb->umem_size)
		return;
	ret = x.translate(x.ctx, iova, 1 + next16(in), IOVA_WRITE, &hva, &mapped);
	if (ret || hva != (char *)m->addr + (iova - m->start) || mapped > m->last - iova + 1)
		abort();
	/* Still mapped: a range dropped by mistake faults here. */
	*(volatile char *)hva = 1;
	/* Past its end, where nothing is cached, the lookup asks a kernel that is not there. */
	if (tlb->umem_live && m->last + 1 < tlb->umem_size)
		return;
	for (i = 0; i < tlb->nr; i++)
		if (overlaps(&tlb->maps[i], m->last + 1, m->last + 1))
			return;
	if (m->last != UINT64_MAX &&
	    x.translate(x.ctx, m->last + 1, 1, IOVA_READ, &hva, &mapped) != -EFAULT)
		abort();
}

static unsigned int kept(uint64_t start, uint64_t last)
{
	unsigned int w, i, n = 0;

	for (w = 0; w < NR_WORKERS; w++)
		for (i = 0; i < dev.tlbs[w].nr; i++)
			n += !overlaps(&dev.tlbs[w].maps[i], start, last);
	return n;
}

/* After an update of [start, last]: what it overlapped is gone, the rest usable. */
static void check_invalidated(uint64_t start, uint64_t last, unsigned int want)
{
	unsigned int w, i, n = 0;

	for (w = 0; w < NR_WORKERS; w++) {
		for (i = 0; i < dev.tlbs[w].nr; i++) {
			const struct iotlb_map *m = &dev.tlbs[w].maps[i];

			if (overlaps(m, start, last))
				abort();
			*(volatile char *)m->addr = 1;
			*((volatile char *)m->addr + m->len - 1) = 1;
			n++;
		}
	}
	if (n != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct input in = { data, size };
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	unsigned int n = 0, want = 0, w;
	uint8_t sel;

	if (!ready) {
		setup();
		ready = true;
	}
	while (in.left && n++ < MAX_MSGS) {
		memset(&req, 0, sizeof(req));
		sel = next(&in);
		/* One in eight steps works the translation caches instead. */
		if ((sel & 0xe0) == 0x60) {
			if (sel & 1)
				cache_lookup(&in);
			else
				cache_fill(&in);
			continue;
		}
		/* Mostly the known types and the next, sometimes anything. */
		req.type = sel & 0x80 ? (uint32_t)next64(&in) : sel % (LAST_TYPE + 2);
		req.request_id = n;
		switch (req.type) {
		case VDUSE_SET_STATUS:
			req.s.status = next(&in);
			break;
		case VDUSE_GET_VQ_STATE:
			req.vq_state.index = sel & 0x40 ? (uint32_t)next64(&in) : next(&in) % 4;
			break;
		case VDUSE_UPDATE_IOTLB:
			/* Often a page or two: then it may hit a cached range or miss it. */
			req.iova.start = next64(&in);
			req.iova.last = sel & 0x40 ? next64(&in) : req.iova.start + next16(&in);
			want = kept(req.iova.start, req.iova.last);
			break;
		case UVDPA_VDUSE_SET_VQ_GROUP_ASID:
		case UVDPA_VDUSE_SET_VQ_READY:
			/* A group and an address space, or a queue and ready: mostly small. */
			req.padding[0] = sel & 0x40 ? (uint32_t)next64(&in) : next(&in) % 3;
			req.padding[1] = next(&in) % 3;
			break;
		}
		vduse_dev_dispatch(&dev, &req, &resp);
		if (resp.request_id != req.request_id)
			abort();
		if (resp.result != VDUSE_REQ_RESULT_OK && resp.result != VDUSE_REQ_RESULT_FAILED)
			abort();
		if (req.type > LAST_TYPE && resp.result != VDUSE_REQ_RESULT_FAILED)
			abort();
		if (req.type == VDUSE_GET_VQ_STATE && resp.vq_state.index != req.vq_state.index)
			abort();
		if (req.type == VDUSE_UPDATE_IOTLB)
			check_invalidated(req.iova.start, req.iova.last, want);
		/* One group in one address space: anything else is refused. */
		if (req.type == UVDPA_VDUSE_SET_VQ_GROUP_ASID &&
		    (req.padding[0] || req.padding[1]) && resp.result != VDUSE_REQ_RESULT_FAILED)
			abort();
	}
	/* The next input starts from a reset device, as after a driver's reset. */
	memset(&req, 0, sizeof(req));
	req.type = VDUSE_SET_STATUS;
	vduse_dev_dispatch(&dev, &req, &resp);
	if (dev.status || dev.suspended)
		abort();
	for (w = 0; w < NR_WORKERS; w++)
		if (dev.tlbs[w].nr)
			abort();
	return 0;
}
