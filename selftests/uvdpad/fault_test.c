// SPDX-License-Identifier: GPL-2.0
/*
 * Backend faults as the guest sees them: a backing device that fails part
 * of its sectors (device-mapper's error target) and a backing file on a
 * filesystem that runs out of space. Each failed request ends with an I/O
 * error for that request alone, the disk keeps serving the rest, and the
 * daemon's counters (-v, at exit) show the errors.
 */
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"

/* dm table, in 512-byte sectors: zeroes, 8 failing sectors at 4 MiB, zeroes. */
#define ERR_SECTOR 8192
#define DISK_SECTORS 16384

FIXTURE(fault) {
	struct daemon d;
	char dm[64];
	char mnt[64];
	char dev[64];
	bool dm_made;
	bool mounted;
};

FIXTURE_SETUP(fault)
{
	snprintf(self->d.name, sizeof(self->d.name), "ksft-fault%d", getpid());
	snprintf(self->dm, sizeof(self->dm), "uvdpa-err%d", getpid());
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/uvdpa-full-%d", getpid());
	self->dm_made = false;
	self->mounted = false;
}

FIXTURE_TEARDOWN(fault)
{
	daemon_close(&self->d);
	if (self->dm_made)
		run("dmsetup remove --noudevsync %s", self->dm);
	if (self->mounted)
		umount(self->mnt);
	rmdir(self->mnt);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
		 const char *file, const char *size, const char *opt)
{
	const char *args[16] = { "blk", "--name", self->d.name, "--file", file,
				 "--attach", "-v" };
	int n = 7;

	if (size) {
		args[n++] = "--size";
		args[n++] = size;
	}
	if (opt)
		args[n++] = opt;
	args[n] = NULL;
	return START_BLK(&self->d, args, self->dev);
}

/* Stop the daemon and return the io_errors count it printed, or -1. */
static long long stop_and_count(struct __test_metadata *_metadata,
				FIXTURE_DATA(fault) *self)
{
	char err[8192];
	const char *p;

	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	read_all(self->d.err, err, sizeof(err));
	p = strstr(err, " io_errors=");
	if (!p) {
		TH_LOG("no counters in: %s", err);
		return -1;
	}
	return atoll(p + strlen(" io_errors="));
}

static int dd(const char *flags, const char *dev, unsigned long long sector)
{
	if (!strcmp(flags, "read"))
		return run("dd if=%s of=/dev/null bs=4k count=1 skip=%llu iflag=direct "
			   "status=none 2>/dev/null", dev, sector / 8);
	return run("dd if=/dev/zero of=%s bs=4k count=1 seek=%llu oflag=direct "
		   "status=none 2>/dev/null", dev, sector / 8);
}

TEST_F_TIMEOUT(fault, dm_error_target, 120)
{
	char blkdev[64], path[160];
	FILE *f;

	if (run("command -v dmsetup >/dev/null") || run("modprobe dm-mod"))
		SKIP(return, "no dmsetup or no dm-mod module (apt-get install dmsetup)");
	ASSERT_EQ(0, run("printf '0 %d zero\\n%d 8 error\\n%d %d zero\\n' | "
			 "dmsetup create --noudevsync %s", ERR_SECTOR, ERR_SECTOR,
			 ERR_SECTOR + 8, DISK_SECTORS - ERR_SECTOR - 8, self->dm));
	self->dm_made = true;
	/* Without udev there is no /dev/mapper link: find the dm-N node. */
	snprintf(path, sizeof(path), "dmsetup info -c --noheadings -o blkdevname %s", self->dm);
	f = popen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%63s", blkdev));
	pclose(f);
	snprintf(path, sizeof(path), "/dev/%s", blkdev);

	/*
	 * O_DIRECT: a buffered write would land in the page cache and its
	 * error come with the next FLUSH instead.
	 */
	ASSERT_EQ(0, start(_metadata, self, path, NULL, "--direct"));
	EXPECT_EQ(0, dd("read", self->dev, 0));
	EXPECT_NE(0, dd("read", self->dev, ERR_SECTOR));
	EXPECT_NE(0, dd("write", self->dev, ERR_SECTOR));
	/* Only those requests failed: the sectors around still work. */
	EXPECT_EQ(0, dd("read", self->dev, ERR_SECTOR - 8));
	EXPECT_EQ(0, dd("write", self->dev, ERR_SECTOR + 8));
	EXPECT_EQ(0, run("fio --name=after --filename=%s --ioengine=io_uring --direct=1 "
			 "--rw=randrw --bs=4k --iodepth=8 --size=2M --output=/dev/null",
			 self->dev));
	/* Counted per failed request; the kernel retries nothing on a virtio disk. */
	EXPECT_EQ(2, stop_and_count(_metadata, self));
}

TEST_F_TIMEOUT(fault, backing_filesystem_full, 120)
{
	char img[96];

	ASSERT_EQ(0, mkdir(self->mnt, 0700));
	ASSERT_EQ(0, mount("tmpfs", self->mnt, "tmpfs", 0, "size=2m"));
	self->mounted = true;
	snprintf(img, sizeof(img), "%s/disk.img", self->mnt);
	/* A sparse 64 MiB file on a 2 MiB filesystem. */
	ASSERT_EQ(0, start(_metadata, self, img, "64M", NULL));
	EXPECT_NE(0, run("dd if=/dev/zero of=%s bs=1M count=4 oflag=direct status=none "
			 "2>/dev/null", self->dev));
	/* What fitted reads back; reading never needs space. */
	EXPECT_EQ(0, dd("read", self->dev, 0));
	EXPECT_EQ(0, dd("read", self->dev, 60000));
	/* Space already allocated can be overwritten. */
	EXPECT_EQ(0, dd("write", self->dev, 0));
	EXPECT_LE(1, stop_and_count(_metadata, self));
}

TEST_HARNESS_MAIN
