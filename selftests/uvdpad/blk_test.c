// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad's virtio-blk device as the kernel's virtio_blk sees it: attached
 * through virtio_vdpa, a real /dev/vdX with the configured geometry that
 * keeps data, survives a filesystem, fio verify and detach under I/O, and
 * goes away cleanly.
 */
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"

#define MiB (1024 * 1024)

FIXTURE(blk) {
	struct daemon d;
	char img[64];
	char dev[64];
};

FIXTURE_VARIANT(blk) {
	const char *ring;	/* --split or --packed */
	const char *queues;
	const char *opt;	/* one more option, or NULL */
};

FIXTURE_VARIANT_ADD(blk, split) {
	.ring = "--split",
	.queues = "1",
};

/* O_DIRECT on the backing file. */
FIXTURE_VARIANT_ADD(blk, split_direct) {
	.ring = "--split",
	.queues = "1",
	.opt = "--direct",
};

/* The kernel's own bounce pages, mapped through VDUSE_IOTLB_GET_FD. */
FIXTURE_VARIANT_ADD(blk, split_no_umem) {
	.ring = "--split",
	.queues = "1",
	.opt = "--no-umem",
};

/* Two queues served by one worker. */
FIXTURE_VARIANT_ADD(blk, packed_2q) {
	.ring = "--packed",
	.queues = "2",
	.opt = "--workers=1",
};

FIXTURE_SETUP(blk)
{
	snprintf(self->img, sizeof(self->img), "/tmp/uvdpa-blk-%d.img", getpid());
	snprintf(self->d.name, sizeof(self->d.name), "ksft-blk%d", getpid());
	unlink(self->img);
}

FIXTURE_TEARDOWN(blk)
{
	daemon_close(&self->d);
	unlink(self->img);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(blk) *self,
		 const FIXTURE_VARIANT(blk) *variant, const char *extra)
{
	const char *args[16] = { "blk", "--name", self->d.name, "--file", self->img,
				 "--size", "64M", "--queues", variant->queues, variant->ring,
				 "--attach" };
	int n = 11;

	if (variant->opt)
		args[n++] = variant->opt;
	if (extra)
		args[n++] = extra;
	args[n] = NULL;
	return START_BLK(&self->d, args, self->dev);
}

TEST_F(blk, geometry)
{
	int i;

	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	EXPECT_EQ(64LL * MiB / 512, sysfs_ll("/sys/block/%s/size", self->d.disk));
	EXPECT_EQ(512, sysfs_ll("/sys/block/%s/queue/logical_block_size", self->d.disk));
	EXPECT_EQ(0, sysfs_ll("/sys/block/%s/ro", self->d.disk));
	EXPECT_EQ(atoi(variant->queues), count_entries("/sys/block/%s/mq", self->d.disk));
	/* Each queue's interrupts on one CPU, not rotated over the driver's mask. */
	for (i = 0; i < atoi(variant->queues); i++) {
		EXPECT_EQ(0, run("m=$(cat /sys/class/vduse/%s/vq%d/irq_cb_affinity) && "
				 "[ $((0x$m & (0x$m - 1))) -eq 0 ]", self->d.name, i))
			TH_LOG("queue %d: interrupt CPUs not narrowed to one", i);
	}
	/* Requests of at most 64 pages, and a bounce buffer for all 256 of each queue, and a page. */
	EXPECT_EQ(61, sysfs_ll("/sys/block/%s/queue/max_segments", self->d.disk));
	EXPECT_EQ(4096, sysfs_ll("/sys/block/%s/queue/max_segment_size", self->d.disk));
	EXPECT_EQ((atoi(variant->queues) * 64LL + 1) * MiB,
		  sysfs_ll("/sys/class/vduse/%s/bounce_size", self->d.name));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/* fio for @secs seconds of direct @rw in @bs blocks, @depth deep in each of two jobs. */
static int fio_flood(const char *dev, const char *rw, const char *bs, int depth, int secs)
{
	return run("fio --name=%s --filename=%s --ioengine=io_uring --direct=1 --rw=%s "
		   "--bs=%s --iodepth=%d --numjobs=2 --time_based --runtime=%d "
		   "--output=/dev/null", rw, dev, rw, bs, depth, secs);
}

/*
 * Far more data in flight than VDUSE's default 64 MiB bounce buffer: 1 MiB
 * requests, 256 per job. A mapping that finds the buffer full fails the
 * submission, and on 7.3 that deadlocks the whole kernel (blk_dev_init()):
 * then nothing here returns and the VM's timeout ends the run.
 */
TEST_F_TIMEOUT(blk, full_ring_of_large_requests, 300)
{
	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	EXPECT_EQ(0, fio_flood(self->dev, "write", "1M", 256, 3));
	EXPECT_EQ(0, fio_flood(self->dev, "read", "1M", 256, 3));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/* Write @tag's 4 KiB at 8 MiB through the disk, read it back there and in the backing file. */
static void write_reaches_the_file(struct __test_metadata *_metadata, FIXTURE_DATA(blk) *self,
				   const char *tag)
{
	char written[4096], back[4096];
	void *buf = NULL;
	int fd;

	memset(written, 0x5a, sizeof(written));
	snprintf(written, sizeof(written), "uvdpa %s", tag);
	/* O_DIRECT: the buffer must be aligned. */
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	memcpy(buf, written, 4096);
	fd = open(self->dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4096, pwrite(fd, buf, 4096, 8 * MiB));
	EXPECT_EQ(0, fsync(fd));
	memset(buf, 0, 4096);
	EXPECT_EQ(4096, pread(fd, buf, 4096, 8 * MiB));
	EXPECT_EQ(0, memcmp(buf, written, sizeof(written)));
	close(fd);
	free(buf);

	fd = open(self->img, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4096, pread(fd, back, sizeof(back), 8 * MiB));
	EXPECT_EQ(0, memcmp(back, written, sizeof(back)));
	close(fd);
}

TEST_F(blk, data_reaches_the_backing_file)
{
	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	write_reaches_the_file(_metadata, self, variant->ring);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_F_TIMEOUT(blk, filesystem_survives_restart, 300)
{
	char mnt[64];

	snprintf(mnt, sizeof(mnt), "/tmp/uvdpa-mnt-%d", getpid());
	ASSERT_EQ(0, mkdir(mnt, 0700));
	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	ASSERT_EQ(0, run("mkfs.ext4 -q -F %s", self->dev));
	ASSERT_EQ(0, run("mount %s %s", self->dev, mnt));
	EXPECT_EQ(0, run("dd if=/dev/urandom of=%s/f bs=64k count=64 status=none", mnt));
	EXPECT_EQ(0, run("cd %s && sha256sum f > /tmp/uvdpa-sum-%d && sync", mnt, getpid()));
	EXPECT_EQ(0, run("umount %s", mnt));
	EXPECT_EQ(0, run("e2fsck -fn %s >/dev/null 2>&1", self->dev));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	EXPECT_FALSE(path_exists("/sys/bus/vdpa/devices/%s", self->d.name));

	/* A new daemon on the same file: the data is still there. */
	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	ASSERT_EQ(0, run("mount %s %s", self->dev, mnt));
	EXPECT_EQ(0, run("cd %s && sha256sum -c --quiet /tmp/uvdpa-sum-%d", mnt, getpid()));
	EXPECT_EQ(0, run("umount %s", mnt));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	rmdir(mnt);
}

TEST_F_TIMEOUT(blk, fio_verify, 600)
{
	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	/*
	 * 4k and 64k at QD1 and QD32: random writes, then a verifying read pass;
	 * a few MiB each, hundreds to thousands of requests, every ring wrapped.
	 */
	EXPECT_EQ(0, run("fio --name=qd1 --filename=%s --ioengine=io_uring --direct=1 "
			 "--rw=randwrite --bs=4k --iodepth=1 --size=2M --verify=crc32c "
			 "--do_verify=1 --verify_fatal=1 --output=/dev/null", self->dev));
	EXPECT_EQ(0, run("fio --name=qd1_64k --filename=%s --ioengine=io_uring --direct=1 "
			 "--rw=randwrite --bs=64k --iodepth=1 --size=4M --verify=crc32c "
			 "--do_verify=1 --verify_fatal=1 --output=/dev/null", self->dev));
	EXPECT_EQ(0, run("fio --name=qd32_4k --filename=%s --ioengine=io_uring --direct=1 "
			 "--rw=randwrite --bs=4k --iodepth=32 --size=4M --verify=crc32c "
			 "--do_verify=1 --verify_fatal=1 --output=/dev/null", self->dev));
	EXPECT_EQ(0, run("fio --name=qd32 --filename=%s --ioengine=io_uring --direct=1 "
			 "--rw=randwrite --bs=64k --iodepth=32 --size=8M --verify=crc32c "
			 "--do_verify=1 --verify_fatal=1 --numjobs=%s --offset_increment=8M "
			 "--output=/dev/null", self->dev, variant->queues));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/*
 * More requests than a queue has entries, on a backend slower than the
 * driver: every slot is in flight while the driver waits with the next
 * requests, and no kick will tell of them. The worker must come back to the
 * ring when a slot frees; else fio waits for good.
 */
TEST_F_TIMEOUT(blk, more_requests_than_slots, 180)
{
	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	EXPECT_EQ(0, fio_flood(self->dev, "write", "64k", 512, 2));
	EXPECT_EQ(0, run("fio --name=v --filename=%s --ioengine=io_uring --direct=1 "
			 "--rw=randwrite --bs=4k --iodepth=512 --size=8M --verify=crc32c "
			 "--do_verify=1 --verify_fatal=1 --output=/dev/null", self->dev));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_F_TIMEOUT(blk, discard_punches_holes_and_write_zeroes_reads_zero, 120)
{
	struct stat before, after;
	char buf[4096], zero[4096] = { 0 };
	int fd;

	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	ASSERT_EQ(0, run("dd if=/dev/urandom of=%s bs=1M count=4 oflag=direct status=none",
			 self->dev));
	ASSERT_EQ(0, stat(self->img, &before));
	EXPECT_EQ(0, run("blkdiscard -o 0 -l 2M %s", self->dev));
	ASSERT_EQ(0, stat(self->img, &after));
	EXPECT_LT(after.st_blocks, before.st_blocks);

	EXPECT_EQ(0, run("blkdiscard -z -o 2M -l 1M %s", self->dev));
	fd = open(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4096, pread(fd, buf, sizeof(buf), 2 * MiB + 8192));
	EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf)));
	close(fd);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_F_TIMEOUT(blk, detach_under_io_then_reattach, 300)
{
	long long ios;
	int status;
	pid_t fio;

	ASSERT_EQ(0, start(_metadata, self, variant, NULL));
	ios = disk_ios(self->d.disk);
	fio = fork();
	ASSERT_LE(0, fio);
	if (fio == 0) {
		char arg[80];

		snprintf(arg, sizeof(arg), "--filename=%s", self->dev);
		execlp("fio", "fio", "--name=busy", arg, "--ioengine=io_uring", "--direct=1",
		       "--rw=randrw", "--bs=4k", "--iodepth=16", "--time_based",
		       "--runtime=60", "--output=/dev/null", NULL);
		_exit(127);
	}
	/* Removal must happen under I/O: wait (bounded) until fio's I/O has completed. */
	for (int i = 0; i < 600 && disk_ios(self->d.disk) < ios + 64; i++) {
		usleep(100 * 1000);
	}
	EXPECT_LE(ios + 64, disk_ios(self->d.disk));
	EXPECT_EQ(0, run("vdpa dev del %s", self->d.name));
	ASSERT_EQ(fio, waitpid(fio, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);

	/* The daemon kept serving the VDUSE device: it can go on the bus again. */
	EXPECT_EQ(0, kill(self->d.pid, 0));
	ASSERT_EQ(0, run("vdpa dev add name %s mgmtdev vduse", self->d.name));
	ASSERT_EQ(0, daemon_find_disk(&self->d, self->dev, sizeof(self->dev)));
	EXPECT_EQ(0, run("dd if=%s of=/dev/null bs=1M count=4 iflag=direct status=none",
			 self->dev));
	/*
	 * Data, not only completions: the new attach's bounce buffer may be a
	 * new one (7.x), and serving it from the old one returns stale data.
	 */
	write_reaches_the_file(_metadata, self, "after reattach");
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	EXPECT_FALSE(path_exists("/sys/bus/vdpa/devices/%s", self->d.name));
	EXPECT_FALSE(path_exists("/dev/vduse/%s", self->d.name));
}

/* An fsync of the disk becomes a FLUSH that the daemon passes to its backend. */
TEST_F(blk, flush_reaches_the_backend)
{
	char err[4096];
	int fd;

	ASSERT_EQ(0, start(_metadata, self, variant, "-v"));
	fd = open(self->dev, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(5, pwrite(fd, "flush", 5, 0));
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	read_all(self->d.err, err, sizeof(err));
	EXPECT_EQ(NULL, strstr(err, " flushes=0 ")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, " flushes=")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, " io_errors=0 bad_requests=0")) TH_LOG("%s", err);
}

/*
 * The partition scan at attach is the driver's first streaming DMA mapping:
 * from then on the bounce buffer is the daemon's memory, unless --no-umem.
 */
TEST_F(blk, bounce_buffer_is_ours)
{
	bool no_umem = variant->opt && !strcmp(variant->opt, "--no-umem");
	char err[4096], want[128];

	snprintf(want, sizeof(want), "bounce buffer: %llu bytes of our own, "
		 "a fixed buffer on every ring", (atoi(variant->queues) * 64ULL + 1) * MiB);
	ASSERT_EQ(0, start(_metadata, self, variant, "-v"));
	EXPECT_EQ(0, run("dd if=%s of=/dev/null bs=64k count=16 iflag=direct status=none",
			 self->dev));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	read_all(self->d.err, err, sizeof(err));
	if (no_umem) {
		EXPECT_EQ(NULL, strstr(err, "bounce buffer")) TH_LOG("%s", err);
	} else {
		EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
	}
}

TEST_F(blk, read_only_refuses_writes)
{
	int fd;

	/* A read-only device needs an existing image. */
	ASSERT_EQ(0, run("truncate -s 64M %s", self->img));
	ASSERT_EQ(0, start(_metadata, self, variant, "--ro"));
	EXPECT_EQ(1, sysfs_ll("/sys/block/%s/ro", self->d.disk));
	/* The block layer refuses the write before it reaches the device. */
	fd = open(self->dev, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, pwrite(fd, "x", 1, 0));
	EXPECT_EQ(EPERM, errno);
	close(fd);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_HARNESS_MAIN
