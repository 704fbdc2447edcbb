// SPDX-License-Identifier: GPL-2.0
/*
 * Native ring benchmark: one simulated driver (the selftests' spec-side
 * driver) and the engine in one thread, so the figure is chains per second
 * per core for driver and device together. Buffers are never touched: this
 * measures the rings, not memcpy.
 *
 * Usage: ringbench [-n CHAINS] [-c CONFIG]
 *   CHAINS per configuration (default 20M); CONFIG: run only that row,
 *   numbered from 0, e.g. for callgrind instruction counts per chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../../selftests/ring/ring_driver.h"
#include "util/array_size.h"

#define NUM 256
#define BATCH 64

struct config {
	bool packed;
	unsigned int nseg;
	bool event_idx;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Returns seconds for @chains chains, or a negative value on failure. */
static double run(const struct config *cfg, unsigned long chains)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1 |
		     (cfg->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
		     (cfg->event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0);
	struct drv_seg segs[3];
	struct iovec iov[8];
	struct vq_chain c = { .iov = iov, .max_iov = 8 };
	unsigned long done = 0;
	unsigned int i;
	struct drv d;
	struct vq vq;
	double t0, t;
	uint32_t len;
	uint16_t id;
	int err = 0;

	if (drv_init(&d, NUM, f, 4096) || vq_init(&vq, &d.cfg, &d.xlate))
		return -1;
	for (i = 0; i < cfg->nseg; i++)
		segs[i] = (struct drv_seg){ d.data_iova + 512 * i, 512,
					    cfg->nseg > 1 && i == cfg->nseg - 1 };
	t0 = now();
	while (done < chains) {
		for (i = 0; i < BATCH; i++)
			if (drv_add(&d, segs, cfg->nseg, false) < 0)
				err = 1;
		drv_kick(&d);
		while (vq_pop(&vq, &c) == 1)
			vq_push(&vq, c.token, c.in_len);
		vq_need_interrupt(&vq);
		while (drv_get_used(&d, &id, &len) == 1)
			done++;
		if (cfg->event_idx)
			drv_set_cb(&d, true);
	}
	t = now() - t0;
	if (vq_error(&vq) || err || vq_inflight_count(&vq))
		t = -1;
	vq_fini(&vq);
	drv_fini(&d);
	return t;
}

int main(int argc, char **argv)
{
	static const struct config cfgs[] = {
		{ false, 1, false }, { false, 1, true },
		{ false, 3, false }, { false, 3, true },
		{ true, 1, false }, { true, 1, true },
		{ true, 3, false }, { true, 3, true },
	};
	unsigned int i, only = ~0U;
	unsigned long chains = 20000000;
	int opt;

	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if (opt == 'n') {
			chains = strtoul(optarg, NULL, 0);
		} else if (opt == 'c') {
			only = strtoul(optarg, NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [-n CHAINS] [-c CONFIG]\n",
				argv[0]);
			return 2;
		}
	}
	printf("ringbench: driver and engine in one thread, queue %u, "
	       "batches of %u, %lu chains each\n", NUM, BATCH, chains);
	printf("%-7s %6s %9s %12s %9s\n", "layout", "descs", "event_idx",
	       "Mchains/s", "ns/chain");
	for (i = 0; i < ARRAY_SIZE(cfgs); i++) {
		double t;

		if (only != ~0U && i != only)
			continue;
		t = run(&cfgs[i], chains);

		if (t < 0) {
			fprintf(stderr, "ringbench: run %u failed\n", i);
			return 1;
		}
		printf("%-7s %6u %9s %12.1f %9.1f\n",
		       cfgs[i].packed ? "packed" : "split", cfgs[i].nseg,
		       cfgs[i].event_idx ? "on" : "off", chains / t / 1e6,
		       t * 1e9 / chains);
	}
	return 0;
}
