// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad blk --rbd end to end: disks on images of a one-node Ceph cluster
 * (../rbd/ceph-cluster: a monitor and a memstore OSD on the VM's loopback),
 * attached to virtio_vdpa. Starting the cluster and a daemon is most of the
 * time under TCG, so main() starts one cluster for every case, and a case
 * is a disk that goes through as much as it can: one daemon start each
 * (two for the reconnect), MiBs of I/O. The cases are TEST()s, which the
 * harness runs in the order they are written: the last one ends the
 * cluster.
 */
#include <linux/fs.h>
#include <linux/vduse.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <rados/librados.h>
#include <rbd/librbd.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"

/*
 * TEST()'s 30 s is too short under TCG; TEST_F_TIMEOUT() would do, but
 * this harness runs a fixture's tests in reverse (its TEST_F constructors
 * run before its order detection), TEST()s as written.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 180

#define MiB (1024 * 1024)

static char t_dir[64], t_conf[96], t_script[PATH_MAX + 32];
static bool t_cluster_up;

static long long t_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/*
 * What a case started: a case that fails half way returns at once (the
 * harness's ASSERT), so main() ends what is left at exit. Shared with the
 * harness's forked cases.
 */
#define T_SLOTS 8
static struct t_slot {
	pid_t pid;
	char name[64];		/* the device of a daemon, or empty for fio */
} *t_slots;

static void t_track(pid_t pid, const char *name)
{
	unsigned int i;

	for (i = 0; i < T_SLOTS; i++)
		if (!t_slots[i].pid) {
			snprintf(t_slots[i].name, sizeof(t_slots[i].name), "%s", name);
			__atomic_store_n(&t_slots[i].pid, pid, __ATOMIC_RELEASE);
			return;
		}
}

static void t_untrack(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < T_SLOTS; i++)
		if (t_slots[i].pid == pid)
			t_slots[i].pid = 0;
}

/* A device left behind: off the bus, and its VDUSE device destroyed. */
static void t_remove(const char *name)
{
	int fd;

	run("vdpa dev del %s 2>/dev/null", name);
	fd = open("/dev/vduse/control", O_RDWR);
	if (fd >= 0) {
		ioctl(fd, VDUSE_DESTROY_DEV, name);
		close(fd);
	}
}

/* ceph-cluster is installed with the rbd collection, next to this one. */
static void t_find_script(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(t_script, sizeof(t_script), "%s/../rbd/ceph-cluster", self);
}

/*
 * The cluster's configuration with @extra added for the client (librbd's
 * cache, the op timeout), as @name in the cluster's directory.
 */
static int t_conf_with(char *path, size_t len, const char *name, const char *extra)
{
	snprintf(path, len, "%s/%s.conf", t_dir, name);
	return run("cp %s %s && printf '[client]\\n%s' >>%s", t_conf, path, extra, path);
}

/* The pid of the cluster's daemon @who ("osd.0", "mon.a"), or -1. */
static pid_t t_pid(const char *who)
{
	char path[128], buf[16] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/run/%s.pid", t_dir, who);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	read_all(fd, buf, sizeof(buf));
	close(fd);
	return atoi(buf) > 0 ? atoi(buf) : -1;
}

/* How t_start() brings the disk up: uvdpad --attach, vdpa dev add, or --reconnect. */
enum t_how { T_ATTACH, T_VDPA_ADD, T_RECONNECT };

/*
 * uvdpad serving image rbd/@image as device ksft-rbd-@image with @conf,
 * brought up as @how says; the disk in d->disk and @dev (not for a
 * reconnect: the disk stays what it was). 0 or -1.
 */
static int t_start(struct __test_metadata *_metadata, struct daemon *d, const char *image,
		   const char *conf, enum t_how how, char *dev, size_t devlen)
{
	char spec[64], name[64], why[1024];
	const char *args[11] = { "blk", "--name", name, "--rbd", spec, "--ceph-conf", conf };
	unsigned int n = 7;
	int ret;

	if (how != T_VDPA_ADD)
		args[n++] = how == T_ATTACH ? "--attach" : "--reconnect";
	if (getenv("T_VERBOSE"))
		args[n++] = "-v";

	if (!t_cluster_up || kill(t_pid("mon.a"), 0)) {
		TH_LOG("no cluster: %s start %s failed, or a case that ends it ran before this one",
		       t_script, t_dir);
		return -1;
	}
	snprintf(name, sizeof(name), "ksft-rbd-%s", image);
	snprintf(spec, sizeof(spec), "rbd/%s", image);
	ret = daemon_start(d, name, args, why, sizeof(why));
	if (d->pid > 0)
		t_track(d->pid, name);
	if (ret) {
		TH_LOG("uvdpad did not get ready: %s", why);
		return ret;
	}
	if (how == T_VDPA_ADD && run("vdpa dev add name %s mgmtdev vduse", name)) {
		TH_LOG("vdpa dev add name %s mgmtdev vduse failed", name);
		return -1;
	}
	return how == T_RECONNECT ? 0 : daemon_find_disk(d, dev, devlen);
}

/* Stop the daemon with @sig: its exit status, as daemon_stop(). */
static int t_stop(struct daemon *d, int sig)
{
	pid_t pid = d->pid;
	int ret = daemon_stop(d, sig);
	char err[2048] = "";

	if (!d->pid)
		t_untrack(pid);
	/* What uvdpad said, when it did not end as told. */
	if (ret && sig != SIGKILL && !d->pid) {
		read_all(d->err, err, sizeof(err));
		fprintf(stderr, "# uvdpad %s exited %d: %s\n", d->name, ret, err);
	}
	daemon_close(d);
	return ret;
}

/*
 * fio in the background on @dev with @job's options: random writes, then
 * a crc32c verify pass that fails fio at the first bad block.
 */
static pid_t t_fio(const char *dev, const char *job)
{
	char cmd[512];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec fio --name=bg --filename=%s --ioengine=io_uring "
		 "--direct=1 --rw=randwrite --bs=4k --verify=crc32c --do_verify=1 "
		 "--verify_fatal=1 --output=/dev/null %s >/dev/null 2>&1", dev, job);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, NULL);
		_exit(127);
	}
	if (pid > 0)
		t_track(pid, "");
	return pid;
}

/* fio's exit status, at most @ms from now; -1 if it ran longer (then it is killed). */
static int t_fio_wait(pid_t pid, int ms)
{
	int status = -1;

	if (wait_exit(pid, ms, &status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	t_untrack(pid);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* @len bytes at @off of @path, O_DIRECT: 0 or -errno. */
static int t_pio(const char *path, bool write, off_t off, void *buf, size_t len)
{
	int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* A flush of the whole disk, as a filesystem's commit sends it. */
static int t_flush(const char *dev)
{
	int fd = open(dev, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = fsync(fd) ? -errno : 0;
	close(fd);
	return ret;
}

/* BLKDISCARD or BLKZEROOUT of @len bytes at @off, as blkdiscard does (without its start). */
static int t_range(const char *dev, unsigned long op, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	int fd = open(dev, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, op, range) ? -errno : 0;
	close(fd);
	return ret;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static long long t_stat(const char *disk, unsigned int field)
{
	char path[96], buf[256] = "", *p = buf;
	unsigned int i;
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", disk);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	read_all(fd, buf, sizeof(buf));
	close(fd);
	for (i = 0; i < field; i++)
		strtoll(p, &p, 10);
	return strtoll(p, NULL, 10);
}

/* /sys/block/DISK/stat's fields: writes completed, requests in flight. */
#define STAT_WRITES 4
#define STAT_INFLIGHT 8

/* Until the disk completed @n more writes than @since (bounded): true, or false. */
static bool t_wait_writes(const char *disk, long long since, long long n, int ms)
{
	long long end = t_now_ms() + ms;

	while (t_stat(disk, STAT_WRITES) < since + n)
		if (t_now_ms() > end || usleep(5000))
			return false;
	return true;
}

/* Until the guest's disk has @bytes (bounded: a config interrupt is asynchronous). */
static long long t_wait_size(const char *disk, long long bytes, int ms)
{
	long long end = t_now_ms() + ms;

	while (sysfs_ll("/sys/block/%s/size", disk) != bytes / 512 && t_now_ms() < end)
		usleep(20 * 1000);
	return sysfs_ll("/sys/block/%s/size", disk) * 512;
}

/*
 * Another client of the cluster (the test, through librbd; the rbd command
 * costs seconds in the VM): resize image @name, or read @len bytes of it.
 * Made and shut down each time, as librados's threads do not survive the
 * harness's forks.
 */
static int t_image(const char *name, uint64_t resize, void *buf, size_t len)
{
	rados_ioctx_t io;
	rbd_image_t img;
	rados_t c;
	ssize_t n;
	int ret;

	ret = rados_create(&c, NULL);
	if (ret)
		return ret;
	ret = rados_conf_read_file(c, t_conf);
	if (!ret)
		ret = rados_connect(c);
	if (!ret)
		ret = rados_ioctx_create(c, "rbd", &io);
	if (ret)
		goto out;
	/* Reading needs no lock: the daemon keeps the image's while it serves. */
	ret = resize ? rbd_open(io, name, &img, NULL) : rbd_open_read_only(io, name, &img, NULL);
	if (!ret) {
		if (resize) {
			ret = rbd_resize(img, resize);
		} else {
			n = rbd_read(img, 0, len, buf);
			ret = n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
		}
		rbd_close(img);
	}
	rados_ioctx_destroy(io);
out:
	rados_shutdown(c);
	return ret;
}

static long long t_mark;

/* How long a part of a case took, for keeping make check short. */
static void t_took(const char *what)
{
	long long now = t_now_ms();

	ksft_print_msg("%s: %.1f s\n", what, (now - t_mark) / 1000.0);
	t_mark = now;
}

/*
 * A disk attached with vdpa dev add. What the guest writes, discards and
 * zeroes is in the image once it flushes, as another client reads it:
 * librbd's cache holds writes back for up to a minute here, only the flush
 * can have put them there. Then ext4 on it, clean for e2fsck.
 */
TEST(vdpa_dev_add_flush_discard_write_zeroes_ext4)
{
	static uint8_t want[4 * MiB] __attribute__((aligned(4096))), got[4 * MiB];
	static const uint8_t zero[MiB];
	struct daemon d = { 0 };
	char dev[64], conf[128];

	t_mark = t_now_ms();
	ASSERT_EQ(0, t_conf_with(conf, sizeof(conf), "writeback",
				 "rbd cache policy = writeback\\n"
				 "rbd cache writethrough until flush = false\\n"
				 "rbd cache max dirty age = 60\\n"));
	ASSERT_EQ(0, t_start(_metadata, &d, "b", conf, T_VDPA_ADD, dev, sizeof(dev)));
	EXPECT_EQ(8 * MiB / 512, sysfs_ll("/sys/block/%s/size", d.disk));
	fill(want, sizeof(want), 3);
	ASSERT_EQ(0, t_pio(dev, true, 0, want, sizeof(want)));
	ASSERT_EQ(0, t_flush(dev));
	EXPECT_EQ(0, t_range(dev, BLKDISCARD, MiB, MiB));
	EXPECT_EQ(0, t_range(dev, BLKZEROOUT, 2 * MiB, MiB));
	ASSERT_EQ(0, t_flush(dev));
	EXPECT_LE(1, ctl_model_stat(d.name, "discards"));
	EXPECT_LE(1, ctl_model_stat(d.name, "write_zeroes"));

	ASSERT_EQ(0, t_image("b", 0, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(want, got, MiB)) TH_LOG("the write before the flush is not in the image");
	EXPECT_EQ(0, memcmp(zero, got + MiB, MiB)) TH_LOG("the discarded range is not zero");
	EXPECT_EQ(0, memcmp(zero, got + 2 * MiB, MiB)) TH_LOG("the zeroed range is not zero");
	EXPECT_EQ(0, memcmp(want + 3 * MiB, got + 3 * MiB, MiB));
	/* And as the guest reads it, past its page cache. */
	ASSERT_EQ(0, t_pio(dev, false, MiB, want, 2 * MiB));
	EXPECT_EQ(0, memcmp(zero, want, MiB));
	EXPECT_EQ(0, memcmp(zero, want + MiB, MiB));
	t_took("b: write, flush, discard, write-zeroes, read by another client");

	ASSERT_EQ(0, run("mkfs.ext4 -q -F -E nodiscard %s >/dev/null 2>&1", dev));
	ASSERT_EQ(0, run("mkdir -p %s/mnt && mount %s %s/mnt", t_dir, dev, t_dir));
	EXPECT_EQ(0, run("head -c 1M /dev/urandom >%s/mnt/f && sync", t_dir));
	ASSERT_EQ(0, run("umount %s/mnt", t_dir));
	EXPECT_EQ(0, run("e2fsck -fn %s >/dev/null 2>&1", dev));
	EXPECT_EQ(0, t_stop(&d, SIGTERM));
	t_took("b: ext4, e2fsck clean, stopped");
}

/*
 * An unknown pool or image: one line that names it, exit 1, no device left.
 * Both at once: each costs a daemon's start and a cluster connection.
 */
TEST(bad_pool_or_image_exits_1)
{
	static const char *const cases[][3] = {
		{ "ksft-rbd-bad0", "nopool/disk", "pool 'nopool' does not exist" },
		{ "ksft-rbd-bad1", "rbd/nope", "image 'nope' does not exist in pool 'rbd'" },
	};
	struct daemon d[ARRAY_SIZE(cases)] = { 0 };
	unsigned int i;

	t_mark = t_now_ms();
	ASSERT_TRUE(t_cluster_up);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, daemon_spawn(&d[i], cases[i][0], "blk", "--name", cases[i][0],
					  "--rbd", cases[i][1], "--ceph-conf", t_conf, "--attach",
					  NULL));
		t_track(d[i].pid, cases[i][0]);
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char err[1024] = "";
		int status = -1;

		ASSERT_EQ(0, wait_exit(d[i].pid, 60000, &status));
		t_untrack(d[i].pid);
		d[i].pid = 0;
		read_all(d[i].err, err, sizeof(err));
		daemon_close(&d[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) TH_LOG("%s", err);
		EXPECT_NE(NULL, strstr(err, cases[i][2])) TH_LOG("%s", err);
		EXPECT_EQ(err + strlen(err) - 1, strchr(err, '\n')) TH_LOG("not one line: %s", err);
		EXPECT_FALSE(path_exists("/dev/vduse/%s", cases[i][0]));
	}
	t_took("bad pool, bad image");
}

/*
 * Last, as it ends the cluster. One disk (image "a", librbd's cache as
 * uvdpad sets it) through fio crc32c verify at 4k and 64k, QD1 and QD32;
 * the OSD frozen under fio verify; rbd resize while it serves; kill -9
 * under fio verify, the image resized while no daemon runs, uvdpad
 * --reconnect: no write the guest saw completed is lost, and the guest
 * sees the new size. The new daemon has an op timeout of 3 s: with monitor
 * and OSD killed, a write fails with EIO within it, and the daemon lives on
 * and stops when told.
 */
#define OP_TIMEOUT_S 3
TEST(fio_frozen_osd_resize_kill9_reconnect_cluster_killed)
{
	static uint8_t want[MiB] __attribute__((aligned(4096))), got[MiB]
		__attribute__((aligned(4096)));
	long long before, during, inflight;
	struct daemon d = { 0 };
	pid_t fio, osd = t_pid("osd.0");
	char dev[64], disk[32], conf[128];
	long long t0, took;
	pid_t mon;

	t_mark = t_now_ms();
	ASSERT_EQ(0, t_start(_metadata, &d, "a", t_conf, T_ATTACH, dev, sizeof(dev)));
	snprintf(disk, sizeof(disk), "%s", d.disk);
	EXPECT_EQ(16 * MiB / 512, sysfs_ll("/sys/block/%s/size", disk));
	t_took("a: attached");

	/* One job after another (stonewall) in one fio, whose start costs seconds. */
	EXPECT_EQ(0, run("fio --ioengine=io_uring --direct=1 --rw=randwrite --verify=crc32c "
			 "--do_verify=1 --verify_fatal=1 --output=/dev/null --filename=%s "
			 "--name=qd1_4k --bs=4k --iodepth=1 --size=128k --offset=0 "
			 "--name=qd1_64k --stonewall --bs=64k --iodepth=1 --size=512k --offset=1M "
			 "--name=qd32_64k --stonewall --bs=64k --iodepth=32 --size=1M --offset=2M",
			 dev));
	t_took("a: fio verify 4k/64k QD1, 64k QD32");

	/*
	 * 4k QD32 with the OSD frozen for 1.5 s once its writes flow: what was
	 * on its way completes, then nothing does while requests wait; after
	 * the thaw fio carries on and every block verifies.
	 */
	ASSERT_LT(0, osd);
	before = t_stat(disk, STAT_WRITES);
	fio = t_fio(dev, "--iodepth=32 --size=512k --offset=4M");
	ASSERT_LT(0, fio);
	ASSERT_TRUE(t_wait_writes(disk, before, 32, 30000));
	ASSERT_EQ(0, kill(osd, SIGSTOP));
	usleep(300 * 1000);
	during = t_stat(disk, STAT_WRITES);
	usleep(1500 * 1000);
	inflight = t_stat(disk, STAT_INFLIGHT);
	EXPECT_EQ(during, t_stat(disk, STAT_WRITES)) TH_LOG("writes completed, OSD frozen");
	ASSERT_EQ(0, kill(osd, SIGCONT));
	EXPECT_LT(0, inflight);
	EXPECT_EQ(0, t_fio_wait(fio, 90000)) TH_LOG("fio verify after the OSD's thaw");
	EXPECT_LT(during, t_stat(disk, STAT_WRITES));
	t_took("a: 4k QD32 verify, OSD frozen 1.5 s");

	/* rbd resize by another client while the daemon serves: the guest can use the new end. */
	ASSERT_EQ(0, t_image("a", 20 * MiB, NULL, 0));
	ASSERT_EQ(20 * MiB, t_wait_size(disk, 20 * MiB, 20000));
	fill(want, sizeof(want), 5);
	ASSERT_EQ(0, t_pio(dev, true, 19 * MiB, want, sizeof(want)));
	ASSERT_EQ(0, t_pio(dev, false, 19 * MiB, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(want, got, sizeof(got)));
	t_took("a: resized to 20 MiB, seen by the guest");

	/*
	 * kill -9 under 4k QD32 write+verify. The flush first: until a client
	 * flushes, librbd writes through whatever its cache policy; after
	 * it, its default policy would complete writes the OSD does not have.
	 */
	ASSERT_EQ(0, t_flush(dev));
	before = t_stat(disk, STAT_WRITES);
	fio = t_fio(dev, "--iodepth=32 --size=1M --offset=8M");
	ASSERT_LT(0, fio);
	ASSERT_TRUE(t_wait_writes(disk, before, 48, 30000));
	ASSERT_EQ(-1, t_stop(&d, SIGKILL));
	/* Grown while no daemon runs (after the dead daemon's lock times out: osd client watch timeout). */
	ASSERT_EQ(0, t_image("a", 24 * MiB, NULL, 0));
	ASSERT_EQ(0, t_conf_with(conf, sizeof(conf), "timeout", "rados osd op timeout = 3\\n"));
	ASSERT_EQ(0, t_start(_metadata, &d, "a", conf, T_RECONNECT, NULL, 0));
	t_took("a: kill -9 under fio verify, resized to 24 MiB, --reconnect ready");
	EXPECT_EQ(0, t_fio_wait(fio, 90000)) TH_LOG("fio verify across kill -9 + --reconnect");
	EXPECT_EQ(24 * MiB, t_wait_size(disk, 24 * MiB, 20000));
	t_took("a: fio verify done, new size seen");

	/* Never kill(-1): that is every process. */
	ASSERT_LT(0, mon = t_pid("mon.a"));
	ASSERT_EQ(0, kill(osd, SIGKILL));
	ASSERT_EQ(0, kill(mon, SIGKILL));
	t0 = t_now_ms();
	EXPECT_EQ(-EIO, t_pio(dev, true, MiB, want, 4096));
	took = t_now_ms() - t0;
	EXPECT_LE(OP_TIMEOUT_S * 1000 - 500, took);
	EXPECT_GE((OP_TIMEOUT_S + 10) * 1000, took);
	EXPECT_EQ(0, kill(d.pid, 0)) TH_LOG("the daemon died with the cluster");
	EXPECT_EQ(0, t_stop(&d, SIGTERM));
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-rbd-a"));
	t_took("a: cluster killed, EIO, stopped");
}

/* The cases' images, made at once: each rbd command costs seconds in the test VM. */
static const struct {
	const char *name;
	uint64_t size;
} t_images[] = {
	{ "a", 16 * MiB }, { "b", 8 * MiB },
};

/* Before any case forks: librados's threads do not survive a fork, so it is shut down. */
static int t_make_images(void)
{
	rados_ioctx_t io;
	unsigned int i;
	rados_t c;
	int ret, order = 0;

	ret = rados_create(&c, NULL);
	if (ret)
		return ret;
	ret = rados_conf_read_file(c, t_conf);
	if (!ret)
		ret = rados_connect(c);
	if (!ret)
		ret = rados_ioctx_create(c, "rbd", &io);
	if (!ret) {
		for (i = 0; !ret && i < ARRAY_SIZE(t_images); i++)
			ret = rbd_create(io, t_images[i].name, t_images[i].size, &order);
		rados_ioctx_destroy(io);
	}
	rados_shutdown(c);
	return ret;
}

static pid_t t_main;
static long long t0;

/*
 * test_harness_run() exit()s: what failed cases left, then the cluster, go
 * at the main process's exit.
 */
static void t_cluster_stop(void)
{
	unsigned int i;

	if (getpid() != t_main)
		return;
	for (i = 0; i < T_SLOTS; i++) {
		if (!t_slots[i].pid)
			continue;
		kill(t_slots[i].pid, SIGKILL);
		if (t_slots[i].name[0])
			t_remove(t_slots[i].name);
	}
	run("%s stop %s", t_script, t_dir);
	printf("# rbd_test: %.1f s in all\n", (t_now_ms() - t0) / 1000.0);
}

int main(int argc, char **argv)
{
	long long ready;

	t0 = t_now_ms();
	t_main = getpid();
	t_slots = mmap(NULL, T_SLOTS * sizeof(*t_slots), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t_slots == MAP_FAILED)
		return KSFT_FAIL;
	t_find_script();
	snprintf(t_dir, sizeof(t_dir), "/tmp/uvdpa-rbd-vm-%d", getpid());
	snprintf(t_conf, sizeof(t_conf), "%s/ceph.conf", t_dir);
	atexit(t_cluster_stop);
	t_cluster_up = !run("%s start %s >/dev/null", t_script, t_dir) && !t_make_images();
	ready = t_now_ms();
	/* The guest's time, for keeping make check short. */
	printf("# rbd_test: cluster %s in %.1f s\n", t_cluster_up ? "ready" : "FAILED",
	       (ready - t0) / 1000.0);
	fflush(stdout);
	return test_harness_run(argc, argv);
}
