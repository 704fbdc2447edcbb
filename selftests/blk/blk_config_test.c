// SPDX-License-Identifier: GPL-2.0
/*
 * What the device offers and what its config space says, as the driver
 * reads it: little-endian, fields present only with their feature.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "kselftest_harness.h"
#include "blk_test.h"

#define F(bit) (1ULL << (bit))

#define BASE_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_ACCESS_PLATFORM) | \
		       F(VIRTIO_RING_F_INDIRECT_DESC) |			     \
		       F(VIRTIO_RING_F_EVENT_IDX) | F(VIRTIO_BLK_F_FLUSH) |  \
		       F(VIRTIO_BLK_F_TOPOLOGY) | F(VIRTIO_BLK_F_BLK_SIZE) | \
		       F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_SIZE_MAX))

static int cfg_init(struct blk_dev *dev, struct be *be, uint64_t size,
		    bool read_only, const struct blk_opts *b)
{
	struct be_opts o = { .size = size, .read_only = read_only };
	int ret = be_null_ops.open(be, &o);

	return ret ? ret : blk_dev_init(dev, be, b);
}

TEST(defaults)
{
	struct blk_opts b = { .num_queues = 1, .queue_size = 256, .name = "vblk0" };
	struct blk_dev dev;
	struct dev_req *req;
	struct be be;

	ASSERT_EQ(0, cfg_init(&dev, &be, 1ULL << 40, false, &b));
	ASSERT_EQ(BASE_FEATURES | F(VIRTIO_BLK_F_DISCARD) |
		  F(VIRTIO_BLK_F_WRITE_ZEROES), dev.features);
	ASSERT_EQ(0, dev.features & F(VIRTIO_BLK_F_CONFIG_WCE));
	ASSERT_EQ(1ULL << 31, le64toh(dev.config.capacity));
	ASSERT_EQ(512, le32toh(dev.config.blk_size));
	/*
	 * Requests of at most 64 pages with header, status and table: 64 MiB,
	 * and the page VDUSE keeps back, rounded up to whole MiB.
	 */
	ASSERT_EQ(61, le32toh(dev.config.seg_max));
	ASSERT_EQ(4096, le32toh(dev.config.size_max));
	ASSERT_EQ(65 << 20, dev.bounce_size);
	ASSERT_EQ(0, dev.config.physical_block_exp);
	ASSERT_EQ(0, dev.config.alignment_offset);
	ASSERT_EQ(1, le16toh(dev.config.min_io_size));
	ASSERT_EQ(0, le32toh(dev.config.opt_io_size));
	ASSERT_EQ(0, dev.config.wce);
	ASSERT_EQ(1, le16toh(dev.config.num_queues));
	ASSERT_EQ(1 << 22, le32toh(dev.config.max_discard_sectors));
	ASSERT_EQ(16, le32toh(dev.config.max_discard_seg));
	ASSERT_EQ(1, le32toh(dev.config.discard_sector_alignment));
	ASSERT_EQ(1 << 22, le32toh(dev.config.max_write_zeroes_sectors));
	ASSERT_EQ(16, le32toh(dev.config.max_write_zeroes_seg));
	ASSERT_EQ(1, dev.config.write_zeroes_may_unmap);
	ASSERT_EQ(60, dev.config_size);
	ASSERT_EQ(0, memcmp(dev.id, "vblk0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20));
	/* Every descriptor of a full request may straddle two mappings. */
	req = calloc(1, blk_model.req_size);
	ASSERT_NE(NULL, req);
	blk_model.req_init(&dev, req);
	ASSERT_GE(req->chain.max_iov, 2 * (126 + 2));
	free(req);
	ASSERT_LE(sizeof(struct dev_req), blk_model.req_size);
}

TEST(options)
{
	struct blk_opts b = { .num_queues = 4, .queue_size = 16, .packed = true,
			      .serial = "01234567890123456789", .name = "x" };
	struct blk_dev dev;
	struct be be;

	ASSERT_EQ(0, cfg_init(&dev, &be, 4096, true, &b));
	ASSERT_EQ(BASE_FEATURES | F(VIRTIO_F_RING_PACKED) | F(VIRTIO_BLK_F_RO) |
		  F(VIRTIO_BLK_F_MQ), dev.features);
	ASSERT_EQ(4, le16toh(dev.config.num_queues));
	/* Without indirect descriptors a request fits in a 16-entry ring. */
	ASSERT_EQ(14, le32toh(dev.config.seg_max));
	/* 64 slots of 17 pages and one, rounded up to whole MiB. */
	ASSERT_EQ(5 << 20, dev.bounce_size);
	/* Not offered: left zero. */
	ASSERT_EQ(0, dev.config.max_discard_sectors);
	ASSERT_EQ(0, dev.config.max_write_zeroes_seg);
	ASSERT_EQ(0, dev.config.write_zeroes_may_unmap);
	ASSERT_EQ(0, memcmp(dev.id, "01234567890123456789", 20));
}

/*
 * VDUSE's bounce buffer holds a request in every slot of every queue, and
 * stops at the kernel's 1 GiB: more slots make smaller requests.
 */
TEST(bounce_buffer)
{
	struct blk_opts b = { .num_queues = 2, .queue_size = 1024 };
	struct blk_dev dev;
	struct be be;

	ASSERT_EQ(0, cfg_init(&dev, &be, 1 << 20, false, &b));
	ASSERT_EQ(61, le32toh(dev.config.seg_max));
	ASSERT_EQ(513 << 20, dev.bounce_size);
	b.num_queues = 8;
	ASSERT_EQ(0, cfg_init(&dev, &be, 1 << 20, false, &b));
	ASSERT_EQ(28, le32toh(dev.config.seg_max));
	ASSERT_EQ(993 << 20, dev.bounce_size);
	/* The most the CLI allows: 64 queues of 1024. */
	b.num_queues = 64;
	ASSERT_EQ(0, cfg_init(&dev, &be, 1 << 20, false, &b));
	ASSERT_EQ(1, le32toh(dev.config.seg_max));
	ASSERT_EQ(1 << 30, dev.bounce_size);
}

/* The backend's physical block makes the topology and discard alignment. */
TEST(topology)
{
	struct blk_opts b = { .num_queues = 1, .queue_size = 128 };
	struct blk_dev dev;
	struct be be;

	ASSERT_EQ(0, be_null_ops.open(&be, &(struct be_opts){ .size = 1 << 20 }));
	be.block_size = 4096;
	be.phys_block_size = 16384;
	ASSERT_EQ(0, blk_dev_init(&dev, &be, &b));
	ASSERT_EQ(4096, le32toh(dev.config.blk_size));
	ASSERT_EQ(2, dev.config.physical_block_exp);
	ASSERT_EQ(4, le16toh(dev.config.min_io_size));
	ASSERT_EQ(32, le32toh(dev.config.discard_sector_alignment));
	ASSERT_EQ(2048, le64toh(dev.config.capacity));
}

TEST(bad_options)
{
	struct blk_opts b = { .num_queues = 1, .queue_size = 128 };
	struct blk_dev dev;
	struct be be;

	ASSERT_EQ(0, be_null_ops.open(&be, &(struct be_opts){ .size = 4096 }));
	b.num_queues = 0;
	ASSERT_EQ(-EINVAL, blk_dev_init(&dev, &be, &b));
	b.num_queues = 65536;
	ASSERT_EQ(-EINVAL, blk_dev_init(&dev, &be, &b));
	b.num_queues = 1;
	b.queue_size = 0;
	ASSERT_EQ(-EINVAL, blk_dev_init(&dev, &be, &b));
	b.queue_size = 128;
	b.serial = "012345678901234567890";
	ASSERT_EQ(-EINVAL, blk_dev_init(&dev, &be, &b));
	/* A long device name is cut to fit. */
	b.serial = NULL;
	b.name = "a-device-name-longer-than-twenty";
	ASSERT_EQ(0, blk_dev_init(&dev, &be, &b));
	ASSERT_EQ(0, memcmp(dev.id, "a-device-name-longer", 20));
}

TEST(file_topology)
{
	struct blk_opts b = { .num_queues = 1, .queue_size = 128 };
	struct t_blk t;
	struct stat st;

	memset(&t, 0, sizeof(t));
	ASSERT_EQ(0, t_mkfile(&t, 1 << 20));
	ASSERT_EQ(0, stat(t.path, &st));
	ASSERT_EQ(0, t_open(&t, "file", &(struct be_opts){ .path = t.path }, &b));
	/* The file system block: smaller writes cost a read first. */
	ASSERT_EQ(st.st_blksize, t.be.phys_block_size);
	ASSERT_EQ(st.st_blksize / 512, le32toh(t.dev.config.discard_sector_alignment));
	ASSERT_EQ(st.st_blksize / 512, le16toh(t.dev.config.min_io_size));
	t_close(&t);
	unlink(t.path);
}

TEST_HARNESS_MAIN
