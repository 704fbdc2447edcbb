// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_nl and vdpa_bus against the running kernel: a VDUSE block device put
 * on the vdpa bus over netlink, the errno of each refusal
 * (drivers/vdpa/vdpa.c and drivers/vdpa/vdpa_user/vduse_dev.c), and moving
 * the device between virtio_vdpa and vhost_vdpa through sysfs.
 *
 * No daemon serves the device. A thread answers its control messages (the
 * status changes and virtqueue state queries of the bus drivers) with
 * success; without answers each one would stall for VDUSE's msg_timeout and
 * then break the device. Its capacity is 0 so that virtio_blk's probe reads
 * no partition table: there is no I/O that would need serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/vduse.h>

#include "kselftest_harness.h"
#include "lib/priv.h"
#include "vduse/vdpa_bus.h"
#include "vduse/vdpa_nl.h"

#define CONTROL "/dev/vduse/control"
#define VQ_SIZE 128
#define DRIVER_READY (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

struct blk_dev_config {
	struct vduse_dev_config hdr;
	struct virtio_blk_config blk;	/* hdr.config, a flexible array */
};

/* Answers a VDUSE device's control messages from its own thread. */
struct responder {
	int fd;				/* /dev/vduse/NAME */
	int stop;			/* eventfd: end the thread */
	pthread_t thread;
	atomic_uint msgs;		/* messages answered */
	atomic_int status;		/* last VDUSE_SET_STATUS value, -1 before */
};

static void *respond(void *arg)
{
	struct responder *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = r->fd, .events = POLLIN },
		{ .fd = r->stop, .events = POLLIN },
	};
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	ssize_t n;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 || pfd[1].revents)
			break;
		n = read(r->fd, &req, sizeof(req));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n != sizeof(req))
			break;
		memset(&resp, 0, sizeof(resp));
		resp.request_id = req.request_id;
		resp.result = VDUSE_REQ_RESULT_OK;
		/* VDUSE_GET_VQ_STATE: a queue that never ran is at index 0. */
		if (req.type == VDUSE_GET_VQ_STATE)
			resp.vq_state.index = req.vq_state.index;
		if (req.type == VDUSE_SET_STATUS)
			atomic_store(&r->status, req.s.status);
		atomic_fetch_add(&r->msgs, 1);
		if (write(r->fd, &resp, sizeof(resp)) != sizeof(resp))
			break;
	}
	return NULL;
}

static void blk_config(struct blk_dev_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->hdr.name, sizeof(c->hdr.name), "%s", name);
	c->hdr.device_id = VIRTIO_ID_BLOCK;
	c->hdr.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	c->hdr.vq_num = 1;
	c->hdr.vq_align = 4096;
	c->hdr.config_size = sizeof(c->blk);
	c->blk.capacity = 0;
}

static int vduse_create(int control, const char *name)
{
	struct blk_dev_config c;

	blk_config(&c, name);
	return ioctl(control, VDUSE_CREATE_DEV, &c.hdr) ? -errno : 0;
}

static int vduse_destroy(int control, const char *name)
{
	char buf[VDUSE_NAME_MAX] = { 0 };

	snprintf(buf, sizeof(buf), "%s", name);
	return ioctl(control, VDUSE_DESTROY_DEV, buf) ? -errno : 0;
}

static int vduse_open_ready(const char *name)
{
	struct vduse_vq_config vq = { .index = 0, .max_size = VQ_SIZE };
	char path[VDUSE_NAME_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "/dev/vduse/%s", name);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The kernel refuses to attach a device with an unset queue. */
	if (ioctl(fd, VDUSE_VQ_SETUP, &vq)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The file's content up to its first newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

static int file_type(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -errno : (int)(st.st_mode & S_IFMT);
}

FIXTURE(attach) {
	struct vdpa_nl *nl;
	int control;
	struct responder r;
	char name[64];
	char override[128];
};

FIXTURE_SETUP(attach)
{
	int ret;

	ret = vdpa_nl_open(&self->nl);
	if (ret == -ENOENT)
		SKIP(return, "no vdpa netlink family: the vdpa module is not loaded");
	ASSERT_EQ(0, ret);
	self->control = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (self->control < 0 && errno == ENOENT)
		SKIP(return, "%s missing: the vduse module is not loaded", CONTROL);
	ASSERT_LE(0, self->control);
	snprintf(self->name, sizeof(self->name), "ksft-vdpa-%d", getpid());
	snprintf(self->override, sizeof(self->override),
		 "/sys/bus/vdpa/devices/%s/driver_override", self->name);
	ASSERT_EQ(0, vduse_create(self->control, self->name));
	self->r.fd = vduse_open_ready(self->name);
	ASSERT_LE(0, self->r.fd);
	self->r.stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->r.stop);
	atomic_init(&self->r.msgs, 0);
	atomic_init(&self->r.status, -1);
	ASSERT_EQ(0, pthread_create(&self->r.thread, NULL, respond, &self->r));
}

FIXTURE_TEARDOWN(attach)
{
	uint64_t one = 1;

	vdpa_nl_dev_del(self->nl, self->name);
	EXPECT_EQ((ssize_t)sizeof(one), write(self->r.stop, &one, sizeof(one)));
	pthread_join(self->r.thread, NULL);
	close(self->r.stop);
	close(self->r.fd);
	EXPECT_EQ(0, vduse_destroy(self->control, self->name));
	close(self->control);
	vdpa_nl_close(self->nl);
}

TEST_F(attach, add_get_del)
{
	struct vdpa_nl_dev_info info;

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, vdpa_nl_dev_get(self->nl, self->name, &info));
	EXPECT_STREQ("vduse", info.mgmtdev);
	EXPECT_EQ((uint32_t)VIRTIO_ID_BLOCK, info.device_id);
	EXPECT_EQ(0U, info.vendor_id);
	EXPECT_EQ(1U, info.max_vqs);
	EXPECT_EQ((uint16_t)VQ_SIZE, info.max_vq_size);
	EXPECT_EQ(0, vdpa_nl_dev_get(self->nl, self->name, NULL));
	ASSERT_EQ(0, vdpa_nl_dev_del(self->nl, self->name));
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_get(self->nl, self->name, NULL));
	EXPECT_EQ(-ENOENT, file_type(self->override));
	/* Detached, the VDUSE device is free to go and to come back. */
	EXPECT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
}

/* vduse_dev_init_vdpa() finds the device already has its vdpa half. */
TEST_F(attach, add_twice_is_eexist)
{
	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	EXPECT_EQ(-EEXIST, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	EXPECT_EQ(0, vdpa_nl_dev_get(self->nl, self->name, NULL));
}

/* VDUSE's dev_add answers EINVAL, not ENODEV, for a name it does not have. */
TEST_F(attach, add_unknown_vduse_device_is_einval)
{
	char name[80];

	snprintf(name, sizeof(name), "%s-none", self->name);
	EXPECT_EQ(-EINVAL, vdpa_nl_dev_add(self->nl, "vduse", name));
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_get(self->nl, name, NULL));
}

TEST_F(attach, add_unknown_mgmtdev_is_enodev)
{
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_add(self->nl, "ksft-no-mgmtdev", self->name));
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_get(self->nl, self->name, NULL));
}

/* A queue without VDUSE_VQ_SETUP makes vduse_dev_is_ready() false. */
TEST_F(attach, add_before_vq_setup_is_einval)
{
	char name[80];

	snprintf(name, sizeof(name), "%s-raw", self->name);
	ASSERT_EQ(0, vduse_create(self->control, name));
	EXPECT_EQ(-EINVAL, vdpa_nl_dev_add(self->nl, "vduse", name));
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_get(self->nl, name, NULL));
	EXPECT_EQ(0, vduse_destroy(self->control, name));
}

TEST_F(attach, del_unknown_is_enodev)
{
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_del(self->nl, self->name));
}

static int add(void *name)
{
	struct vdpa_nl *nl;
	int ret;

	ret = vdpa_nl_open(&nl);
	if (ret)
		return ret;
	ret = vdpa_nl_dev_add(nl, "vduse", name);
	vdpa_nl_close(nl);
	return ret;
}

/* VDPA_CMD_DEV_NEW is GENL_ADMIN_PERM: genetlink checks CAP_NET_ADMIN. */
TEST_F(attach, add_without_cap_net_admin_is_eperm)
{
	int ret;

	if (getuid() != 0)
		SKIP(return, "needs root to drop CAP_NET_ADMIN alone");
	ASSERT_EQ(0, priv_run(priv_drop_caps, PRIV_CAP(CAP_NET_ADMIN), add, self->name, &ret))
		TH_LOG("set-up error: could not drop CAP_NET_ADMIN");
	EXPECT_EQ(-EPERM, ret);
	EXPECT_EQ(-ENODEV, vdpa_nl_dev_get(self->nl, self->name, NULL));
}

/* virtio_vdpa loads before vhost_vdpa in the test VM, so it probes first. */
TEST_F(attach, add_binds_virtio_vdpa_and_makes_a_disk)
{
	char drv[32], disk[32], path[64], line[32];

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	ASSERT_EQ(0, vdpa_bus_driver(self->name, drv, sizeof(drv)));
	EXPECT_STREQ("virtio_vdpa", drv);
	EXPECT_EQ(-ERANGE, vdpa_bus_driver(self->name, drv, strlen("virtio_vdpa")));
	EXPECT_EQ(DRIVER_READY, atomic_load(&self->r.status));

	ASSERT_EQ(0, vdpa_bus_blkdev(self->name, disk, sizeof(disk)));
	EXPECT_EQ(0, strncmp(disk, "vd", 2)) TH_LOG("disk %s", disk);
	snprintf(path, sizeof(path), "/dev/%s", disk);
	EXPECT_EQ(S_IFBLK, file_type(path));
	snprintf(path, sizeof(path), "/sys/block/%s/size", disk);
	ASSERT_EQ(0, read_line(path, line, sizeof(line)));
	EXPECT_STREQ("0", line);
	EXPECT_EQ(-ENOENT, vdpa_bus_vhost_dev(self->name, drv, sizeof(drv)));
}

/* Bind, then check the device's driver and its driver_override. */
static void bind_and_check(struct __test_metadata *_metadata,
			   FIXTURE_DATA(attach) *self, const char *driver)
{
	char line[32];

	ASSERT_EQ(0, vdpa_bus_bind(self->name, driver));
	ASSERT_EQ(0, vdpa_bus_driver(self->name, line, sizeof(line)));
	EXPECT_STREQ(driver, line);
	ASSERT_EQ(0, read_line(self->override, line, sizeof(line)));
	EXPECT_STREQ(driver, line);
}

TEST_F(attach, rebind_to_vhost_vdpa_and_back)
{
	char node[32], path[64], disk[32];

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));

	bind_and_check(_metadata, self, "vhost_vdpa");
	/*
	 * virtio_blk's removal reset the device, then the virtio core
	 * acknowledged it again (virtio_dev_remove()); vhost_vdpa's probe
	 * leaves the status alone.
	 */
	EXPECT_EQ(VIRTIO_CONFIG_S_ACKNOWLEDGE, atomic_load(&self->r.status));
	ASSERT_EQ(0, vdpa_bus_vhost_dev(self->name, node, sizeof(node)));
	EXPECT_EQ(0, strncmp(node, "vhost-vdpa-", 11)) TH_LOG("node %s", node);
	snprintf(path, sizeof(path), "/dev/%s", node);
	EXPECT_EQ(S_IFCHR, file_type(path));
	EXPECT_EQ(-ENOENT, vdpa_bus_blkdev(self->name, disk, sizeof(disk)));

	bind_and_check(_metadata, self, "virtio_vdpa");
	EXPECT_EQ(DRIVER_READY, atomic_load(&self->r.status));
	EXPECT_EQ(-ENOENT, file_type(path));
	EXPECT_EQ(0, vdpa_bus_blkdev(self->name, disk, sizeof(disk)));
	EXPECT_EQ(-ENOENT, vdpa_bus_vhost_dev(self->name, node, sizeof(node)));
}

/* Deleting a device unbinds its driver: the vhost-vdpa node goes with it. */
TEST_F(attach, del_removes_the_vhost_node)
{
	char node[32], path[64];

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	bind_and_check(_metadata, self, "vhost_vdpa");
	ASSERT_EQ(0, vdpa_bus_vhost_dev(self->name, node, sizeof(node)));
	snprintf(path, sizeof(path), "/dev/%s", node);
	ASSERT_EQ(S_IFCHR, file_type(path));
	ASSERT_EQ(0, vdpa_nl_dev_del(self->nl, self->name));
	EXPECT_EQ(-ENOENT, file_type(path));
	EXPECT_EQ(-ENODEV, vdpa_bus_driver(self->name, node, sizeof(node)));
}

TEST_F(attach, bind_to_current_driver_does_nothing)
{
	char line[32];
	unsigned int msgs;

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	msgs = atomic_load(&self->r.msgs);
	EXPECT_EQ(0, vdpa_bus_bind(self->name, "virtio_vdpa"));
	/* An unbind and a probe would have reset the device: messages. */
	EXPECT_EQ(msgs, atomic_load(&self->r.msgs));
	ASSERT_EQ(0, read_line(self->override, line, sizeof(line)));
	EXPECT_STREQ("(null)", line);
}

TEST_F(attach, bind_unloaded_driver_is_enoent)
{
	char drv[32];

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	EXPECT_EQ(-ENOENT, vdpa_bus_bind(self->name, "ksft_no_such_driver"));
	ASSERT_EQ(0, vdpa_bus_driver(self->name, drv, sizeof(drv)));
	EXPECT_STREQ("virtio_vdpa", drv);
}

TEST_F(attach, unknown_device_is_enodev)
{
	char drv[32];

	EXPECT_EQ(-ENODEV, vdpa_bus_bind(self->name, "vhost_vdpa"));
	EXPECT_EQ(-ENODEV, vdpa_bus_driver(self->name, drv, sizeof(drv)));
	EXPECT_EQ(-EINVAL, vdpa_bus_driver("../devices", drv, sizeof(drv)));
	EXPECT_EQ(-ENOENT, vdpa_bus_blkdev(self->name, drv, sizeof(drv)));
}

/* iproute2's vdpa tool sees what vdpa_nl_dev_add made. */
TEST_F(attach, vdpa_tool_shows_device)
{
	char cmd[128], line[256], want[256];
	FILE *p;

	ASSERT_EQ(0, vdpa_nl_dev_add(self->nl, "vduse", self->name));
	snprintf(cmd, sizeof(cmd), "vdpa dev show %s 2>&1", self->name);
	snprintf(want, sizeof(want),
		 "%s: type block mgmtdev vduse vendor_id 0 max_vqs 1 max_vq_size %d\n",
		 self->name, VQ_SIZE);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, fgets(line, sizeof(line), p));
	EXPECT_EQ(0, pclose(p));
	EXPECT_STREQ(want, line);
}

TEST_HARNESS_MAIN
