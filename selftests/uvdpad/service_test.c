// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad run the way uvdpad@.service runs it: from a configuration file,
 * with --reconnect=auto, NOTIFY_SOCKET on a socket this test reads and a
 * watchdog. READY=1 comes once the device is attached; a kill -9 under fio
 * verify and the restart systemd would do lose nothing; a stop leaves
 * nothing; a worker or the VDUSE control thread made to hang (stopped
 * with ptrace) stops the keep-alives until it answers again. Every wait
 * is for a message, a counter or an exit, each bounded.
 */
#include <linux/vduse.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"
#include "vduse/vdpa_bus.h"

/* WatchdogSec=1s: a probe, and a keep-alive, every 500 ms. */
#define WATCHDOG_USEC "1000000"
/* Bounds for what takes well under a second on an idle machine, so that a loaded one passes too. */
#define MSG_TIMEOUT_MS 60000
#define FIO_TIMEOUT_MS 120000

FIXTURE(svc) {
	struct daemon d;
	char dir[64];
	char conf[256];
	char img[256];
	char disk[32];
	char dev[64];
	struct sockaddr_un addr;
	int nfd;
	pid_t fio;
};

FIXTURE_SETUP(svc)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-svc.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->d.name, sizeof(self->d.name), "ksft-svc%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/%s.conf", self->dir, self->d.name);
	snprintf(self->img, sizeof(self->img), "%s/disk.img", self->dir);
	self->addr.sun_family = AF_UNIX;
	snprintf(self->addr.sun_path, sizeof(self->addr.sun_path), "%s/notify", self->dir);
	self->nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->nfd);
	ASSERT_EQ(0, bind(self->nfd, (struct sockaddr *)&self->addr, sizeof(self->addr)));
	/* What systemd gives a Type=notify unit with WatchdogSec=1s. */
	ASSERT_EQ(0, setenv("NOTIFY_SOCKET", self->addr.sun_path, 1));
	ASSERT_EQ(0, setenv("WATCHDOG_USEC", WATCHDOG_USEC, 1));
	self->fio = 0;
}

FIXTURE_TEARDOWN(svc)
{
	char name[64];
	int fd, status;

	snprintf(name, sizeof(name), "%s", self->d.name);
	/* fio waits for a dead daemon's requests: the device goes first, then fio can end. */
	if (self->d.pid)
		daemon_stop(&self->d, SIGTERM);
	daemon_close(&self->d);
	run("vdpa dev del %s 2>/dev/null", name);
	fd = open("/dev/vduse/control", O_RDWR);
	if (fd >= 0) {
		ioctl(fd, VDUSE_DESTROY_DEV, name);
		close(fd);
	}
	if (self->fio > 0) {
		kill(-self->fio, SIGKILL);
		wait_exit(self->fio, FIO_TIMEOUT_MS, &status);
	}
	run("rm -f /run/uvdpa/%s.state /run/uvdpa/%s.sock", name, name);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	close(self->nfd);
	run("rm -rf %s", self->dir);
}

static int write_conf(FIXTURE_DATA(svc) *self, const char *text)
{
	FILE *f = fopen(self->conf, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* The next message within @ms (0: only one already there): 0, or -ETIMEDOUT. */
static int next_msg(int fd, int ms, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	n = recv(fd, buf, len - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Read messages until one starts with @prefix (it is left in @buf): 0, or -ETIMEDOUT. */
static int wait_msg(int fd, const char *prefix, char *buf, size_t len)
{
	long long end = now_ms() + MSG_TIMEOUT_MS;

	while (now_ms() < end) {
		if (next_msg(fd, end - now_ms(), buf, len))
			return -ETIMEDOUT;
		if (!strncmp(buf, prefix, strlen(prefix)))
			return 0;
	}
	return -ETIMEDOUT;
}

/* uvdpad --config CONF --reconnect=auto, as the unit's ExecStart=. */
static int start_unit(FIXTURE_DATA(svc) *self)
{
	char name[64];

	snprintf(name, sizeof(name), "%s", self->d.name);
	return daemon_spawn(&self->d, name, "--config", self->conf, "--reconnect=auto", NULL);
}

/* Wait (bounded) until the disk completed @n more requests than @since. */
static bool wait_ios(const char *disk, long long since, long long n)
{
	struct pollfd none = { .fd = -1 };
	long long end = now_ms() + MSG_TIMEOUT_MS;

	while (disk_ios(disk) < since + n) {
		if (now_ms() > end)
			return false;
		/* A counter in sysfs cannot be waited for: look again every 2 ms. */
		poll(&none, 0, 2);
	}
	return true;
}

/*
 * One fio write+verify of 4 MiB per queue, 4k at random, crc32c checked
 * when read back: a write acknowledged and then lost fails it.
 */
static pid_t start_fio(const char *dev)
{
	pid_t pid = fork();

	/* Its own process group, for the teardown to end fio with its shell. */
	if (pid) {
		setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	_exit(run("fio --name=v --filename=%s --ioengine=io_uring --direct=1 --rw=randwrite "
		  "--bs=4k --iodepth=16 --size=4M --numjobs=2 --offset_increment=4M "
		  "--verify=crc32c --do_verify=1 --verify_fatal=1 --output=/dev/null", dev));
}

/*
 * Wait (bounded) for fio to end, reading the daemon's messages meanwhile,
 * as systemd does: a socket nobody reads fills up (ten datagrams), and the
 * daemon's next sd_notify() blocks until it is read.
 */
static int wait_fio(FIXTURE_DATA(svc) *self, int *status)
{
	struct pollfd p[2] = { { .events = POLLIN }, { .fd = self->nfd, .events = POLLIN } };
	long long end = now_ms() + FIO_TIMEOUT_MS;
	char msg[512];
	int ret = -ETIMEDOUT;

	p[0].fd = pidfd_open(self->fio, 0);
	if (p[0].fd < 0)
		return -errno;
	while (now_ms() < end && poll(p, 2, end - now_ms()) > 0) {
		if (p[1].revents)
			next_msg(self->nfd, 0, msg, sizeof(msg));
		if (p[0].revents) {
			ret = waitpid(self->fio, status, 0) == self->fio ? 0 : -errno;
			break;
		}
	}
	close(p[0].fd);
	return ret;
}

static void expect_nothing_left(struct __test_metadata *_metadata, const char *name)
{
	EXPECT_FALSE(path_exists("/dev/vduse/%s", name));
	EXPECT_FALSE(path_exists("/sys/bus/vdpa/devices/%s", name));
	EXPECT_FALSE(path_exists("/run/uvdpa/%s.state", name));
	EXPECT_FALSE(path_exists("/run/uvdpa/%s.sock", name));
}

TEST_F_TIMEOUT(svc, ready_crash_restart_stop, 300)
{
	char msg[512], conf[512], name[64], driver[PATH_MAX];
	long long ios, t0 = now_ms(), t1;
	int status;
	ssize_t n;

	snprintf(name, sizeof(name), "%s", self->d.name);
	snprintf(conf, sizeof(conf), "# as an operator writes it\ntype = blk\nfile = %s\n"
		 "size = 16M\nqueues = 2\nattach = virtio\n", self->img);
	ASSERT_EQ(0, write_conf(self, conf));
	ASSERT_EQ(0, start_unit(self));
	ASSERT_EQ(0, wait_msg(self->nfd, "READY=1\n", msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "STATUS=")) TH_LOG("%s", msg);
	/* Ready means attached: on the bus, bound to virtio_vdpa, already. */
	EXPECT_TRUE(path_exists("/dev/vduse/%s", name));
	snprintf(conf, sizeof(conf), "/sys/bus/vdpa/devices/%s/driver", name);
	n = readlink(conf, driver, sizeof(driver) - 1);
	ASSERT_LT(0, n) TH_LOG("not bound to a driver when READY=1 came");
	driver[n] = '\0';
	EXPECT_STREQ("virtio_vdpa", strrchr(driver, '/') + 1);
	ASSERT_EQ(0, wait_msg(self->nfd, "WATCHDOG=1", msg, sizeof(msg)));

	ASSERT_EQ(0, vdpa_bus_blkdev(name, self->disk, sizeof(self->disk)));
	snprintf(self->dev, sizeof(self->dev), "/dev/%s", self->disk);
	ios = disk_ios(self->disk);
	self->fio = start_fio(self->dev);
	ASSERT_LT(0, self->fio);
	ASSERT_TRUE(wait_ios(self->disk, ios, 64));

	/* A crash, then what Restart= runs: the same command line. */
	ASSERT_EQ(-1, daemon_stop(&self->d, SIGKILL));
	daemon_close(&self->d);
	ASSERT_TRUE(path_exists("/run/uvdpa/%s.state", name));
	ASSERT_EQ(0, start_unit(self));
	ASSERT_EQ(0, wait_msg(self->nfd, "READY=1\n", msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "resumed")) TH_LOG("%s", msg);
	t1 = now_ms();
	ASSERT_EQ(0, wait_fio(self, &status))
		TH_LOG("fio did not end: a request lost in the restart?");
	self->fio = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("fio verify failed: status %#x", status);

	/* systemctl stop: SIGTERM, and nothing left. */
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	EXPECT_EQ(0, wait_msg(self->nfd, "STOPPING=1", msg, sizeof(msg)));
	expect_nothing_left(_metadata, name);
	/* For the test's time budget: how long a crash and restart under fio takes here. */
	ksft_print_msg("ready_crash_restart_stop: %lld ms, %lld ms of it from the restart to the stop\n",
		       now_ms() - t0, now_ms() - t1);
}

/* The thread of @pid named @comm: its tid, or -1. */
static pid_t find_thread(pid_t pid, const char *comm)
{
	char path[PATH_MAX], buf[64];
	struct dirent *e;
	pid_t tid = -1;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && tid < 0 && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, e->d_name);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f) && !strncmp(buf, comm, strlen(comm)) &&
		    buf[strlen(comm)] == '\n')
			tid = atoi(e->d_name);
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return tid;
}

/*
 * Stop thread @comm where it is (ptrace), the rest of the daemon running
 * on: the keep-alives stop and STATUS= says @stuck; let it go: the status
 * it had, and keep-alives again.
 */
static void hang_thread(struct __test_metadata *_metadata, FIXTURE_DATA(svc) *self,
			const char *comm, const char *stuck)
{
	char msg[512], ready[512];
	int status, i;
	pid_t tid;

	ASSERT_EQ(0, write_conf(self, "type = blk\nbackend = null\nsize = 16M\nqueues = 2\n"));
	ASSERT_EQ(0, start_unit(self));
	ASSERT_EQ(0, wait_msg(self->nfd, "READY=1\n", ready, sizeof(ready)));
	ASSERT_EQ(0, wait_msg(self->nfd, "WATCHDOG=1", msg, sizeof(msg)));

	tid = find_thread(self->d.pid, comm);
	ASSERT_LT(0, tid) TH_LOG("no thread named %s", comm);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, tid, NULL, NULL));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, tid, NULL, NULL));
	ASSERT_EQ(tid, waitpid(tid, &status, __WALL));

	/* At most the keep-alive for the probe it answered before; then the status, then none. */
	ASSERT_EQ(0, wait_msg(self->nfd, "STATUS=", msg, sizeof(msg)));
	EXPECT_STREQ(stuck, msg);
	/*
	 * No news is what is tested here: three probe periods without a
	 * keep-alive (a live daemon sends one per period).
	 */
	for (i = 0; i < 3; i++)
		if (!next_msg(self->nfd, 500, msg, sizeof(msg)))
			EXPECT_STRNE("WATCHDOG=1", msg);

	ASSERT_EQ(0, ptrace(PTRACE_DETACH, tid, NULL, NULL));
	ASSERT_EQ(0, next_msg(self->nfd, MSG_TIMEOUT_MS, msg, sizeof(msg)));
	EXPECT_STREQ(strstr(ready, "STATUS="), msg);
	ASSERT_EQ(0, next_msg(self->nfd, MSG_TIMEOUT_MS, msg, sizeof(msg)));
	EXPECT_STREQ("WATCHDOG=1", msg);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_F_TIMEOUT(svc, hung_worker_stops_the_watchdog, 180)
{
	hang_thread(_metadata, self, "uvdpa-w1", "STATUS=worker 1 does not answer");
}

/* The thread that answers the kernel's messages (a reset, say) counts too. */
TEST_F_TIMEOUT(svc, hung_control_thread_stops_the_watchdog, 180)
{
	hang_thread(_metadata, self, "uvdpa-vduse",
		    "STATUS=the VDUSE control thread does not answer");
}

/* Without NOTIFY_SOCKET (by hand, in a shell) the daemon runs as it always did. */
TEST_F_TIMEOUT(svc, by_hand_without_notify_socket, 120)
{
	char why[1024], name[64];
	const char *args[] = { "--config", self->conf, NULL };
	char msg[512];

	unsetenv("NOTIFY_SOCKET");
	snprintf(name, sizeof(name), "%s", self->d.name);
	ASSERT_EQ(0, write_conf(self, "type = blk\nbackend = ram\nsize = 1M\n"));
	ASSERT_EQ(0, daemon_start(&self->d, name, args, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	/* It has exited: whatever it would have sent (READY, STOPPING) would be queued by now. */
	EXPECT_EQ(-ETIMEDOUT, next_msg(self->nfd, 0, msg, sizeof(msg))) TH_LOG("%s", msg);
	expect_nothing_left(_metadata, name);
}

TEST_HARNESS_MAIN
