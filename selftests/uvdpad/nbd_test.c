// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad blk --nbd end to end: a disk on qemu-nbd's export of a raw file
 * (a unix socket on the VM's loopback), attached to virtio_vdpa. What the
 * guest writes through /dev/vdX is in the export's file; a write made while
 * the server is down completes once it is back. Small on purpose (MiBs):
 * the test VM is TCG.
 */
#include <linux/vduse.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"

#define MiB (1024 * 1024)
#define CHUNK (256 * 1024)

FIXTURE(nbd) {
	struct daemon d;
	char dir[64], sock[96], img[96], pidfile[96], uri[160], dev[64];
	pid_t server;
};

/* qemu-nbd --fork returns once it listens: no polling for its socket. */
static pid_t t_server_start(FIXTURE_DATA(nbd) *self)
{
	char pid[16] = "";
	int fd;

	if (run("qemu-nbd --fork --pid-file=%s -k %s -f raw -x exp -t %s", self->pidfile,
		self->sock, self->img))
		return -1;
	fd = open(self->pidfile, O_RDONLY);
	if (fd < 0)
		return -1;
	read_all(fd, pid, sizeof(pid));
	close(fd);
	return atoi(pid);
}

/* SIGKILL, and wait (bounded) until it is gone: it is no child of ours, so a pidfd. */
static int t_server_kill(pid_t *pid)
{
	struct pollfd p = { .events = POLLIN };
	int ret;

	if (*pid <= 0)
		return 0;
	p.fd = syscall(SYS_pidfd_open, *pid, 0);
	kill(*pid, SIGKILL);
	*pid = 0;
	if (p.fd < 0)
		return errno == ESRCH ? 0 : -1;
	ret = poll(&p, 1, 10000);
	close(p.fd);
	return ret == 1 ? 0 : -1;
}

FIXTURE_SETUP(nbd)
{
	const char *args[] = { "blk", "--name", self->d.name, "--nbd", self->uri, "--attach", NULL };
	int fd;

	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-nbd-%d", getpid());
	snprintf(self->sock, sizeof(self->sock), "%s/sock", self->dir);
	snprintf(self->img, sizeof(self->img), "%s/disk.raw", self->dir);
	snprintf(self->pidfile, sizeof(self->pidfile), "%s/pid", self->dir);
	snprintf(self->uri, sizeof(self->uri), "nbd+unix:///exp?socket=%s", self->sock);
	snprintf(self->d.name, sizeof(self->d.name), "ksft-nbd%d", getpid());
	self->server = 0;
	ASSERT_EQ(0, mkdir(self->dir, 0700));
	fd = open(self->img, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 8 * MiB));
	close(fd);
	self->server = t_server_start(self);
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, START_BLK(&self->d, args, self->dev));
}

FIXTURE_TEARDOWN(nbd)
{
	int fd;

	/* The server first would leave the daemon's last requests waiting for it. */
	if (self->d.pid)
		daemon_stop(&self->d, SIGTERM);
	daemon_close(&self->d);
	t_server_kill(&self->server);
	run("vdpa dev del %s 2>/dev/null", self->d.name);
	fd = open("/dev/vduse/control", O_RDWR);
	if (fd >= 0) {
		ioctl(fd, VDUSE_DESTROY_DEV, self->d.name);
		close(fd);
	}
	run("rm -rf %s", self->dir);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* @len bytes at @off of @path (O_DIRECT for the disk: past the guest's page cache). */
static int t_pio(const char *path, bool write, bool direct, off_t off, void *buf, size_t len)
{
	int fd = open(path, (write ? O_WRONLY : O_RDONLY) | (direct ? O_DIRECT : 0));
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n == (ssize_t)len && write && fsync(fd))
		n = -1;
	close(fd);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* Writes in flight on @disk, from the block layer's count. */
static long long t_writes_in_flight(const char *disk)
{
	char path[96], buf[64] = "";
	long long r = -1, w = -1;
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s/inflight", disk);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	read_all(fd, buf, sizeof(buf));
	close(fd);
	return sscanf(buf, "%lld %lld", &r, &w) == 2 ? w : -1;
}

TEST_F(nbd, writes_reach_the_export)
{
	uint8_t *want = NULL, *got = NULL;

	ASSERT_EQ(0, posix_memalign((void **)&want, 4096, MiB));
	ASSERT_EQ(0, posix_memalign((void **)&got, 4096, MiB));
	EXPECT_EQ(8 * MiB / 512, sysfs_ll("/sys/block/%s/size", self->d.disk));
	fill(want, MiB, 1);
	ASSERT_EQ(0, t_pio(self->dev, true, true, 3 * MiB, want, MiB));
	ASSERT_EQ(0, t_pio(self->dev, false, true, 3 * MiB, got, MiB));
	EXPECT_EQ(0, memcmp(want, got, MiB));
	/* On the server's side, in its file: the data went over NBD, not into a cache. */
	memset(got, 0, MiB);
	ASSERT_EQ(0, t_pio(self->img, false, false, 3 * MiB, got, MiB));
	EXPECT_EQ(0, memcmp(want, got, MiB));
	free(want);
	free(got);
}

/* A write made while the server is gone waits for it, and completes once it is back. */
TEST_F(nbd, write_survives_a_server_restart)
{
	struct pollfd p = { .events = POLLIN };
	uint8_t *want = NULL, *got = NULL;
	int status = -1, i;
	pid_t writer;

	ASSERT_EQ(0, posix_memalign((void **)&want, 4096, CHUNK));
	ASSERT_EQ(0, posix_memalign((void **)&got, 4096, CHUNK));
	fill(want, CHUNK, 2);
	ASSERT_EQ(0, t_server_kill(&self->server));
	writer = fork();
	ASSERT_LE(0, writer);
	if (writer == 0)
		_exit(t_pio(self->dev, true, true, 5 * MiB, want, CHUNK) ? 1 : 0);
	/* The write is in flight before the server returns (bounded wait for the count). */
	for (i = 0; i < 1000 && t_writes_in_flight(self->d.disk) < 1; i++)
		usleep(10000);
	ASSERT_LE(1, t_writes_in_flight(self->d.disk));
	EXPECT_NE(writer, waitpid(writer, NULL, WNOHANG));
	self->server = t_server_start(self);
	ASSERT_LT(0, self->server);
	p.fd = syscall(SYS_pidfd_open, writer, 0);
	ASSERT_LE(0, p.fd);
	EXPECT_EQ(1, poll(&p, 1, 20000)) TH_LOG("the write did not complete after the restart");
	close(p.fd);
	if (waitpid(writer, &status, WNOHANG) != writer) {
		kill(writer, SIGKILL);
		waitpid(writer, &status, 0);
	}
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(0, t_pio(self->img, false, false, 5 * MiB, got, CHUNK));
	EXPECT_EQ(0, memcmp(want, got, CHUNK));
	free(want);
	free(got);
}

TEST_HARNESS_MAIN
