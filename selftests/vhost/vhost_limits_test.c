// SPDX-License-Identifier: GPL-2.0
/*
 * The request limits of uvdpad's virtio-blk device, enforced on what a
 * driver posts through vhost-vdpa: a segment longer than 1 MiB (here also a
 * read into more than 4 GiB of descriptors, which a 32-bit byte count would
 * wrap) and more segments than seg_max (5.2.4) are answered IOERR with
 * nothing written; seg_max segments are served. The config's size_max asks
 * for one page, for VDUSE's bounce buffer; a longer segment up to 1 MiB is
 * still served, for drivers that read with one segment per request.
 */
#include <linux/virtio_blk.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"
#include "vduse/vdpa_bus.h"
#include "vhost_guest.h"

#define MiB (1024 * 1024ULL)
#define GiB (1024 * MiB)
#define QSIZE 256
#define TIMEOUT_MS 20000
/* Guest memory never touched: the null backend moves no data. */
#define IOVA_BIG 0x100000000ULL
#define BIG (5 * GiB)

FIXTURE(limits) {
	struct daemon d;
	struct vg g;
	struct virtio_blk_config cfg;
};

FIXTURE_SETUP(limits)
{
	const char *args[] = { "blk", "--name", self->d.name, "--backend", "null", "--size", "16G",
			       "--attach", "vhost", NULL };
	char dev[32], path[64], why[1024];

	snprintf(self->d.name, sizeof(self->d.name), "ksft-li%d", getpid());
	self->g.fd = -1;
	ASSERT_EQ(0, daemon_start(&self->d, self->d.name, args, why, sizeof(why))) {
		TH_LOG("uvdpad did not get ready %s", why);
	}
	ASSERT_EQ(0, vdpa_bus_vhost_dev(self->d.name, dev, sizeof(dev)));
	snprintf(path, sizeof(path), "/dev/%s", dev);
	ASSERT_EQ(0, vg_open(&self->g, path));
	ASSERT_EQ(0, vg_add_region(&self->g, 0, 8 * MiB));
	ASSERT_EQ(0, vg_add_region(&self->g, IOVA_BIG, BIG));
	ASSERT_EQ(0, vg_start(&self->g, 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_SIZE_MAX,
			      1, QSIZE, 0, true));
	ASSERT_EQ(0, vg_get_config(&self->g, 0, &self->cfg,
				   offsetof(struct virtio_blk_config, geometry)));
}

FIXTURE_TEARDOWN(limits)
{
	vg_close(&self->g);
	daemon_close(&self->d);
}

/*
 * A read at sector 0 into @n data segments of @len bytes each from
 * IOVA_BIG: its status, and the used length in *used, or -ETIMEDOUT.
 */
static int read_into(FIXTURE_DATA(limits) *self, unsigned int n, uint64_t len, uint32_t *used)
{
	struct vg_buf bufs[QSIZE];
	struct virtio_blk_outhdr *h;
	uint64_t hdr_iova;
	uint8_t *status;
	unsigned int i;
	uint32_t id;

	h = vg_alloc(&self->g, 0, sizeof(*h) + 1, 16, &hdr_iova);
	h->type = htole32(VIRTIO_BLK_T_IN);
	h->ioprio = 0;
	h->sector = 0;
	status = (uint8_t *)(h + 1);
	*status = 0xff;
	bufs[0] = (struct vg_buf){ hdr_iova, sizeof(*h), false };
	for (i = 0; i < n; i++)
		bufs[1 + i] = (struct vg_buf){ IOVA_BIG + i * len, len, true };
	bufs[1 + n] = (struct vg_buf){ hdr_iova + sizeof(*h), 1, true };
	if (vg_post(&self->g, 0, bufs, n + 2, false, 0) < 0)
		return -EIO;
	if (vg_wait_used(&self->g, 0, &id, used, TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	return *status;
}

TEST_F_TIMEOUT(limits, size_max_and_seg_max, 120)
{
	uint32_t seg_max = le32toh(self->cfg.seg_max), size_max = 1 * MiB;
	uint32_t used;

	ASSERT_EQ(4096, le32toh(self->cfg.size_max));
	ASSERT_LE(2, seg_max);
	ASSERT_GE(QSIZE - 2, seg_max + 1);
	/* Two segments of 2.5 GiB: 5 GiB, past 32 bits and size_max. */
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, read_into(self, 2, BIG / 2, &used));
	EXPECT_EQ(1, used);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, read_into(self, 1, size_max + 512ULL, &used));
	EXPECT_EQ(1, used);
	EXPECT_EQ(VIRTIO_BLK_S_OK, read_into(self, 1, size_max, &used));
	EXPECT_EQ(size_max + 1, used);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, read_into(self, seg_max + 1, 512, &used));
	EXPECT_EQ(1, used);
	EXPECT_EQ(VIRTIO_BLK_S_OK, read_into(self, seg_max, 512, &used));
	EXPECT_EQ(seg_max * 512 + 1, used);
	/* Answered, not broken: the queue went on, and the daemon said nothing. */
	EXPECT_EQ(3, ctl_model_stat(self->d.name, "bad_requests"));
	EXPECT_EQ(0, kill(self->d.pid, 0));
	vg_close(&self->g);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_HARNESS_MAIN
