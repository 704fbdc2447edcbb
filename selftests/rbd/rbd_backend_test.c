// SPDX-License-Identifier: GPL-2.0
/*
 * The RBD backend against a real one-node Ceph cluster (ceph-cluster),
 * driven as a worker drives it: librbd's completions come back through the
 * ring's eventfd. Data written reads back with many requests in flight,
 * discard and write-zeroes read as zeroes, a resize is heard, a snapshot is served read-only,
 * an unknown pool, image or snapshot is refused with a line saying which,
 * an OSD frozen for a moment only delays I/O, and an OSD gone fails it
 * within rados_osd_op_timeout. Without librbd installed, the backend says
 * what is missing and nothing else fails.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "../lib/be_drive.h"

#define MiB (1024 * 1024)
#define MAX_REQ 64
#define OP_TIMEOUT_S 3

FIXTURE(rbd) {
	char dir[64], conf[96];
	struct io_uring ring;
	struct be_ctx ctx;
	struct be be;
	bool opened, ring_up;
	uint8_t *buf;
	int resized_fd;		/* an eventfd, signalled by t_resized() */
	uint64_t resized;
};

/* The backend's watch thread, as blk's resize hook: note the size, wake the test. */
static void t_resized(void *arg, uint64_t size)
{
	FIXTURE_DATA(rbd) *self = arg;

	__atomic_store_n(&self->resized, size, __ATOMIC_RELAXED);
	eventfd_write(self->resized_fd, 1);
}

/* Until @fd is readable, at most @ms: 0, or -ETIMEDOUT. */
static int t_wait_fd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? 0 : -ETIMEDOUT;
}

/* ceph-cluster is installed next to this program. */
static int t_cluster(const char *cmd, const char *dir)
{
	char line[512];

	snprintf(line, sizeof(line), "./ceph-cluster %s %s %d >/dev/null", cmd, dir,
		 20000 + getpid() % 10000);
	return system(line);
}

static int t_ceph(FIXTURE_DATA(rbd) *self, const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "timeout 30 %s -c %s >/dev/null 2>&1", cmd, self->conf);
	return system(line);
}

/* The OSD's pid, from the cluster's run directory. */
static pid_t t_osd(FIXTURE_DATA(rbd) *self)
{
	char path[128];
	FILE *f;
	int pid = -1;

	snprintf(path, sizeof(path), "%s/run/osd.0.pid", self->dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

FIXTURE_SETUP(rbd)
{
	FILE *f;

	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-rbd-%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/ceph.conf", self->dir);
	self->opened = false;
	ASSERT_EQ(0, t_cluster("start", self->dir));
	/* A cluster gone fails I/O in seconds, not librbd's default of never. */
	f = fopen(self->conf, "a");
	ASSERT_NE(NULL, f);
	fprintf(f, "[client]\nrados osd op timeout = %d\n", OP_TIMEOUT_S);
	fclose(f);
	ASSERT_EQ(0, t_ceph(self, "rbd create --size 16M rbd/disk"));
	ASSERT_EQ(0, io_uring_queue_init(256, &self->ring, 0));
	self->ring_up = true;
	self->ctx = (struct be_ctx){ .ring = &self->ring, .complete = t_complete };
	memset(&self->be, 0, sizeof(self->be));
	self->be.ops = &be_rbd_ops;
	self->resized_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->resized_fd);
	self->buf = malloc(MAX_REQ * 65536);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(rbd)
{
	/* The ring first: close() frees what its CQEs point to. */
	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	if (self->opened)
		self->be.ops->close(&self->be);
	t_cluster("stop", self->dir);
	close(self->resized_fd);
	free(self->buf);
}

static int t_open(FIXTURE_DATA(rbd) *self, const char *spec, bool ro)
{
	struct be_opts o = { .rbd = spec, .ceph_conf = self->conf, .read_only = ro, .tap_fd = -1 };
	int ret;

	if (self->opened) {
		self->be.ops->close(&self->be);
		self->opened = false;
	}
	self->be.why[0] = '\0';
	ret = self->be.ops->open(&self->be, &o);
	if (ret)
		return ret;
	self->opened = true;
	return self->be.ops->attach(&self->be, &self->ctx);
}

/* One cluster for every check: starting one is most of the test's time. */
TEST_F_TIMEOUT(rbd, io_refusals_and_osd_outages, 60)
{
	static struct iovec v[MAX_REQ];
	static struct be_io io[MAX_REQ];
	static uint8_t want[65536], zero[65536];
	struct t_req r[MAX_REQ] = { 0 };
	long long t0;
	pid_t osd;
	unsigned int i;

	ASSERT_EQ(0, t_open(self, "rbd/disk", false)) TH_LOG("%s", self->be.why);
	EXPECT_EQ(16 * MiB, self->be.size);
	EXPECT_TRUE(self->be.discard);
	for (i = 0; i < MAX_REQ; i++) {
		fill(self->buf + i * 65536, 65536, i);
		v[i] = (struct iovec){ self->buf + i * 65536, 65536 };
		io[i] = (struct be_io){ .op = BE_WRITE, .offset = (uint64_t)i * 65536,
					.len = 65536, .iov = &v[i], .iovcnt = 1 };
		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[i], (uintptr_t)&r[i]));
	}
	ASSERT_EQ(0, be_wait(&self->ctx, r, MAX_REQ, 30000));
	for (i = 0; i < MAX_REQ; i++)
		ASSERT_EQ(65536, r[i].res) TH_LOG("write %u", i);
	ASSERT_EQ(0, be_io_sync(&self->be, &self->ctx, BE_FLUSH, 0, NULL, 0));
	for (i = 0; i < MAX_REQ; i++) {
		ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_READ, (uint64_t)i * 65536,
					    self->buf, 65536));
		fill(want, sizeof(want), i);
		ASSERT_EQ(0, memcmp(want, self->buf, 65536)) TH_LOG("block %u", i);
	}
	{
		struct be_io d = { .op = BE_DISCARD, .offset = MiB, .len = 65536 };
		struct be_io z = { .op = BE_WRITE_ZEROES, .offset = 2 * MiB, .len = 65536 };
		struct t_req rd = { 0 }, rz = { 0 };

		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &d, (uintptr_t)&rd));
		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &z, (uintptr_t)&rz));
		ASSERT_EQ(0, be_wait(&self->ctx, &rd, 1, 30000));
		ASSERT_EQ(0, be_wait(&self->ctx, &rz, 1, 30000));
		EXPECT_EQ(0, rd.res);
		EXPECT_EQ(0, rz.res);
		ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_READ, MiB, self->buf, 65536));
		EXPECT_EQ(0, memcmp(zero, self->buf, 65536));
		ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_READ, 2 * MiB, self->buf,
					    65536));
		EXPECT_EQ(0, memcmp(zero, self->buf, 65536));
	}

	/* rbd resize, as another client does it: the watch hears the new size. */
	ASSERT_EQ(0, self->be.ops->watch_size(&self->be, t_resized, self));
	ASSERT_EQ(0, t_ceph(self, "rbd resize --size 32M rbd/disk"));
	ASSERT_EQ(0, t_wait_fd(self->resized_fd, 10000));
	EXPECT_EQ(32 * MiB, self->be.size);
	EXPECT_EQ(32 * MiB, self->resized);

	/* A frozen OSD stalls a flush; write and flush complete once the OSD runs again. */
	osd = t_osd(self);
	ASSERT_LT(0, osd);
	ASSERT_EQ(0, kill(osd, SIGSTOP));
	memset(r, 0, sizeof(r));
	fill(self->buf, 65536, 99);
	io[0].op = BE_WRITE;
	io[1] = (struct be_io){ .op = BE_FLUSH };
	ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[0], (uintptr_t)&r[0]));
	ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[1], (uintptr_t)&r[1]));
	EXPECT_EQ(-ETIMEDOUT, be_wait(&self->ctx, &r[1], 1, 1000)) TH_LOG("flush: %d", r[1].res);
	ASSERT_EQ(0, kill(osd, SIGCONT));
	ASSERT_EQ(0, be_wait(&self->ctx, r, 2, 30000));
	EXPECT_EQ(65536, r[0].res);
	EXPECT_EQ(0, r[1].res);

	/* A snapshot: only with --ro, and it holds the data of its moment. */
	ASSERT_EQ(0, t_ceph(self, "rbd snap create rbd/disk@s1"));
	EXPECT_EQ(-EROFS, t_open(self, "rbd/disk@s1", false));
	EXPECT_NE(NULL, strstr(self->be.why, "add --ro")) TH_LOG("%s", self->be.why);
	ASSERT_EQ(0, t_open(self, "rbd/disk@s1", true)) TH_LOG("%s", self->be.why);
	ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_READ, 65536, self->buf, 65536));
	fill(want, sizeof(want), 1);
	EXPECT_EQ(0, memcmp(want, self->buf, 65536));

	EXPECT_EQ(-ENOENT, t_open(self, "nopool/disk", false));
	EXPECT_NE(NULL, strstr(self->be.why, "pool 'nopool' does not exist")) TH_LOG("%s",
										self->be.why);
	EXPECT_EQ(-ENOENT, t_open(self, "rbd/nope", false));
	EXPECT_NE(NULL, strstr(self->be.why, "image 'nope' does not exist in pool 'rbd'"))
		TH_LOG("%s", self->be.why);
	EXPECT_EQ(-ENOENT, t_open(self, "rbd/disk@s9", true));
	EXPECT_NE(NULL, strstr(self->be.why, "has no snapshot 's9'")) TH_LOG("%s", self->be.why);

	/* No SQE for the eventfd's read (the test build's fault point): attach fails, saying why. */
	ASSERT_EQ(0, setenv("UVDPA_FAULT", "sqe:1", 1));
	EXPECT_EQ(-EBUSY, t_open(self, "rbd/disk", false));
	unsetenv("UVDPA_FAULT");
	EXPECT_NE(NULL, strstr(self->be.why, "no SQE")) TH_LOG("%s", self->be.why);

	/*
	 * Last, as it ends the cluster (memstore's data goes with the OSD):
	 * the OSD killed, a write fails within the op timeout. The image's
	 * lock is ours (a write took it), so that closing it would release it.
	 */
	ASSERT_EQ(0, t_open(self, "rbd/disk", false)) TH_LOG("%s", self->be.why);
	ASSERT_EQ(4096, be_io_sync(&self->be, &self->ctx, BE_WRITE, 0, self->buf, 4096));
	ASSERT_EQ(0, kill(osd, SIGKILL));
	memset(r, 0, sizeof(r));
	v[0].iov_len = 4096;
	io[0] = (struct be_io){ .op = BE_WRITE, .offset = 0, .len = 4096, .iov = &v[0],
				.iovcnt = 1 };
	t0 = now_ms();
	ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[0], (uintptr_t)&r[0]));
	ASSERT_EQ(0, be_wait(&self->ctx, &r[0], 1, (OP_TIMEOUT_S + 10) * 1000));
	EXPECT_GT(0, r[0].res);
	EXPECT_LE(OP_TIMEOUT_S * 1000 - 500, now_ms() - t0);

	/* Closed within the op timeout, without releasing the lock (librbd crashes in that). */
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	t0 = now_ms();
	self->be.ops->close(&self->be);
	self->opened = false;
	EXPECT_GE((OP_TIMEOUT_S + 10) * 1000, now_ms() - t0);
}

/* Where the dynamic linker finds librbd.so.1, from its cache: 0 or -ENOENT. */
static int t_librbd_path(char *path, size_t len)
{
	FILE *p = popen("ldconfig -p", "r");
	char line[512];
	int ret = -ENOENT;

	if (!p)
		return -errno;
	while (fgets(line, sizeof(line), p)) {
		char *arrow = strstr(line, " => ");

		if (ret && arrow && strstr(line, "librbd.so.1 ")) {
			arrow[strcspn(arrow, "\n")] = '\0';
			snprintf(path, len, "%s", arrow + 4);
			ret = 0;
		}
	}
	pclose(p);
	return ret;
}

/*
 * The test child's own mount namespace puts an empty file over librbd: the
 * library is loaded at open, so the child has not loaded it yet.
 */
TEST(without_librbd_the_backend_says_so)
{
	struct be_opts o = { .rbd = "rbd/disk", .tap_fd = -1 };
	struct be be = { .ops = &be_rbd_ops };
	char lib[256];

	ASSERT_EQ(0, t_librbd_path(lib, sizeof(lib)));
	if (unshare(CLONE_NEWNS))
		SKIP(return, "no mount namespace: %s", strerror(errno));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) TH_LOG("%m");
	ASSERT_EQ(0, mount("/dev/null", lib, NULL, MS_BIND, NULL)) TH_LOG("%s: %m", lib);
	EXPECT_EQ(-ENOENT, be.ops->open(&be, &o));
	EXPECT_NE(NULL, strstr(be.why, "the RBD backend needs librbd1 and librados2: "))
		TH_LOG("%s", be.why);
}

TEST_HARNESS_MAIN
