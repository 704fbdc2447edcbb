// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad's virtio-blk device as a VM's driver sees it through vhost_vdpa,
 * with vhost_guest.c as the driver: guest memory in several memfd regions
 * mapped through the IOTLB, the rings at guest IOVAs, mappings that change
 * while the device runs, resets in the middle of I/O, a driver that never
 * sets DRIVER_OK, and a driver that publishes malformed rings. After every
 * hostile ring the daemon is alive, has said so in exactly one line, and
 * serves the device again once the driver resets it.
 */
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"
#include "vduse/vdpa_bus.h"
#include "vduse/vduse_uapi.h"
#include "vhost_guest.h"

#define MiB (1024 * 1024ULL)
#define DISK (64 * MiB)
#define QSIZE 64
#define TIMEOUT_MS 20000

/* Rings and scratch at IOVA 0, data in two large regions above it. */
enum { R_RING, R_DATA1, R_DATA2 };
#define IOVA_DATA1 0x40000000ULL
#define IOVA_DATA2 0x100000000ULL
#define IOVA_NOWHERE 0x7000000000ULL

/* The daemon's one line for a driver that broke a queue. */
#define BAD_DRIVER "stopped until the driver resets the device"

FIXTURE(vhost) {
	struct daemon d;
	char img[64];
	struct vg g;
	char log[16384];
	size_t log_len;
};

FIXTURE_VARIANT(vhost) {
	const char *ring;	/* what the daemon offers: --split or --packed */
	uint64_t features;	/* what the driver takes */
	bool indirect;		/* post chains through indirect tables */
};

FIXTURE_VARIANT_ADD(vhost, split) {
	.ring = "--split",
};

FIXTURE_VARIANT_ADD(vhost, split_event_idx_indirect) {
	.ring = "--split",
	.features = 1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC,
	.indirect = true,
};

FIXTURE_VARIANT_ADD(vhost, packed) {
	.ring = "--packed",
	.features = 1ULL << VIRTIO_F_RING_PACKED,
};

FIXTURE_VARIANT_ADD(vhost, packed_event_idx_indirect) {
	.ring = "--packed",
	.features = 1ULL << VIRTIO_F_RING_PACKED | 1ULL << VIRTIO_RING_F_EVENT_IDX |
		    1ULL << VIRTIO_RING_F_INDIRECT_DESC,
	.indirect = true,
};

static void pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 9));
}

/* Collect what the daemon wrote to stderr so far, without waiting. */
static void drain_log(FIXTURE_DATA(vhost) *self)
{
	ssize_t n;

	while (self->log_len + 1 < sizeof(self->log) &&
	       (n = read(self->d.err, self->log + self->log_len,
			 sizeof(self->log) - 1 - self->log_len)) > 0)
		self->log_len += n;
	self->log[self->log_len] = '\0';
}

static int count_lines(FIXTURE_DATA(vhost) *self, const char *what)
{
	const char *p = self->log;
	int n = 0;

	drain_log(self);
	while ((p = strstr(p, what))) {
		n++;
		p += strlen(what);
	}
	return n;
}

/* Wait until @what was logged @n times. */
static bool wait_lines(FIXTURE_DATA(vhost) *self, const char *what, int n)
{
	struct pollfd p = { .fd = self->d.err, .events = POLLIN };
	int waited = 0;

	while (count_lines(self, what) < n) {
		if (waited >= TIMEOUT_MS)
			return false;
		poll(&p, 1, 100);
		waited += 100;
	}
	return true;
}

static int start_daemon(struct __test_metadata *_metadata, FIXTURE_DATA(vhost) *self,
			const char *ring, const char *attach)
{
	const char *args[16] = { "blk", "--name", self->d.name, "--file", self->img,
				 "--size", "64M", "--queue-size", "256", ring, "--attach" };
	char name[64];
	int status = 0, ret, n = 11;

	if (attach)
		args[n++] = attach;
	else
		args[--n] = NULL;
	snprintf(name, sizeof(name), "%s", self->d.name);
	ret = daemon_spawnv(&self->d, name, args);
	if (ret)
		return ret;
	ret = daemon_wait_ready(&self->d, &status);
	fcntl(self->d.err, F_SETFL, O_NONBLOCK);
	if (ret) {
		drain_log(self);
		TH_LOG("uvdpad did not get ready (%d, status %#x): %s", ret, status, self->log);
	}
	return ret;
}

static int open_guest(struct __test_metadata *_metadata, FIXTURE_DATA(vhost) *self)
{
	char dev[32], path[64];
	int ret;

	ret = vdpa_bus_vhost_dev(self->d.name, dev, sizeof(dev));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/dev/%s", dev);
	ret = vg_open(&self->g, path);
	if (ret)
		return ret;
	ret = vg_add_region(&self->g, 0, 8 * MiB);
	if (!ret)
		ret = vg_add_region(&self->g, IOVA_DATA1, 64 * MiB);
	if (!ret)
		ret = vg_add_region(&self->g, IOVA_DATA2, 64 * MiB);
	return ret;
}

FIXTURE_SETUP(vhost)
{
	snprintf(self->img, sizeof(self->img), "/tmp/uvdpa-vhost-%d.img", getpid());
	snprintf(self->d.name, sizeof(self->d.name), "ksft-vh%d", getpid());
	self->g.fd = -1;
	unlink(self->img);
	ASSERT_EQ(0, start_daemon(_metadata, self, variant->ring, "vhost"));
	ASSERT_EQ(0, open_guest(_metadata, self));
	ASSERT_EQ(VIRTIO_ID_BLOCK, self->g.device_id);
}

FIXTURE_TEARDOWN(vhost)
{
	vg_close(&self->g);
	daemon_close(&self->d);
	unlink(self->img);
}

/*
 * The guest goes first: the kernel holds the daemon's detach until every
 * open /dev/vhost-vdpa-N is closed, as a VMM's would be.
 */
static int stop(FIXTURE_DATA(vhost) *self)
{
	vg_close(&self->g);
	return daemon_stop(&self->d, SIGTERM);
}

static int up(FIXTURE_DATA(vhost) *self, const FIXTURE_VARIANT(vhost) *variant)
{
	return vg_start(&self->g, variant->features, 1, QSIZE, R_RING, true);
}

/* Write a pattern from @r at @sector, read it back into other memory, compare. */
static bool write_read(struct __test_metadata *_metadata, FIXTURE_DATA(vhost) *self,
		       const FIXTURE_VARIANT(vhost) *variant, unsigned int r,
		       uint64_t sector, uint32_t len, unsigned int seed)
{
	uint64_t w_iova, r_iova;
	char *w = vg_alloc(&self->g, r, len, 4096, &w_iova);
	char *back = vg_alloc(&self->g, r, len, 4096, &r_iova);

	if (!w || !back)
		return false;
	pattern(w, len, seed);
	memset(back, 0, len);
	EXPECT_EQ(VIRTIO_BLK_S_OK, vg_blk_rw(&self->g, 0, VIRTIO_BLK_T_OUT, sector, w_iova, len,
					     variant->indirect, R_RING)) {
		drain_log(self);
		TH_LOG("daemon said: %s", self->log);
	}
	EXPECT_EQ(VIRTIO_BLK_S_OK, vg_blk_rw(&self->g, 0, VIRTIO_BLK_T_IN, sector, r_iova, len,
					     variant->indirect, R_RING));
	return memcmp(w, back, len) == 0;
}

static bool file_holds(const char *img, uint64_t sector, uint32_t len, unsigned int seed)
{
	char *want = malloc(len), *got = malloc(len);
	bool ok = false;
	int fd = open(img, O_RDONLY);

	if (fd >= 0 && want && got && pread(fd, got, len, sector * 512) == len) {
		pattern(want, len, seed);
		ok = memcmp(want, got, len) == 0;
	}
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return ok;
}

TEST_F_TIMEOUT(vhost, config_and_data, 120)
{
	struct virtio_blk_config cfg;
	unsigned int i;

	ASSERT_EQ(0, up(self, variant));
	ASSERT_EQ(0, vg_get_config(&self->g, 0, &cfg, sizeof(cfg.capacity)));
	EXPECT_EQ(DISK / 512, le64toh(cfg.capacity));
	for (i = 0; i < 8; i++) {
		unsigned int r = i % 2 ? R_DATA2 : R_DATA1;

		EXPECT_TRUE(write_read(_metadata, self, variant, r, i * 2048, 64 * 1024, i));
		EXPECT_TRUE(file_holds(self->img, i * 2048, 64 * 1024, i));
	}
	/* Data at IOVA 0 on: where VDUSE's bounce buffer sits on the virtio_vdpa path. */
	EXPECT_TRUE(write_read(_metadata, self, variant, R_RING, 4096, 8192, 77));
	EXPECT_TRUE(file_holds(self->img, 4096, 8192, 77));
	/*
	 * One request that is more than a queue's worth of pages, in one
	 * segment of 1 MiB, the most the device takes (vhost_limits_test).
	 */
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA2, 40000, 1 * MiB, 99));
	EXPECT_TRUE(file_holds(self->img, 40000, 1 * MiB, 99));
	EXPECT_EQ(0, count_lines(self, "uvdpad:"));
	EXPECT_EQ(0, stop(self));
}

TEST_F_TIMEOUT(vhost, many_in_flight, 120)
{
	const unsigned int n = QSIZE / 4, len = 16 * 1024;
	uint8_t *status[QSIZE / 4];
	uint64_t iova[QSIZE / 4];
	unsigned int i, done = 0;
	uint32_t id, used_len;

	ASSERT_EQ(0, up(self, variant));
	for (i = 0; i < n; i++) {
		pattern(vg_alloc(&self->g, R_DATA1, len, 4096, &iova[i]), len, 100 + i);
		ASSERT_LE(0, vg_blk_post(&self->g, 0, VIRTIO_BLK_T_OUT, i * 64, iova[i], len,
					 variant->indirect, R_RING, &status[i]));
	}
	while (done < n && vg_wait_used(&self->g, 0, &id, &used_len, TIMEOUT_MS) == 1)
		done++;
	EXPECT_EQ(n, done);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(VIRTIO_BLK_S_OK, *status[i]);
		EXPECT_TRUE(file_holds(self->img, i * 64, len, 100 + i));
	}
	EXPECT_EQ(0, stop(self));
}

/* The driver moves and replaces its memory between requests while DRIVER_OK. */
TEST_F_TIMEOUT(vhost, mappings_change_while_running, 120)
{
	unsigned int round;

	ASSERT_EQ(0, up(self, variant));
	for (round = 0; round < 4; round++) {
		EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, round * 512, 32 * 1024,
				       round));
		EXPECT_TRUE(file_holds(self->img, round * 512, 32 * 1024, round));
		/* Same memory at a new IOVA; the old one must not be used any more. */
		ASSERT_EQ(0, vg_unmap(&self->g, R_DATA1));
		self->g.regions[R_DATA1].iova += 0x10000000;
		ASSERT_EQ(0, vg_map(&self->g, R_DATA1));
		/* The other region away and back at the same IOVA. */
		ASSERT_EQ(0, vg_unmap(&self->g, R_DATA2));
		ASSERT_EQ(0, vg_map(&self->g, R_DATA2));
	}
	EXPECT_EQ(0, count_lines(self, "uvdpad:"));
	EXPECT_EQ(0, stop(self));
}

TEST_F_TIMEOUT(vhost, reset_mid_io, 120)
{
	const unsigned int len = 64 * 1024;
	unsigned int round, i;
	uint8_t *status;
	uint64_t iova;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, up(self, variant));
		for (i = 0; i < QSIZE / 4; i++) {
			pattern(vg_alloc(&self->g, R_DATA1, len, 4096, &iova), len, i);
			ASSERT_LE(0, vg_blk_post(&self->g, 0, VIRTIO_BLK_T_OUT, i * 128, iova, len,
						 variant->indirect, R_RING, &status));
		}
		ASSERT_EQ(0, vg_set_status(&self->g, 0));
	}
	ASSERT_EQ(0, up(self, variant));
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA2, 4096, 64 * 1024, 7));
	EXPECT_TRUE(file_holds(self->img, 4096, 64 * 1024, 7));
	EXPECT_EQ(0, count_lines(self, "uvdpad:"));
	EXPECT_EQ(0, stop(self));
}

TEST_F_TIMEOUT(vhost, driver_never_sets_driver_ok, 120)
{
	uint8_t *status;
	uint64_t iova;

	ASSERT_EQ(0, vg_start(&self->g, variant->features, 1, QSIZE, R_RING, false));
	vg_alloc(&self->g, R_DATA1, 4096, 4096, &iova);
	ASSERT_LE(0, vg_blk_post(&self->g, 0, VIRTIO_BLK_T_OUT, 0, iova, 4096,
				 variant->indirect, R_RING, &status));
	/* The reset returns once the daemon has stopped everything: nothing ran. */
	ASSERT_EQ(0, vg_set_status(&self->g, 0));
	EXPECT_EQ(0xff, *status);
	/* A driver that goes away without DRIVER_OK. */
	ASSERT_EQ(0, vg_start(&self->g, variant->features, 1, QSIZE, R_RING, false));
	vg_close(&self->g);
	ASSERT_EQ(0, open_guest(_metadata, self));
	ASSERT_EQ(0, up(self, variant));
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, 0, 4096, 3));
	EXPECT_EQ(0, stop(self));
}

/*
 * Queues enabled only after DRIVER_OK, as QEMU's virtio-net does: 6.12's
 * VDUSE tells the daemon nothing, and the first kick must get the queue
 * served; 7.x's sends VDUSE_SET_VQ_READY (VDUSE_F_QUEUE_READY).
 */
TEST_F_TIMEOUT(vhost, queue_enabled_after_driver_ok, 120)
{
	unsigned int round;

	self->g.enable_late = true;
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, up(self, variant));
		EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, round * 64, 16384,
				       40 + round));
		EXPECT_TRUE(file_holds(self->img, round * 64, 16384, 40 + round));
	}
	EXPECT_EQ(0, count_lines(self, "uvdpad:"));
	EXPECT_EQ(0, stop(self));
}

/* The VDUSE features the running kernel offers: none before 7.x (no VDUSE_GET_FEATURES). */
static uint64_t kernel_vduse_features(void)
{
	uint64_t f = 0;
	int fd = open("/dev/vduse/control", O_RDWR | O_CLOEXEC);

	if (fd >= 0 && ioctl(fd, VDUSE_GET_FEATURES, &f))
		f = 0;
	if (fd >= 0)
		close(fd);
	return f;
}

/*
 * VDUSE_F_QUEUE_READY: a queue the driver disables is not served, and once
 * enabled again goes on from where it stopped, not from the ring state the
 * driver set before DRIVER_OK (which would serve old chains again).
 */
TEST_F_TIMEOUT(vhost, queue_disabled_and_enabled_again, 120)
{
	uint32_t id, len;
	uint8_t *status;
	uint64_t iova;
	int posted;

	if (!(kernel_vduse_features() & (1ULL << VDUSE_F_QUEUE_READY)))
		SKIP(return, "no VDUSE_F_QUEUE_READY in this kernel (before 7.x): "
			     "VDUSE tells the daemon nothing of a disabled queue");
	ASSERT_EQ(0, up(self, variant));
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, 0, 16384, 50));
	ASSERT_EQ(0, vg_enable(&self->g, 0, false));
	pattern(vg_alloc(&self->g, R_DATA1, 4096, 4096, &iova), 4096, 51);
	posted = vg_blk_post(&self->g, 0, VIRTIO_BLK_T_OUT, 256, iova, 4096, variant->indirect,
			     R_RING, &status);
	ASSERT_LE(0, posted);
	vg_kick(&self->g, 0);
	/* Bounded: a disabled queue must not complete it within half a second. */
	EXPECT_EQ(0, vg_wait_used(&self->g, 0, &id, &len, 500));
	ASSERT_EQ(0, vg_enable(&self->g, 0, true));
	vg_kick(&self->g, 0);
	ASSERT_EQ(1, vg_wait_used(&self->g, 0, &id, &len, TIMEOUT_MS));
	EXPECT_EQ((uint32_t)posted, id);
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_TRUE(file_holds(self->img, 256, 4096, 51));
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA2, 512, 16384, 52));
	EXPECT_EQ(0, count_lines(self, "uvdpad:"));
	EXPECT_EQ(0, stop(self));
}

/*
 * VHOST_VDPA_SUSPEND (VDUSE_F_SUSPEND) with writes in flight: what is used
 * by then is all that is ever used, and the queue state read after it is
 * where the driver sees the rings; after a reset the device serves again.
 */
TEST_F_TIMEOUT(vhost, suspend_holds_the_state, 120)
{
	const unsigned int n = QSIZE / 4;
	struct vg_queue *q = &self->g.queues[0];
	unsigned int i, used = 0;
	uint32_t id, len, base;
	uint16_t avail0;
	uint8_t *status;
	uint64_t iova;

	if (!(self->g.backend_features & (1ULL << VHOST_BACKEND_F_SUSPEND)))
		SKIP(return, "vhost-vdpa cannot suspend this device: no VDUSE_F_SUSPEND "
			     "in this kernel (before 7.x)");
	ASSERT_EQ(0, up(self, variant));
	avail0 = q->avail_idx;
	for (i = 0; i < n; i++) {
		pattern(vg_alloc(&self->g, R_DATA1, 65536, 4096, &iova), 65536, i);
		ASSERT_LE(0, vg_blk_post(&self->g, 0, VIRTIO_BLK_T_OUT, i * 128, iova, 65536,
					 variant->indirect, R_RING, &status));
	}
	ASSERT_EQ(0, vg_suspend(&self->g));
	while (vg_wait_used(&self->g, 0, &id, &len, 0) == 1)
		used++;
	ASSERT_EQ(0, vg_vring_base(&self->g, 0, &base));
	if (self->g.packed) {
		EXPECT_EQ((uint32_t)(q->next_used | q->used_wrap << 15), base >> 16);
	} else {
		EXPECT_EQ((uint16_t)(avail0 + used), (uint16_t)base);
	}
	/* Bounded: nothing more within half a second, not even for a new kick. */
	vg_kick(&self->g, 0);
	EXPECT_EQ(0, vg_wait_used(&self->g, 0, &id, &len, 500));
	TH_LOG("%u of %u writes used before the suspend", used, n);
	ASSERT_EQ(0, vg_set_status(&self->g, 0));
	ASSERT_EQ(0, up(self, variant));
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA2, 4096, 16384, 60));
	EXPECT_EQ(0, count_lines(self, "uvdpad:"));
	EXPECT_EQ(0, stop(self));
}

/*
 * The VDUSE API version and features the daemon negotiates: 1 with
 * queue-ready and suspend on 7.x, 0 and none on 6.x, which knows no other.
 * Its -v log says which.
 */
TEST(vduse_api_negotiated)
{
	const char *want;
	struct utsname u;
	struct daemon d = { 0 };
	char err[8192];
	int status;

	ASSERT_EQ(0, uname(&u));
	want = atoi(u.release) >= 7 ? "VDUSE API version 1, features: queue-ready suspend" :
				      "VDUSE API version 0, features: none";
	snprintf(d.name, sizeof(d.name), "ksft-api%d", getpid());
	ASSERT_EQ(0, daemon_spawn(&d, d.name, "blk", "--name", d.name, "--backend", "null",
				  "--size", "16M", "-v", NULL));
	ASSERT_EQ(0, daemon_wait_ready(&d, &status));
	EXPECT_EQ(0, daemon_stop(&d, SIGTERM));
	read_all(d.err, err, sizeof(err));
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("want '%s' in: %s", want, err);
	daemon_close(&d);
}

/* Malformed requests (not rings): an error status where there is room, the queue going on. */
TEST_F_TIMEOUT(vhost, bad_requests_get_an_error_status, 120)
{
	uint64_t iova, hdr_iova;
	struct virtio_blk_outhdr *h;
	uint8_t *status;
	uint32_t id, len;

	ASSERT_EQ(0, up(self, variant));
	vg_alloc(&self->g, R_DATA1, 4096, 4096, &iova);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vg_blk_rw(&self->g, 0, VIRTIO_BLK_T_OUT, DISK / 512, iova,
						4096, variant->indirect, R_RING));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, vg_blk_rw(&self->g, 0, 0x7777, 0, iova, 4096,
						 variant->indirect, R_RING));
	/* Data outside guest memory, and data running off the end of a region. */
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vg_blk_rw(&self->g, 0, VIRTIO_BLK_T_IN, 0, IOVA_NOWHERE,
						4096, variant->indirect, R_RING));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vg_blk_rw(&self->g, 0, VIRTIO_BLK_T_OUT, 0,
						IOVA_DATA1 + 64 * MiB - 4096, 8192,
						variant->indirect, R_RING));
	/* A header too short for its fields, with a status byte: IOERR, used length 1. */
	h = vg_alloc(&self->g, R_DATA1, 64, 16, &hdr_iova);
	memset(h, 0, sizeof(*h));
	status = (uint8_t *)h + 32;
	*status = 0xff;
	{
		struct vg_buf bufs[2] = { { hdr_iova, 4, false }, { hdr_iova + 32, 1, true } };

		ASSERT_LE(0, vg_post(&self->g, 0, bufs, 2, variant->indirect, R_RING));
	}
	ASSERT_EQ(1, vg_wait_used(&self->g, 0, &id, &len, TIMEOUT_MS));
	EXPECT_EQ(1, len);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, 8, 4096, 5));
	EXPECT_EQ(0, count_lines(self, BAD_DRIVER));
	EXPECT_EQ(0, stop(self));
}

/* Wait until the daemon has counted @n kicks on queue 0. */
static bool wait_kicks(FIXTURE_DATA(vhost) *self, long long n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (ctl_queue_stat(self->d.name, 0, "kicks") >= n)
			return true;
		poll(NULL, 0, 20);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < TIMEOUT_MS);
	return false;
}

/*
 * One hostile episode: @publish makes the ring malformed; the daemon must
 * log exactly one line, complete nothing, then serve after a reset.
 */
static void hostile(struct __test_metadata *_metadata, FIXTURE_DATA(vhost) *self,
		    const FIXTURE_VARIANT(vhost) *variant,
		    void (*publish)(FIXTURE_DATA(vhost) *self, unsigned int round))
{
	unsigned int round, i;
	int before = count_lines(self, BAD_DRIVER);
	long long kicks;

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, up(self, variant));
		publish(self, round);
		ASSERT_TRUE(wait_lines(self, BAD_DRIVER, before + round + 1)) {
			TH_LOG("no \"%s\" line; daemon said: %s", BAD_DRIVER, self->log);
		}
		/*
		 * More kicks at a stopped queue say nothing more and complete
		 * nothing. One at a time: vhost may fold two kicks into one.
		 */
		for (i = 0; i < 2; i++) {
			kicks = ctl_queue_stat(self->d.name, 0, "kicks");
			ASSERT_LE(0, kicks);
			vg_kick(&self->g, 0);
			ASSERT_TRUE(wait_kicks(self, kicks + 1)) TH_LOG("the daemon missed a kick");
		}
		/* A worker command: its reply comes after the turn that took the kicks. */
		ASSERT_EQ(0, uvdpactl(NULL, 0, "filter set %s builtin", self->d.name));
		EXPECT_FALSE(vg_used_pending(&self->g, 0));
		EXPECT_EQ(0, kill(self->d.pid, 0));
		/* The reset: the device serves again. */
		ASSERT_EQ(0, up(self, variant));
		EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, round * 8, 4096, round));
		EXPECT_EQ(before + round + 1, count_lines(self, BAD_DRIVER)) {
			TH_LOG("daemon said: %s", self->log);
		}
	}
	EXPECT_EQ(0, stop(self));
}

/* A write whose status byte is outside guest memory: no answer possible. */
static void status_outside_memory(FIXTURE_DATA(vhost) *self, unsigned int round)
{
	uint64_t hdr_iova;
	struct virtio_blk_outhdr *h = vg_alloc(&self->g, R_RING, 32, 16, &hdr_iova);
	/* Round 1: the status byte alone just past the end of a region. */
	struct vg_buf bufs[2] = {
		{ hdr_iova, sizeof(*h), false },
		{ round ? IOVA_DATA1 + 64 * MiB : IOVA_NOWHERE, 1, true },
	};

	h->type = htole32(VIRTIO_BLK_T_FLUSH);
	vg_post(&self->g, 0, bufs, 2, self->g.indirect, R_RING);
}

TEST_F_TIMEOUT(vhost, hostile_status_outside_guest_memory, 120)
{
	hostile(_metadata, self, variant, status_outside_memory);
}

/* Every descriptor chained to the next, the last back to the first. */
static void loop(FIXTURE_DATA(vhost) *self, unsigned int round)
{
	struct vg_queue *q = &self->g.queues[0];
	uint64_t iova;
	unsigned int i;

	vg_alloc(&self->g, R_DATA1, 4096, 4096, &iova);
	if (self->g.packed) {
		/* A packed chain cannot loop; it can run round the whole ring. */
		for (i = 0; i < q->num; i++) {
			q->pdesc[i].addr = htole64(iova);
			q->pdesc[i].len = htole32(16);
			q->pdesc[i].id = 0;
			if (i)
				q->pdesc[i].flags = htole16(VRING_DESC_F_NEXT |
							    1 << VRING_PACKED_DESC_F_AVAIL);
		}
		__atomic_store_n(&q->pdesc[0].flags,
				 htole16(VRING_DESC_F_NEXT | 1 << VRING_PACKED_DESC_F_AVAIL),
				 __ATOMIC_RELEASE);
	} else {
		unsigned int n = round ? q->num : 2;

		for (i = 0; i < n; i++) {
			q->desc[i].addr = htole64(iova);
			q->desc[i].len = htole32(16);
			q->desc[i].flags = htole16(VRING_DESC_F_NEXT);
			q->desc[i].next = htole16((i + 1) % n);
		}
		q->avail->ring[0] = 0;
		__atomic_store_n(&q->avail->idx, htole16(1), __ATOMIC_RELEASE);
	}
	vg_kick(&self->g, 0);
}

TEST_F_TIMEOUT(vhost, hostile_descriptor_loop, 120)
{
	hostile(_metadata, self, variant, loop);
}

/*
 * Publish one raw descriptor at the head of a fresh ring (slot 0, wrap
 * counter 1) and kick: whatever @flags say, valid or not.
 */
static void publish_raw(FIXTURE_DATA(vhost) *self, uint64_t addr, uint32_t len,
			uint16_t flags, uint16_t id)
{
	struct vg_queue *q = &self->g.queues[0];

	if (self->g.packed) {
		q->pdesc[0].addr = htole64(addr);
		q->pdesc[0].len = htole32(len);
		q->pdesc[0].id = htole16(id);
		__atomic_store_n(&q->pdesc[0].flags,
				 htole16(flags | 1 << VRING_PACKED_DESC_F_AVAIL), __ATOMIC_RELEASE);
	} else {
		q->desc[0].addr = htole64(addr);
		q->desc[0].len = htole32(len);
		q->desc[0].flags = htole16(flags);
		q->avail->ring[0] = 0;
		__atomic_store_n(&q->avail->idx, htole16(1), __ATOMIC_RELEASE);
	}
	vg_kick(&self->g, 0);
}

/*
 * An indirect table of a length that is no whole number of descriptors,
 * then one outside guest memory (or, without the feature, the flag alone).
 */
static void bad_indirect(FIXTURE_DATA(vhost) *self, unsigned int round)
{
	struct vg_queue *q = &self->g.queues[0];

	publish_raw(self, round ? IOVA_NOWHERE : q->table_iova, round ? 48 : 24,
		    VRING_DESC_F_INDIRECT, 0);
}

TEST_F_TIMEOUT(vhost, hostile_bad_indirect_table, 120)
{
	hostile(_metadata, self, variant, bad_indirect);
}

/* Nested indirect tables: a table whose entry is itself INDIRECT. */
static void nested_indirect(FIXTURE_DATA(vhost) *self, unsigned int round)
{
	struct vg_queue *q = &self->g.queues[0];
	struct vring_packed_desc *pt = (void *)q->table;
	struct vring_desc *t = (void *)q->table;

	if (self->g.packed) {
		pt[0].addr = htole64(q->table_iova + 256);
		pt[0].len = htole32(16);
		pt[0].id = 0;
		pt[0].flags = htole16(VRING_DESC_F_INDIRECT);
	} else {
		t[0].addr = htole64(q->table_iova + 256);
		t[0].len = htole32(16);
		t[0].flags = htole16(VRING_DESC_F_INDIRECT);
		t[0].next = 0;
	}
	publish_raw(self, q->table_iova, 16, VRING_DESC_F_INDIRECT, 0);
}

TEST_F_TIMEOUT(vhost, hostile_nested_indirect_table, 120)
{
	hostile(_metadata, self, variant, nested_indirect);
}

/*
 * Split: the avail index jumps past the queue size (more chains than the
 * ring holds). Packed has no index: a buffer ID past the queue size.
 */
static void avail_jump(FIXTURE_DATA(vhost) *self, unsigned int round)
{
	struct vg_queue *q = &self->g.queues[0];

	if (self->g.packed) {
		publish_raw(self, IOVA_DATA1, 16, 0, q->num + 5 + round);
		return;
	}
	__atomic_store_n(&q->avail->idx, htole16(q->num + 1 + round * 1000), __ATOMIC_RELEASE);
	vg_kick(&self->g, 0);
}

TEST_F_TIMEOUT(vhost, hostile_avail_index_past_queue_size, 120)
{
	hostile(_metadata, self, variant, avail_jump);
}

/* The driver takes away the memory its rings live in, while DRIVER_OK. */
static void unmap_ring(FIXTURE_DATA(vhost) *self, unsigned int round)
{
	vg_unmap(&self->g, R_RING);
	/* Another mapping change while the queue is stopped: no second line. */
	vg_unmap(&self->g, R_DATA2);
	vg_map(&self->g, R_DATA2);
}

static void hostile_unmapped(struct __test_metadata *_metadata, FIXTURE_DATA(vhost) *self,
			     const FIXTURE_VARIANT(vhost) *variant)
{
	unsigned int round;

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, up(self, variant));
		unmap_ring(self, round);
		ASSERT_TRUE(wait_lines(self, BAD_DRIVER, round + 1)) {
			TH_LOG("daemon said: %s", self->log);
		}
		EXPECT_EQ(0, kill(self->d.pid, 0));
		ASSERT_EQ(0, vg_map(&self->g, R_RING));
		ASSERT_EQ(0, up(self, variant));
		EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA2, round * 8, 4096, round));
		EXPECT_EQ(round + 1, count_lines(self, BAD_DRIVER)) {
			TH_LOG("daemon said: %s", self->log);
		}
	}
}

TEST_F_TIMEOUT(vhost, hostile_ring_unmapped_while_running, 120)
{
	hostile_unmapped(_metadata, self, variant);
	EXPECT_EQ(0, stop(self));
}

/* Rings at IOVAs nothing is mapped at, from DRIVER_OK on. */
TEST_F_TIMEOUT(vhost, hostile_ring_never_mapped, 120)
{
	ASSERT_EQ(0, vg_unmap(&self->g, R_RING));
	ASSERT_EQ(0, up(self, variant));
	ASSERT_TRUE(wait_lines(self, BAD_DRIVER, 1)) {
		TH_LOG("daemon said: %s", self->log);
	}
	ASSERT_EQ(0, vg_map(&self->g, R_RING));
	ASSERT_EQ(0, up(self, variant));
	EXPECT_TRUE(write_read(_metadata, self, variant, R_DATA1, 0, 4096, 1));
	EXPECT_EQ(1, count_lines(self, BAD_DRIVER));
	EXPECT_EQ(0, stop(self));
}

/*
 * The manual path: the device goes to virtio_vdpa first (which sets up
 * VDUSE's bounce buffer at IOVA 0), then moves to vhost_vdpa through
 * driver_override; the guest's own memory at IOVA 0 must be what the device
 * sees from then on.
 */
FIXTURE(manual) {
	FIXTURE_DATA(vhost) v;
};

FIXTURE_SETUP(manual)
{
	snprintf(self->v.img, sizeof(self->v.img), "/tmp/uvdpa-vhost-m%d.img", getpid());
	snprintf(self->v.d.name, sizeof(self->v.d.name), "ksft-vm%d", getpid());
	self->v.g.fd = -1;
	unlink(self->v.img);
}

FIXTURE_TEARDOWN(manual)
{
	vg_close(&self->v.g);
	daemon_close(&self->v.d);
	unlink(self->v.img);
}

TEST_F_TIMEOUT(manual, virtio_vdpa_then_vhost_vdpa_then_back, 120)
{
	FIXTURE_DATA(vhost) *v = &self->v;
	char disk[32];
	unsigned int i;

	ASSERT_EQ(0, start_daemon(_metadata, v, "--split", NULL));
	ASSERT_EQ(0, run("vdpa dev add name %s mgmtdev vduse", v->d.name));
	ASSERT_EQ(0, vdpa_bus_blkdev(v->d.name, disk, sizeof(disk)));
	EXPECT_EQ(0, run("dd if=/dev/zero of=/dev/%s bs=64k count=16 oflag=direct status=none",
			 disk));
	ASSERT_EQ(0, vdpa_bus_bind(v->d.name, "vhost_vdpa"));
	ASSERT_EQ(0, open_guest(_metadata, v));
	ASSERT_EQ(0, vg_start(&v->g, 0, 1, QSIZE, R_RING, true));
	for (i = 0; i < 4; i++) {
		uint64_t w_iova, r_iova;
		char *w = vg_alloc(&v->g, R_RING, 4096, 4096, &w_iova);
		char *back = vg_alloc(&v->g, R_RING, 4096, 4096, &r_iova);

		pattern(w, 4096, 50 + i);
		EXPECT_EQ(VIRTIO_BLK_S_OK, vg_blk_rw(&v->g, 0, VIRTIO_BLK_T_OUT, i * 8, w_iova,
						     4096, false, R_RING)) {
			drain_log(v);
			TH_LOG("daemon said: %s", v->log);
		}
		EXPECT_EQ(VIRTIO_BLK_S_OK, vg_blk_rw(&v->g, 0, VIRTIO_BLK_T_IN, i * 8, r_iova,
						     4096, false, R_RING));
		EXPECT_EQ(0, memcmp(w, back, 4096));
		EXPECT_TRUE(file_holds(v->img, i * 8, 4096, 50 + i));
	}
	vg_close(&v->g);
	/* And back to the host's own driver. */
	ASSERT_EQ(0, vdpa_bus_bind(v->d.name, "virtio_vdpa"));
	ASSERT_EQ(0, vdpa_bus_blkdev(v->d.name, disk, sizeof(disk)));
	EXPECT_EQ(0, run("cmp -n 4096 /dev/%s %s", disk, v->img));
	EXPECT_EQ(0, run("vdpa dev del %s", v->d.name));
	EXPECT_EQ(0, stop(v));
}

TEST_HARNESS_MAIN
