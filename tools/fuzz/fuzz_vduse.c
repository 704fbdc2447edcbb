// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the VDUSE message handling: the input is a sequence
 * of kernel messages (any type, any status byte, any queue index, any IOVA
 * range) handed to vduse_dev_dispatch() of a device served by real workers.
 * There is no device fd, so every ioctl the handlers make fails the way a
 * kernel that refuses them would; the handlers must answer every message,
 * never touch a queue that does not exist, and leave the workers able to
 * stop and start.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "dev/blk.h"
#include "util/log.h"
#include "vduse/vduse_dev.h"
#include "vduse/vduse_uapi.h"
#include "fuzz_input.h"

#define NR_QUEUES 3
/* The last request type the daemon knows: it must refuse those after it. */
#define LAST_TYPE UVDPA_VDUSE_SUSPEND
#define NR_WORKERS 2
#define MAX_MSGS 64

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct input in = { data, size };
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	unsigned int n = 0;
	uint8_t sel;

	if (!ready) {
		setup();
		ready = true;
	}
	while (in.left && n++ < MAX_MSGS) {
		memset(&req, 0, sizeof(req));
		sel = next(&in);
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
			req.iova.start = next64(&in);
			req.iova.last = next64(&in);
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
	return 0;
}
