// SPDX-License-Identifier: GPL-2.0
/* uvdpad net's command line: what it accepts, and the message for what it refuses. */
#include "kselftest_harness.h"
#include "cli_parse.h"

TEST(defaults)
{
	const uint8_t mac[6] = { 0x02, 0x75, 0x76 };
	struct parsed p, q;

	PARSE(&p, "net", "--name", "net0");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("net", p.o.type);
	EXPECT_EQ(NULL, p.o.net.tap);
	EXPECT_EQ(-1, p.o.net.tap_fd);
	EXPECT_EQ(1500, p.o.net.mtu);
	EXPECT_EQ(256, p.o.queue_size);
	EXPECT_EQ(1, p.o.workers);
	EXPECT_FALSE(p.o.packed);
	EXPECT_EQ(CLI_ATTACH_NONE, p.o.attach);
	/* A locally administered unicast MAC of the name: stable, and differs by name. */
	EXPECT_EQ(0, memcmp(p.o.net.mac, mac, 3));
	PARSE(&q, "net", "--name", "net0");
	EXPECT_EQ(0, memcmp(p.o.net.mac, q.o.net.mac, 6));
	PARSE(&q, "net", "--name", "net1");
	EXPECT_NE(0, memcmp(p.o.net.mac, q.o.net.mac, 6));
}

TEST(every_option)
{
	const uint8_t mac[6] = { 0x02, 0xab, 0xcd, 0xef, 0x01, 0x23 };
	struct parsed p;

	PARSE(&p, "net", "--name", "n", "--tap", "uvdpa7", "--mac", "02:AB:cd:ef:01:23",
	      "--mtu", "9000", "--queue-size", "1024", "--packed", "--attach", "vhost", "-v");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("uvdpa7", p.o.net.tap);
	EXPECT_TRUE(p.o.net.mac_set);
	EXPECT_EQ(0, memcmp(p.o.net.mac, mac, 6));
	EXPECT_EQ(9000, p.o.net.mtu);
	EXPECT_EQ(1024, p.o.queue_size);
	EXPECT_TRUE(p.o.packed);
	EXPECT_EQ(CLI_ATTACH_VHOST, p.o.attach);
	EXPECT_TRUE(p.o.verbose);

	PARSE(&p, "net", "--name", "n", "--tap-fd", "3", "--split", "--attach");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_EQ(3, p.o.net.tap_fd);
	EXPECT_EQ(CLI_ATTACH_VIRTIO, p.o.attach);
}

TEST(macs)
{
	uint8_t m[6];

	EXPECT_EQ(0, cli_parse_mac("52:54:00:12:34:56", m));
	EXPECT_EQ(0x56, m[5]);
	EXPECT_EQ(-EINVAL, cli_parse_mac("01:00:5e:00:00:01", m));	/* multicast */
	EXPECT_EQ(-EINVAL, cli_parse_mac("ff:ff:ff:ff:ff:ff", m));
	EXPECT_EQ(-EINVAL, cli_parse_mac("00:00:00:00:00:00", m));
	EXPECT_EQ(-EINVAL, cli_parse_mac("52:54:00:12:34", m));
	EXPECT_EQ(-EINVAL, cli_parse_mac("52:54:00:12:34:56:78", m));
	EXPECT_EQ(-EINVAL, cli_parse_mac("52-54-00-12-34-56", m));
	EXPECT_EQ(-EINVAL, cli_parse_mac("52:54:00:12:34:5g", m));
	EXPECT_EQ(-EINVAL, cli_parse_mac("", m));
}

TEST(refused)
{
	REFUSED("(blk or net)", "vsock", "--name", "n");
	REFUSED("--name is required", "net", "--tap", "t0");
	REFUSED("give --tap or --tap-fd, not both", "net", "--name", "n", "--tap", "t0",
		"--tap-fd", "3");
	REFUSED("--tap '0123456789abcdef'", "net", "--name", "n", "--tap", "0123456789abcdef");
	REFUSED("--tap 'a/b'", "net", "--name", "n", "--tap", "a/b");
	REFUSED("--reconnect takes over a device that is attached already", "net", "--name", "n",
		"--reconnect", "--attach");
	REFUSED("--tap ''", "net", "--name", "n", "--tap", "");
	REFUSED("--tap-fd '-1'", "net", "--name", "n", "--tap-fd", "-1");
	REFUSED("--tap-fd 'x'", "net", "--name", "n", "--tap-fd", "x");
	REFUSED("--mac '01:00:5e:00:00:01'", "net", "--name", "n", "--mac", "01:00:5e:00:00:01");
	REFUSED("--mac 'zz'", "net", "--name", "n", "--mac", "zz");
	REFUSED("--mtu '67'", "net", "--name", "n", "--mtu", "67");
	REFUSED("--mtu '65536'", "net", "--name", "n", "--mtu", "65536");
	REFUSED("--queue-size '3'", "net", "--name", "n", "--queue-size", "3");
	REFUSED("go with blk, not net", "net", "--name", "n", "--file", "f");
	REFUSED("go with blk, not net", "net", "--name", "n", "--queues", "2");
	REFUSED("go with blk, not net", "net", "--name", "n", "--workers", "1");
	REFUSED("go with net, not blk", "blk", "--name", "b", "--file", "f", "--tap", "t0");
	REFUSED("go with net, not blk", "blk", "--name", "b", "--file", "f", "--mtu", "9000");
}

TEST_HARNESS_MAIN
