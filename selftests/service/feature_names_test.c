// SPDX-License-Identifier: GPL-2.0
/* Feature bits by name, as uvdpactl show prints what a device offered and a driver took. */
#include <string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "dev/feature_names.h"
#include "kselftest_harness.h"

#define BIT(n) (1ULL << (n))

TEST(blk_and_transport_bits_lowest_first)
{
	char buf[256];

	EXPECT_STREQ("SEG_MAX,FLUSH,MQ,INDIRECT_DESC,EVENT_IDX,VERSION_1,RING_PACKED",
		     feature_names(VIRTIO_ID_BLOCK, BIT(VIRTIO_F_RING_PACKED) |
				   BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_MQ) |
				   BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_SEG_MAX) |
				   BIT(VIRTIO_RING_F_INDIRECT_DESC) |
				   BIT(VIRTIO_RING_F_EVENT_IDX), buf, sizeof(buf)));
}

/* The same bit is another feature in another device type. */
TEST(bit_meaning_depends_on_the_type)
{
	char buf[64];

	EXPECT_STREQ("CSUM,MAC,VERSION_1", feature_names(VIRTIO_ID_NET, BIT(0) | BIT(5) | BIT(32),
							 buf, sizeof(buf)));
	EXPECT_STREQ("BARRIER,BLK_SIZE,VERSION_1",
		     feature_names(VIRTIO_ID_BLOCK, BIT(0) | BIT(6) | BIT(32), buf, sizeof(buf)));
}

TEST(unnamed_and_none)
{
	char buf[64];

	EXPECT_STREQ("none", feature_names(VIRTIO_ID_BLOCK, 0, buf, sizeof(buf)));
	EXPECT_STREQ("bit50,bit63", feature_names(VIRTIO_ID_BLOCK, BIT(50) | BIT(63), buf,
						  sizeof(buf)));
	EXPECT_STREQ("bit3,VERSION_1", feature_names(99, BIT(3) | BIT(32), buf, sizeof(buf)));
}

/* A short buffer holds whole names only. */
TEST(truncated_at_a_name)
{
	char buf[12];

	EXPECT_STREQ("SEG_MAX", feature_names(VIRTIO_ID_BLOCK, BIT(VIRTIO_BLK_F_SEG_MAX) |
					      BIT(VIRTIO_BLK_F_FLUSH) | BIT(32), buf,
					      sizeof(buf)));
}

TEST_HARNESS_MAIN
