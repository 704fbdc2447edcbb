// SPDX-License-Identifier: GPL-2.0
/*
 * A device's configuration file (uvdpad --config FILE): every key it
 * takes, what each means, and for everything wrong a message naming the
 * file and the line.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "kselftest_harness.h"

FIXTURE(config) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct config c;
	struct cli_opts o;
	char err[512];
	int ret;
};

FIXTURE_SETUP(config)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-config.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/disk0.conf", self->dir);
}

FIXTURE_TEARDOWN(config)
{
	config_free(&self->c);
	unlink(self->path);
	rmdir(self->dir);
}

/* Write @text as the file, then load it with the extra arguments @extra. */
static int load(struct __test_metadata *_metadata, FIXTURE_DATA(config) *self, const char *text,
		char **extra)
{
	FILE *f;
	int n = 0;

	config_free(&self->c);
	f = fopen(self->path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		TH_LOG("cannot write %s", self->path);
		return -EIO;
	}
	while (extra && extra[n])
		n++;
	self->err[0] = '\0';
	self->ret = config_load(&self->c, self->path, n, extra, &self->o, self->err,
				sizeof(self->err));
	return self->ret;
}

#define LOAD(text, ...) load(_metadata, self, text, (char *[]){ __VA_ARGS__ NULL })

/* @text is refused: -EINVAL, with "FILE:LINE: " (or "FILE: " for line 0) and @needle. */
#define REFUSED(line, needle, text, ...) do {					\
		char want[PATH_MAX + 32];					\
		if ((line))							\
			snprintf(want, sizeof(want), "%s:%d: ", self->path, (line)); \
		else								\
			snprintf(want, sizeof(want), "%s: ", self->path);	\
		EXPECT_EQ(-EINVAL, LOAD(text, __VA_ARGS__));			\
		EXPECT_EQ(0, strncmp(self->err, want, strlen(want)))		\
			TH_LOG("message: %s (want it to start with %s)", self->err, want); \
		EXPECT_NE(NULL, strstr(self->err, needle))			\
			TH_LOG("message: %s (want %s)", self->err, needle);	\
	} while (0)

TEST_F(config, blk_defaults_and_name_from_the_file)
{
	ASSERT_EQ(0, LOAD("type = blk\nfile = /var/lib/uvdpa/disk0.img\n")) TH_LOG("%s", self->err);
	EXPECT_STREQ("blk", self->o.type);
	EXPECT_STREQ("disk0", self->o.name);
	EXPECT_STREQ("file", self->o.backend);
	EXPECT_STREQ("/var/lib/uvdpa/disk0.img", self->o.path);
	EXPECT_EQ(1, self->o.queues);
	EXPECT_EQ(256, self->o.queue_size);
	EXPECT_EQ(CLI_ATTACH_NONE, self->o.attach);
	EXPECT_FALSE(self->o.reconnect);
}

TEST_F(config, every_blk_key)
{
	ASSERT_EQ(0, LOAD("# a disk for the build containers\n"
			  "\n"
			  "type = blk\n"
			  "name = build-disk\n"
			  "file = \"/srv/disks/a #1.img\"   # quoted: a blank and a '#'\n"
			  "size = 2G\n"
			  "direct = yes\n"
			  "ro = true\n"
			  "queues = 4\n"
			  "workers = 2\n"
			  "queue-size = 1024\n"
			  "packed = on\n"
			  "no-umem = 1\n"
			  "attach = vhost\n"
			  "filter = coalesce\n"
			  "filter-param = max_frames=8\n"
			  "filter-param = max_usecs=50\n"
			  "verbose = yes\n")) TH_LOG("%s", self->err);
	EXPECT_STREQ("build-disk", self->o.name);
	EXPECT_STREQ("/srv/disks/a #1.img", self->o.path);
	EXPECT_EQ(2ULL << 30, self->o.size);
	EXPECT_TRUE(self->o.direct);
	EXPECT_TRUE(self->o.read_only);
	EXPECT_EQ(4, self->o.queues);
	EXPECT_EQ(2, self->o.workers);
	EXPECT_EQ(1024, self->o.queue_size);
	EXPECT_TRUE(self->o.packed);
	EXPECT_TRUE(self->o.no_umem);
	EXPECT_EQ(CLI_ATTACH_VHOST, self->o.attach);
	EXPECT_STREQ("coalesce", self->o.filter);
	ASSERT_EQ(2, self->o.nr_filter_params);
	EXPECT_STREQ("max_frames=8", self->o.filter_params[0]);
	EXPECT_STREQ("max_usecs=50", self->o.filter_params[1]);
	EXPECT_TRUE(self->o.verbose);
}

/* "no" leaves a flag out; split and attach = no are the defaults said aloud. */
TEST_F(config, flags_off)
{
	ASSERT_EQ(0, LOAD("type = blk\nbackend = null\nsize = 1M\ndirect = no\nro = false\n"
			  "packed = off\nsplit = yes\nno-umem = 0\nattach = no\nverbose = no\n"))
		TH_LOG("%s", self->err);
	EXPECT_STREQ("null", self->o.backend);
	EXPECT_FALSE(self->o.read_only);
	EXPECT_FALSE(self->o.packed);
	EXPECT_FALSE(self->o.no_umem);
	EXPECT_EQ(CLI_ATTACH_NONE, self->o.attach);
	EXPECT_FALSE(self->o.verbose);
}

TEST_F(config, attach_values)
{
	ASSERT_EQ(0, LOAD("type = blk\nbackend = ram\nsize = 1M\nattach = yes\n"));
	EXPECT_EQ(CLI_ATTACH_VIRTIO, self->o.attach);
	ASSERT_EQ(0, LOAD("type = blk\nbackend = ram\nsize = 1M\nattach = virtio\n"));
	EXPECT_EQ(CLI_ATTACH_VIRTIO, self->o.attach);
}

TEST_F(config, every_net_key)
{
	ASSERT_EQ(0, LOAD("type = net\nname = nic0\ntap = uvdpa7\nmac = 02:00:00:00:00:07\n"
			  "mtu = 9000\nqueue-size = 512\nattach = virtio\n"
			  "filter-object = /usr/lib/uvdpa/mine.bpf.o\n")) TH_LOG("%s", self->err);
	EXPECT_STREQ("net", self->o.type);
	EXPECT_STREQ("nic0", self->o.name);
	EXPECT_STREQ("uvdpa7", self->o.net.tap);
	EXPECT_TRUE(self->o.net.mac_set);
	EXPECT_EQ(0x07, self->o.net.mac[5]);
	EXPECT_EQ(9000, self->o.net.mtu);
	EXPECT_EQ(512, self->o.queue_size);
	EXPECT_STREQ("/usr/lib/uvdpa/mine.bpf.o", self->o.filter_object);
	ASSERT_EQ(0, LOAD("type = net\ntap-fd = 3\n"));
	EXPECT_EQ(3, self->o.net.tap_fd);
	EXPECT_EQ(1500, self->o.net.mtu);
}

/* The command line after --config: how to start this time, or an override. */
TEST_F(config, extra_arguments)
{
	ASSERT_EQ(0, LOAD("type = blk\nfile = /d.img\n", "--reconnect", "-v",))
		TH_LOG("%s", self->err);
	EXPECT_TRUE(self->o.reconnect);
	EXPECT_TRUE(self->o.verbose);
	ASSERT_EQ(0, LOAD("type = blk\nfile = /d.img\nqueues = 2\n", "--queues", "4",));
	EXPECT_EQ(4, self->o.queues);
	REFUSED(0, "--help does not go with --config", "type = blk\nfile = /d.img\n", "--help",);
	REFUSED(3, "drop --attach", "type = blk\nfile = /d.img\nattach = yes\n", "--reconnect",);
	/* The command line's own mistakes: no line of the file to name. */
	REFUSED(0, "unknown option '--bogus'", "type = blk\nfile = /d.img\n", "--bogus",);
	REFUSED(0, "--queues needs a value", "type = blk\nfile = /d.img\n", "--queues",);
	REFUSED(0, "--queues '0'", "type = blk\nfile = /d.img\n", "--queues=0",);
	REFUSED(0, "'a=1': filter parameters go in the file (filter-param = a=1)",
		"type = blk\nfile = /d.img\nfilter = coalesce\n", "a=1",);
}

/* The name is the file's unless a line or the command line gives one. */
TEST_F(config, name)
{
	ASSERT_EQ(0, LOAD("type = blk\nfile = /d.img\nname = other\n"));
	EXPECT_STREQ("other", self->o.name);
	ASSERT_EQ(0, LOAD("type = blk\nfile = /d.img\n", "--name", "cli",));
	EXPECT_STREQ("cli", self->o.name);
}

/* The type may come on any line: the option table checks what goes with it at the end. */
TEST_F(config, type_last)
{
	ASSERT_EQ(0, LOAD("tap = t1\nmtu = 9000\ntype = net\n")) TH_LOG("%s", self->err);
	EXPECT_STREQ("net", self->o.type);
	EXPECT_EQ(9000, self->o.net.mtu);
}

/* The example "make install" ships parses as it says; it sits beside this test. */
TEST_F(config, shipped_example)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);

	ASSERT_LT(0, n);
	path[n] = '\0';
	strcpy(strrchr(path, '/'), "/example.conf");
	config_free(&self->c);
	ASSERT_EQ(0, config_load(&self->c, path, 0, NULL, &self->o, self->err,
				 sizeof(self->err))) TH_LOG("%s", self->err);
	EXPECT_STREQ("example", self->o.name);
	EXPECT_STREQ("blk", self->o.type);
	EXPECT_STREQ("/var/lib/uvdpa/disk0.img", self->o.path);
	EXPECT_EQ(10ULL << 30, self->o.size);
	EXPECT_EQ(2, self->o.queues);
	EXPECT_EQ(CLI_ATTACH_VIRTIO, self->o.attach);
}

TEST_F(config, unreadable)
{
	config_free(&self->c);
	self->ret = config_load(&self->c, "/nonexistent/uvdpa.conf", 0, NULL, &self->o, self->err,
				sizeof(self->err));
	EXPECT_EQ(-ENOENT, self->ret);
	EXPECT_NE(NULL, strstr(self->err, "cannot read /nonexistent/uvdpa.conf"))
		TH_LOG("%s", self->err);
}

/* What the file's own syntax refuses. */
TEST_F(config, syntax_errors)
{
	REFUSED(0, "no type line", "");
	REFUSED(0, "no type line", "# nothing\nfile = /d.img\n");
	REFUSED(2, "'queues 4': expected 'key = value'", "type = blk\nqueues 4\n");
	REFUSED(1, "'Queues': a key is an option name", "Queues = 4\n");
	REFUSED(1, "'--queues': a key is an option name", "--queues = 4\n");
	REFUSED(1, "'': a key is an option name", "= 4\n");
	REFUSED(3, "size has no value", "type = blk\nfile = /d.img\nsize =\n");
	REFUSED(2, "file: a quoted value is quoted whole", "type = blk\nfile = /a\"b\n");
	REFUSED(2, "reconnect is for the command line", "type = blk\nreconnect = yes\n");
	REFUSED(2, "help is for the command line", "type = blk\nhelp = yes\n");
	REFUSED(2, "config is for the command line", "type = blk\nconfig = /x\n");
	REFUSED(1, "unknown device type 'disk' (blk or net)", "type = disk\n");
	REFUSED(3, "type given twice (first on line 1)", "type = blk\nfile = /a\ntype = net\n");
	REFUSED(4, "queues given twice (first on line 2)",
		"type = blk\nqueues = 2\nfile = /a\nqueues = 4\n");
	REFUSED(3, "ro given twice (first on line 2)", "type = blk\nro = no\nro = yes\nfile = /a\n");
	REFUSED(2, "direct = maybe: yes or no", "type = blk\ndirect = maybe\nfile = /a\n");
}

/* What the options refuse, each on the line that gave it. */
TEST_F(config, option_errors)
{
	REFUSED(3, "unknown key 'bogus'", "type = blk\nfile = /a\nbogus = 1\n");
	REFUSED(2, "--size 'lots'", "type = blk\nsize = lots\nfile = /a\n");
	REFUSED(3, "--queues '0'", "type = blk\nfile = /a\nqueues = 0\n");
	REFUSED(3, "--workers '65'", "type = blk\nfile = /a\nworkers = 65\n");
	REFUSED(3, "--queue-size '100'", "type = blk\nfile = /a\nqueue-size = 100\n");
	REFUSED(3, "--attach 'vm'", "type = blk\nfile = /a\nattach = vm\n");
	REFUSED(2, "--backend 'tape'", "type = blk\nbackend = tape\nsize = 1M\n");
	REFUSED(3, "--name 'a/b'", "type = blk\nfile = /a\nname = a/b\n");
	REFUSED(2, "--mac 'ff:00:00:00:00:01'", "type = net\nmac = ff:00:00:00:00:01\n");
	REFUSED(2, "--mtu '10'", "type = net\nmtu = 10\n");
	REFUSED(2, "--tap 'a/b'", "type = net\ntap = a/b\n");
	REFUSED(3, "--tap-fd 'x'", "type = net\ntap = t0\ntap-fd = x\n");
	REFUSED(3, "filter-param = nokey: a parameter of the filter, key=value",
		"type = blk\nfile = /a\nfilter-param = nokey\nfilter = coalesce\n");
}

/* Options that do not go together: the line of the first one named. */
TEST_F(config, combination_errors)
{
	REFUSED(4, "--workers 3: more workers than --queues 2",
		"type = blk\nfile = /a\nqueues = 2\nworkers = 3\n");
	REFUSED(2, "multiple of 512", "type = blk\nsize = 1000\nfile = /a\n");
	REFUSED(3, "--file goes with the file backend",
		"type = blk\nbackend = null\nfile = /a\nsize = 1M\n");
	REFUSED(2, "--direct goes with the file backend",
		"type = blk\ndirect = yes\nbackend = ram\nsize = 1M\n");
	REFUSED(3, "'max_frames=8': parameters go with --filter",
		"type = blk\nfile = /a\nfilter-param = max_frames=8\n");
	REFUSED(3, "--filter or --filter-object, not both",
		"type = blk\nfile = /a\nfilter = poll\nfilter-object = /x.o\n");
	REFUSED(2, "--file, --backend, --size", "type = net\nfile = /a\n");
	REFUSED(3, "--tap, --tap-fd, --mac and --mtu go with net",
		"type = blk\nfile = /a\nmtu = 9000\n");
	REFUSED(0, "give --file PATH, --nbd URI, --rbd POOL/IMAGE, or --backend", "type = blk\n");
	REFUSED(2, "give --tap or --tap-fd, not both", "type = net\ntap = t0\ntap-fd = 3\n");
}

TEST_HARNESS_MAIN
