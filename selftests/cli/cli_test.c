// SPDX-License-Identifier: GPL-2.0
/* uvdpad's command line: what it accepts, and the message for what it refuses. */
#include "kselftest_harness.h"
#include "cli_parse.h"

TEST(file_defaults)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "blk0", "--file", "/tmp/d.img");
	ASSERT_EQ(0, p.ret);
	EXPECT_STREQ("blk0", p.o.name);
	EXPECT_STREQ("file", p.o.backend);
	EXPECT_STREQ("/tmp/d.img", p.o.path);
	EXPECT_EQ(1, p.o.queues);
	EXPECT_EQ(1, p.o.workers);
	EXPECT_EQ(256, p.o.queue_size);
	EXPECT_EQ(0, p.o.size);
	EXPECT_FALSE(p.o.packed);
	EXPECT_FALSE(p.o.no_umem);
	EXPECT_EQ(CLI_ATTACH_NONE, p.o.attach);
}

TEST(every_option)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "b", "--file", "f", "--size", "2G", "--direct", "--ro",
	      "--queues", "4", "--workers", "3", "--queue-size", "1024", "--packed", "--no-umem",
	      "--attach", "vhost", "-v");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_EQ(2ULL << 30, p.o.size);
	EXPECT_TRUE(p.o.direct);
	EXPECT_TRUE(p.o.read_only);
	EXPECT_EQ(4, p.o.queues);
	EXPECT_EQ(3, p.o.workers);
	EXPECT_EQ(1024, p.o.queue_size);
	EXPECT_TRUE(p.o.packed);
	EXPECT_TRUE(p.o.no_umem);
	EXPECT_EQ(CLI_ATTACH_VHOST, p.o.attach);
	EXPECT_TRUE(p.o.verbose);
}

/* Without --workers, one worker per queue. */
TEST(workers_default_to_queues)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "b", "--file", "f", "--queues", "8");
	ASSERT_EQ(0, p.ret);
	EXPECT_EQ(8, p.o.workers);
}

TEST(attach_forms)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "b", "--backend", "null", "--size", "1M", "--attach");
	EXPECT_EQ(CLI_ATTACH_VIRTIO, p.o.attach);
	PARSE(&p, "blk", "--name", "b", "--backend", "null", "--size", "1M", "--attach=vhost");
	EXPECT_EQ(CLI_ATTACH_VHOST, p.o.attach);
	PARSE(&p, "blk", "--attach", "virtio", "--name", "b", "--backend", "ram", "--size", "1M");
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(CLI_ATTACH_VIRTIO, p.o.attach);
	PARSE(&p, "blk", "--attach", "--ro", "--name", "b", "--file", "f");
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(CLI_ATTACH_VIRTIO, p.o.attach);
	EXPECT_TRUE(p.o.read_only);
}

TEST(reconnect)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "b", "--file", "f", "--reconnect");
	ASSERT_EQ(0, p.ret);
	EXPECT_TRUE(p.o.reconnect);
	EXPECT_EQ(CLI_ATTACH_NONE, p.o.attach);
	PARSE(&p, "blk", "--name", "b", "--file", "f");
	EXPECT_FALSE(p.o.reconnect);
}

/* --nbd alone is the nbd backend, as --file alone is the file backend. */
TEST(nbd_forms)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "b", "--nbd", "nbd://127.0.0.1:10809/exp");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("nbd", p.o.backend);
	EXPECT_STREQ("nbd://127.0.0.1:10809/exp", p.o.nbd);
	PARSE(&p, "blk", "--name", "b", "--backend", "nbd", "--nbd", "nbd+unix:///?socket=/s",
	      "--ro", "--queues", "2");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("nbd", p.o.backend);
	EXPECT_TRUE(p.o.read_only);
}

/*
 * --rbd alone is the rbd backend, and so is --backend rbd --image (the
 * issue's spelling); --ceph-conf and --ceph-id go with it only.
 */
TEST(rbd_forms)
{
	struct parsed p;

	PARSE(&p, "blk", "--name", "b", "--rbd", "rbd/disk", "--ceph-conf", "/c", "--ceph-id", "u");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("rbd", p.o.backend);
	EXPECT_STREQ("rbd/disk", p.o.rbd);
	EXPECT_STREQ("/c", p.o.ceph_conf);
	EXPECT_STREQ("u", p.o.ceph_id);
	PARSE(&p, "blk", "--name", "b", "--backend", "rbd", "--image", "rbd/disk");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("rbd", p.o.backend);
	EXPECT_STREQ("rbd/disk", p.o.rbd);
}

TEST(help)
{
	struct parsed p;

	PARSE(&p, "--help");
	EXPECT_EQ(0, p.ret);
	EXPECT_TRUE(p.o.help);
	PARSE(&p, "blk", "-h");
	EXPECT_TRUE(p.o.help);
}

TEST(sizes)
{
	uint64_t b;

	EXPECT_EQ(0, cli_parse_size("512", &b));
	EXPECT_EQ(512, b);
	EXPECT_EQ(0, cli_parse_size("4k", &b));
	EXPECT_EQ(4096, b);
	EXPECT_EQ(0, cli_parse_size("64M", &b));
	EXPECT_EQ(64ULL << 20, b);
	EXPECT_EQ(0, cli_parse_size("1T", &b));
	EXPECT_EQ(1ULL << 40, b);
	EXPECT_EQ(-EINVAL, cli_parse_size("", &b));
	EXPECT_EQ(-EINVAL, cli_parse_size("-1", &b));
	EXPECT_EQ(-EINVAL, cli_parse_size("1X", &b));
	EXPECT_EQ(-EINVAL, cli_parse_size("1MB", &b));
	EXPECT_EQ(-EINVAL, cli_parse_size("99999999999999999999", &b));
	EXPECT_EQ(-EINVAL, cli_parse_size("20000000T", &b));
}

TEST(refused)
{
	REFUSED("device type", "--name");
	REFUSED("drop --attach", "blk", "--name", "b", "--file", "f", "--reconnect", "--attach");
	REFUSED("unknown device type 'disk'", "disk", "--name", "b");
	REFUSED("--name is required", "blk", "--file", "f");
	REFUSED("no '/'", "blk", "--name", "a/b", "--file", "f");
	REFUSED("give --file PATH, --nbd URI, --rbd POOL/IMAGE, or --backend null|ram", "blk", "--name", "b");
	REFUSED("--backend 'tape'", "blk", "--name", "b", "--backend", "tape", "--size", "1M");
	REFUSED("needs --file", "blk", "--name", "b", "--backend", "file");
	REFUSED("--file goes with", "blk", "--name", "b", "--backend", "null", "--file", "f",
		"--size", "1M");
	REFUSED("null backend needs --size", "blk", "--name", "b", "--backend", "null");
	REFUSED("multiple of 512", "blk", "--name", "b", "--file", "f", "--size", "1000");
	REFUSED("--size 'lots'", "blk", "--name", "b", "--file", "f", "--size", "lots");
	REFUSED("--size '0'", "blk", "--name", "b", "--file", "f", "--size", "0");
	REFUSED("--direct goes with", "blk", "--name", "b", "--backend", "ram", "--size", "1M",
		"--direct");
	REFUSED("--nbd: NBD URI: 'nbd:/x' is neither", "blk", "--name", "b", "--nbd", "nbd:/x");
	REFUSED("needs ?socket=PATH", "blk", "--name", "b", "--nbd", "nbd+unix:///exp");
	REFUSED("nbd backend needs --nbd URI", "blk", "--name", "b", "--backend", "nbd");
	REFUSED("--nbd goes with the nbd backend, not 'file'", "blk", "--name", "b", "--file", "f",
		"--nbd", "nbd://h/e");
	REFUSED("--size goes with the file, null or ram backend, not 'nbd'", "blk", "--name", "b",
		"--nbd", "nbd://h/e", "--size", "1M");
	REFUSED("--ceph-id goes with the rbd backend, not 'file'", "blk", "--name", "b", "--file",
		"f", "--ceph-id", "u");
	REFUSED("rbd backend needs --rbd POOL/IMAGE", "blk", "--name", "b", "--backend", "rbd");
	REFUSED("--queues '0'", "blk", "--name", "b", "--file", "f", "--queues", "0");
	REFUSED("--queues '65'", "blk", "--name", "b", "--file", "f", "--queues", "65");
	REFUSED("--workers '0'", "blk", "--name", "b", "--file", "f", "--workers", "0");
	REFUSED("--workers 3: more workers than --queues 2", "blk", "--name", "b", "--file", "f",
		"--queues", "2", "--workers", "3");
	REFUSED("--queue-size '100'", "blk", "--name", "b", "--file", "f", "--queue-size", "100");
	REFUSED("--queue-size '2048'", "blk", "--name", "b", "--file", "f", "--queue-size",
		"2048");
	REFUSED("--attach 'vm'", "blk", "--name", "b", "--file", "f", "--attach=vm");
	REFUSED("unknown option '--bogus'", "blk", "--name", "b", "--file", "f", "--bogus");
	REFUSED("--queues needs a value", "blk", "--name", "b", "--file", "f", "--queues");
	REFUSED("unexpected argument 'extra'", "blk", "--name", "b", "--file", "f", "extra");
}

TEST(filter_with_parameters)
{
	/* The parameters point into argv: it must outlive the options. */
	char *with[] = { "uvdpad", "blk", "--name", "b", "--filter", "coalesce", "max_frames=8",
			 "--file", "f", "max_usecs=50", NULL };
	char *object[] = { "uvdpad", "blk", "--name", "b", "--file", "f", "--filter-object",
			   "/x/my.bpf.o", NULL };
	struct parsed p;

	p.ret = cli_parse(10, with, &p.o, p.err, sizeof(p.err));
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ("coalesce", p.o.filter);
	EXPECT_EQ(NULL, p.o.filter_object);
	ASSERT_EQ(2, p.o.nr_filter_params);
	EXPECT_STREQ("max_frames=8", p.o.filter_params[0]);
	EXPECT_STREQ("max_usecs=50", p.o.filter_params[1]);

	p.ret = cli_parse(8, object, &p.o, p.err, sizeof(p.err));
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_EQ(NULL, p.o.filter);
	EXPECT_STREQ("/x/my.bpf.o", p.o.filter_object);
	EXPECT_EQ(0, p.o.nr_filter_params);

	/* Without a filter: the built-in policy, no parameters. */
	PARSE(&p, "blk", "--name", "b", "--file", "f");
	ASSERT_EQ(0, p.ret);
	EXPECT_EQ(NULL, p.o.filter);
	EXPECT_EQ(0, p.o.nr_filter_params);
}

TEST(filter_refusals)
{
	REFUSED("'max_frames=8': parameters go with --filter", "blk", "--name", "b", "--file",
		"f", "max_frames=8");
	REFUSED("--filter or --filter-object, not both", "blk", "--name", "b", "--file", "f",
		"--filter", "poll", "--filter-object", "x.o");
	REFUSED("unexpected argument 'max_frames'", "blk", "--name", "b", "--file", "f",
		"--filter", "coalesce", "max_frames");
	REFUSED("unexpected argument '=8'", "blk", "--name", "b", "--file", "f",
		"--filter", "coalesce", "=8");
	REFUSED("--filter needs a value", "blk", "--name", "b", "--file", "f", "--filter");
}

TEST_HARNESS_MAIN
