// SPDX-License-Identifier: GPL-2.0
/*
 * What the virtio-net device offers before any frame moves: its feature
 * bits, its config space (5.1.4), the link status, and how headers are
 * checked and mapped between the driver and the tap in each direction.
 */
#include "kselftest_harness.h"
#include "net_test.h"

#define OFFERED (T_FEATURES | 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_MTU | \
		 1ULL << VIRTIO_NET_F_STATUS)

static const struct net_opts opts = {
	.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
	.mtu = 9000,
};

TEST(features_are_exactly_the_listed_ones)
{
	struct net_dev dev;
	struct net_opts packed = opts;

	ASSERT_EQ(0, net_dev_init(&dev, NULL, &opts));
	EXPECT_EQ(OFFERED, dev.features);
	/* VDUSE refuses a net device with a control queue. */
	EXPECT_FALSE(dev.features & 1ULL << VIRTIO_NET_F_CTRL_VQ);
	EXPECT_FALSE(dev.features & 1ULL << VIRTIO_NET_F_MQ);
	EXPECT_FALSE(dev.features & 1ULL << VIRTIO_F_RING_PACKED);
	net_dev_fini(&dev);

	packed.packed = true;
	ASSERT_EQ(0, net_dev_init(&dev, NULL, &packed));
	EXPECT_EQ(OFFERED | 1ULL << VIRTIO_F_RING_PACKED, dev.features);
	net_dev_fini(&dev);
}

TEST(config_space)
{
	struct net_dev dev;
	unsigned int off, len;

	ASSERT_EQ(0, net_dev_init(&dev, NULL, &opts));
	EXPECT_EQ(0, memcmp(dev.config.mac, opts.mac, 6));
	EXPECT_EQ(9000, le16toh(dev.config.mtu));
	EXPECT_EQ(1, le16toh(dev.config.max_virtqueue_pairs));
	EXPECT_EQ(0, le16toh(dev.config.status));
	/* Up to and with the MTU: nothing beyond is offered. */
	EXPECT_EQ(12, dev.config_size);

	net_dev_set_link(&dev, true, &off, &len);
	EXPECT_EQ(VIRTIO_NET_S_LINK_UP, le16toh(dev.config.status));
	EXPECT_EQ(6, off);
	EXPECT_EQ(2, len);
	net_dev_set_link(&dev, false, &off, &len);
	EXPECT_EQ(0, le16toh(dev.config.status));
	net_dev_fini(&dev);
}

TEST(bad_options_refused)
{
	struct net_dev dev;
	struct net_opts o = opts;

	o.mtu = 67;
	EXPECT_EQ(-EINVAL, net_dev_init(&dev, NULL, &o));
	o = opts;
	o.mac[0] = 0x01;	/* multicast */
	EXPECT_EQ(-EINVAL, net_dev_init(&dev, NULL, &o));
	o = opts;
	memset(o.mac, 0, 6);
	EXPECT_EQ(-EINVAL, net_dev_init(&dev, NULL, &o));
}

static struct virtio_net_hdr_mrg_rxbuf hdr(uint8_t flags, uint8_t gso)
{
	struct virtio_net_hdr_mrg_rxbuf h = {
		.hdr = {
			.flags = flags,
			.gso_type = gso,
			.hdr_len = htole16(54),
			.gso_size = htole16(1448),
			.csum_start = htole16(34),
			.csum_offset = htole16(16),
		},
		.num_buffers = htole16(7),
	};

	return h;
}

TEST(tx_header_checked_against_host_features)
{
	const uint64_t none = 1ULL << VIRTIO_F_VERSION_1;
	const uint64_t all = T_FEATURES;
	struct virtio_net_hdr_mrg_rxbuf h;

	h = hdr(0, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(0, net_hdr_to_fd(&h, none));
	/* The fd never sees the driver's num_buffers. */
	EXPECT_EQ(0, h.num_buffers);

	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(-EINVAL, net_hdr_to_fd(&h, none));
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(0, net_hdr_to_fd(&h, all));
	EXPECT_EQ(34, h.hdr.csum_start);
	EXPECT_EQ(16, h.hdr.csum_offset);

	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	EXPECT_EQ(-EINVAL, net_hdr_to_fd(&h, none | 1ULL << VIRTIO_NET_F_CSUM));
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	EXPECT_EQ(0, net_hdr_to_fd(&h, all));
	EXPECT_EQ(1448, h.hdr.gso_size);
	EXPECT_EQ(54, h.hdr.hdr_len);
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6);
	EXPECT_EQ(-EINVAL, net_hdr_to_fd(&h, all & ~(1ULL << VIRTIO_NET_F_HOST_TSO6)));

	/* Never offered: UDP segmentation, ECN; DATA_VALID is the device's flag. */
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP);
	EXPECT_EQ(-EINVAL, net_hdr_to_fd(&h, all));
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	EXPECT_EQ(-EINVAL, net_hdr_to_fd(&h, all));
	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(-EINVAL, net_hdr_to_fd(&h, all));
}

TEST(rx_header_checked_against_guest_features)
{
	const uint64_t none = 1ULL << VIRTIO_F_VERSION_1;
	const uint64_t all = T_FEATURES;
	struct virtio_net_hdr_mrg_rxbuf h;

	/* Without GUEST_CSUM the flags are zero (5.1.6.4.1). */
	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(0, net_hdr_from_fd(&h, none));
	EXPECT_EQ(0, h.hdr.flags);
	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(0, net_hdr_from_fd(&h, all));
	EXPECT_EQ(VIRTIO_NET_HDR_F_DATA_VALID, h.hdr.flags);
	/* A partial checksum the driver cannot finish is never handed over. */
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE);
	EXPECT_EQ(-EINVAL, net_hdr_from_fd(&h, none));

	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6);
	EXPECT_EQ(-EINVAL, net_hdr_from_fd(&h, all & ~(1ULL << VIRTIO_NET_F_GUEST_TSO6)));
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6);
	EXPECT_EQ(0, net_hdr_from_fd(&h, all));
	EXPECT_EQ(1448, le16toh(h.hdr.gso_size));
	EXPECT_EQ(54, le16toh(h.hdr.hdr_len));
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_TCPV6, h.hdr.gso_type);
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP);
	EXPECT_EQ(-EINVAL, net_hdr_from_fd(&h, all));
}

TEST_HARNESS_MAIN
