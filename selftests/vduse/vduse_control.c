// SPDX-License-Identifier: GPL-2.0
/*
 * The VDUSE control interface as the running kernel implements it: API
 * version, device creation and destruction, and the configurations the
 * kernel refuses (drivers/vdpa/vdpa_user/vduse_dev.c, vduse_validate_config).
 * uvdpad relies on each of these answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/vduse.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "lib/priv.h"

#define CONTROL "/dev/vduse/control"

struct dev_config {
	struct vduse_dev_config hdr;
	/* The config space follows the header (hdr.config is a flexible array). */
	union {
		struct virtio_blk_config blk;
		struct virtio_net_config net;
		char page[2 * 4096];
	} space;
};

static void blk_config(struct dev_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->hdr.name, sizeof(c->hdr.name), "%s", name);
	c->hdr.device_id = VIRTIO_ID_BLOCK;
	c->hdr.vendor_id = 0;
	c->hdr.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	c->hdr.vq_num = 1;
	c->hdr.vq_align = 4096;
	c->hdr.config_size = sizeof(c->space.blk);
	c->space.blk.capacity = 2048;
}

static void net_config(struct dev_config *c, const char *name)
{
	blk_config(c, name);
	c->hdr.device_id = VIRTIO_ID_NET;
	c->hdr.vq_num = 2;
	c->hdr.config_size = sizeof(c->space.net);
}

static int create(int fd, struct dev_config *c)
{
	return ioctl(fd, VDUSE_CREATE_DEV, &c->hdr) ? -errno : 0;
}

static int destroy(int fd, const char *name)
{
	char buf[VDUSE_NAME_MAX] = { 0 };

	snprintf(buf, sizeof(buf), "%s", name);
	return ioctl(fd, VDUSE_DESTROY_DEV, buf) ? -errno : 0;
}

static bool dev_node_exists(const char *name)
{
	char path[VDUSE_NAME_MAX + 16];

	snprintf(path, sizeof(path), "/dev/vduse/%s", name);
	return access(path, F_OK) == 0;
}

FIXTURE(control) {
	int fd;
	char name[64];
};

FIXTURE_SETUP(control)
{
	self->fd = open(CONTROL, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "%s missing: the vduse module is not loaded", CONTROL);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", CONTROL, strerror(errno));
	snprintf(self->name, sizeof(self->name), "ksft-vduse-%d", getpid());
}

FIXTURE_TEARDOWN(control)
{
	if (self->fd >= 0) {
		destroy(self->fd, self->name);
		close(self->fd);
	}
}

/* The newest VDUSE API version of the running kernel: 1 (virtqueue groups) from 7.x. */
static __u64 newest_api_version(void)
{
	struct utsname u;

	return uname(&u) == 0 && atoi(u.release) >= 7 ? 1 : VDUSE_API_VERSION;
}

/* Asked before anything is set, the kernel answers its newest version. */
TEST_F(control, api_version_is_the_newest)
{
	__u64 v = 0xdead;

	ASSERT_EQ(0, ioctl(self->fd, VDUSE_GET_API_VERSION, &v));
	EXPECT_EQ(newest_api_version(), v);
}

/* Version 0 is kept on every kernel once set; a version past the newest is refused. */
TEST_F(control, set_api_version)
{
	__u64 v = VDUSE_API_VERSION;

	EXPECT_EQ(0, ioctl(self->fd, VDUSE_SET_API_VERSION, &v));
	v = newest_api_version() + 1;
	EXPECT_EQ(-1, ioctl(self->fd, VDUSE_SET_API_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->fd, VDUSE_GET_API_VERSION, &v));
	EXPECT_EQ((__u64)VDUSE_API_VERSION, v);
}

TEST_F(control, create_and_destroy_blk)
{
	struct dev_config c;

	blk_config(&c, self->name);
	ASSERT_EQ(0, create(self->fd, &c));
	EXPECT_TRUE(dev_node_exists(self->name));
	ASSERT_EQ(0, destroy(self->fd, self->name));
	EXPECT_FALSE(dev_node_exists(self->name));
}

TEST_F(control, create_and_destroy_net)
{
	struct dev_config c;

	net_config(&c, self->name);
	ASSERT_EQ(0, create(self->fd, &c));
	EXPECT_TRUE(dev_node_exists(self->name));
	EXPECT_EQ(0, destroy(self->fd, self->name));
}

TEST_F(control, duplicate_name_is_eexist)
{
	struct dev_config c;

	blk_config(&c, self->name);
	ASSERT_EQ(0, create(self->fd, &c));
	EXPECT_EQ(-EEXIST, create(self->fd, &c));
}

TEST_F(control, destroy_unknown_is_einval)
{
	EXPECT_EQ(-EINVAL, destroy(self->fd, self->name));
}

TEST_F(control, destroy_while_open_is_ebusy)
{
	struct dev_config c;
	char path[128];
	int dev;

	blk_config(&c, self->name);
	ASSERT_EQ(0, create(self->fd, &c));
	snprintf(path, sizeof(path), "/dev/vduse/%s", self->name);
	dev = open(path, O_RDWR);
	ASSERT_LE(0, dev);
	EXPECT_EQ(-EBUSY, destroy(self->fd, self->name));
	close(dev);
	EXPECT_EQ(0, destroy(self->fd, self->name));
}

TEST_F(control, missing_access_platform_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.features &= ~(1ULL << VIRTIO_F_ACCESS_PLATFORM);
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
	EXPECT_FALSE(dev_node_exists(self->name));
}

TEST_F(control, vq_align_above_page_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.vq_align = 2 * getpagesize();
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

TEST_F(control, config_size_above_page_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.config_size = getpagesize() + 1;
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

TEST_F(control, empty_name_is_einval)
{
	struct dev_config c;

	blk_config(&c, "");
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

TEST_F(control, reserved_not_zero_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

TEST_F(control, device_type_not_allowed_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.device_id = VIRTIO_ID_CONSOLE;
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

/* VDUSE config space is read-only for the driver: no writeback cache toggle. */
TEST_F(control, blk_config_wce_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.features |= 1ULL << VIRTIO_BLK_F_CONFIG_WCE;
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

TEST_F(control, net_ctrl_vq_is_einval)
{
	struct dev_config c;

	net_config(&c, self->name);
	c.hdr.features |= 1ULL << VIRTIO_NET_F_CTRL_VQ;
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

TEST_F(control, net_without_version_1_is_einval)
{
	struct dev_config c;

	net_config(&c, self->name);
	c.hdr.features &= ~(1ULL << VIRTIO_F_VERSION_1);
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

/*
 * The kernel does not check vq_num against zero when it creates a device
 * (only against 0xffff), so a daemon must refuse a queueless device itself.
 * This pins that behaviour: if a kernel starts refusing it, uvdpad's own
 * check becomes redundant and this test says so.
 */
TEST_F(control, zero_vq_num_is_not_refused_by_kernel)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.vq_num = 0;
	EXPECT_EQ(0, create(self->fd, &c));
}

TEST_F(control, vq_num_above_65535_is_einval)
{
	struct dev_config c;

	blk_config(&c, self->name);
	c.hdr.vq_num = 0x10000;
	EXPECT_EQ(-EINVAL, create(self->fd, &c));
}

static int create_net(void *arg)
{
	struct dev_config c;
	int fd, ret;

	fd = open(CONTROL, O_RDWR);
	if (fd < 0)
		return -errno;
	net_config(&c, arg);
	ret = create(fd, &c);
	close(fd);
	return ret;
}

TEST_F(control, net_without_cap_net_admin_is_eperm)
{
	int ret;

	if (getuid() != 0)
		SKIP(return, "needs root to drop CAP_NET_ADMIN alone");
	ASSERT_EQ(0, priv_run(priv_drop_caps, PRIV_CAP(CAP_NET_ADMIN), create_net, self->name,
			      &ret)) TH_LOG("set-up error: could not drop CAP_NET_ADMIN");
	EXPECT_EQ(-EPERM, ret);
	EXPECT_FALSE(dev_node_exists(self->name));
}

static int open_control(void *arg)
{
	int fd = open(CONTROL, O_RDWR);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

TEST_F(control, unprivileged_open_is_eacces)
{
	int ret;

	if (getuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	ASSERT_EQ(0, priv_run(priv_drop_nobody, 0, open_control, NULL, &ret))
		TH_LOG("set-up error: could not become nobody");
	EXPECT_EQ(-EACCES, ret);
}

/* iproute2's view of the same kernel: the vdpa management device exists. */
TEST(vdpa_mgmtdev_lists_vduse)
{
	char line[256];
	bool found = false, block = false, net = false;
	FILE *p = popen("vdpa mgmtdev show 2>&1", "r");

	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "vduse:", 6))
			found = true;
		if (found && strstr(line, "supported_classes")) {
			block = strstr(line, " block") != NULL;
			net = strstr(line, " net") != NULL;
		}
	}
	EXPECT_EQ(0, pclose(p));
	EXPECT_TRUE(found);
	EXPECT_TRUE(block);
	EXPECT_TRUE(net);
}

TEST_HARNESS_MAIN
