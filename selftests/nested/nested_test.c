// SPDX-License-Identifier: GPL-2.0
/*
 * A real VM on uvdpa devices: QEMU (from bookworm-backports: 10.0 has
 * vhost-vdpa-device-pci) boots the test kernel with a busybox initramfs
 * (guest-init) on a uvdpad blk device and a uvdpad net device, both bound
 * to vhost_vdpa. The guest reports on its serial console what it saw; the
 * test checks the backing file and that the guest pinged this host through
 * the net device's tap, then that the blk device outlives a guest powered
 * off in the middle of a write and serves the host's own virtio_vdpa
 * afterwards, and that both daemons stop cleanly. Nested TCG is slow (about
 * 100 s to init), so one boot does everything.
 */
#include <libgen.h>
#include <sys/utsname.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"
#include "vduse/vdpa_bus.h"

#define MiB (1024 * 1024)
/*
 * Guest time for everything: its init takes about 100 s on an idle 2-core
 * host and over 420 s on a loaded or slower one (CI).
 */
#define BOOT_TIMEOUT_MS (900 * 1000)
#define HOST_IP "10.99.0.1"
#define GUEST_IP "10.99.0.2"

FIXTURE(nested) {
	struct daemon blk;
	struct daemon net;
	char tap[16];
	pid_t qemu;
	int console;		/* the guest's serial console */
	char out[65536];	/* everything it said */
	size_t out_len;
	char dir[PATH_MAX];	/* where this test and its guest files are */
	char img[64];
	char initrd[64];
};

FIXTURE_SETUP(nested)
{
	ssize_t n = readlink("/proc/self/exe", self->dir, sizeof(self->dir) - 1);

	ASSERT_LT(0, n);
	self->dir[n] = '\0';
	dirname(self->dir);
	snprintf(self->img, sizeof(self->img), "/tmp/uvdpa-nested-%d.img", getpid());
	snprintf(self->blk.name, sizeof(self->blk.name), "ksft-nb%d", getpid());
	snprintf(self->net.name, sizeof(self->net.name), "ksft-nn%d", getpid());
	snprintf(self->tap, sizeof(self->tap), "kn%d", getpid());
	snprintf(self->initrd, sizeof(self->initrd), "/tmp/uvdpa-nested-%d.cpio.gz", getpid());
	unlink(self->img);
}

FIXTURE_TEARDOWN(nested)
{
	if (self->qemu > 0) {
		kill(self->qemu, SIGKILL);
		waitpid(self->qemu, NULL, 0);
	}
	daemon_close(&self->blk);
	daemon_close(&self->net);
	unlink(self->img);
	unlink(self->initrd);
}

/* The kernel and modules this machine runs: the test VM's, or the host's. */
static void this_kernel(char *moddir, size_t len)
{
	char cmdline[4096] = "", *arg;
	struct utsname u;
	FILE *f = fopen("/proc/cmdline", "r");

	uname(&u);
	snprintf(moddir, len, "/lib/modules/%s", u.release);
	if (!f)
		return;
	if (fgets(cmdline, sizeof(cmdline), f))
		for (arg = strtok(cmdline, " \n"); arg; arg = strtok(NULL, " \n"))
			if (!strncmp(arg, "uvdpa.modules=", 14))
				snprintf(moddir, len, "%s", arg + 14);
	fclose(f);
}

/*
 * Start the VM with tools/uvdpa-vm on vdpa devices @blk and @net, its
 * serial console on a pipe.
 */
static int boot(FIXTURE_DATA(nested) *self, const char *blk, const char *net)
{
	char moddir[PATH_MAX], kernel[2 * PATH_MAX], helper[PATH_MAX + 16], cmd[4 * PATH_MAX];
	char *top;
	struct utsname u;
	int pipefd[2];

	uname(&u);
	this_kernel(moddir, sizeof(moddir));
	/* Debian's layout: ROOT/lib/modules/RELEASE and ROOT/boot/vmlinuz-RELEASE. */
	top = strdup(moddir);
	snprintf(kernel, sizeof(kernel), "%s/boot/vmlinuz-%s", dirname(dirname(dirname(top))),
		 u.release);
	free(top);
	snprintf(cmd, sizeof(cmd), "%s/mkinitramfs %s %s %s %s/guest-init virtio_blk virtio_net",
		 self->dir, self->initrd, moddir, u.release, self->dir);
	if (run("%s", cmd))
		return -ENOEXEC;
	snprintf(helper, sizeof(helper), "%s/uvdpa-vm", self->dir);
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	self->qemu = fork();
	if (self->qemu < 0)
		return -errno;
	if (!self->qemu) {
		const char *argv[] = {
			helper, "--blk", blk, "--net", net, "--mem", "256M", "--",
			"-cpu", "max", "-smp", "1", "-nodefaults", "-no-user-config",
			"-display", "none", "-no-reboot", "-serial", "stdio",
			"-kernel", kernel, "-initrd", self->initrd,
			"-append", "console=ttyS0 panic=-1 no_timer_check quiet loglevel=3 "
				   "nested.ip=" GUEST_IP "/24 nested.peer=" HOST_IP,
			NULL,
		};
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	self->console = pipefd[0];
	fcntl(self->console, F_SETFL, O_NONBLOCK);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Take in what the console has: 1 when it said something, 0 at its end, -1 past @deadline. */
static int console_read(FIXTURE_DATA(nested) *self, long long deadline)
{
	struct pollfd p = { .fd = self->console, .events = POLLIN };
	ssize_t n;

	for (;;) {
		if (now_ms() >= deadline || poll(&p, 1, 1000) < 0)
			return -1;
		n = read(self->console, self->out + self->out_len,
			 sizeof(self->out) - 1 - self->out_len);
		if (n == 0)
			return 0;
		if (n < 0)
			continue;
		self->out_len += n;
		self->out[self->out_len] = '\0';
		/* Keep the tail when a chatty guest fills the buffer. */
		if (self->out_len > sizeof(self->out) * 3 / 4) {
			memmove(self->out, self->out + self->out_len / 2,
				self->out_len - self->out_len / 2 + 1);
			self->out_len -= self->out_len / 2;
		}
		return 1;
	}
}

/* Wait until the guest said @what; false when it stopped or the time is up. */
static bool expect_line(FIXTURE_DATA(nested) *self, const char *what, long long deadline)
{
	while (!strstr(self->out, what))
		if (console_read(self, deadline) <= 0)
			return false;
	return true;
}

/* Wait for QEMU to close the console: the guest is gone. */
static bool console_closed(FIXTURE_DATA(nested) *self, long long deadline)
{
	int ret;

	while ((ret = console_read(self, deadline)) > 0)
		;
	return ret == 0;
}

/* guest-init's pattern: the numbers from 100000 up, one per line, cut at 1 MiB. */
static void pattern(char *buf, size_t len)
{
	size_t off = 0;
	int i = 100000;

	while (off < len) {
		char line[16];
		int n = snprintf(line, sizeof(line), "%d\n", i++);

		memcpy(buf + off, line, off + n > len ? len - off : n);
		off += n;
	}
}

static bool holds_pattern(const char *path, bool direct)
{
	char *want = malloc(MiB), *got = NULL;
	bool ok = false;
	int fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));

	if (fd >= 0 && want && !posix_memalign((void **)&got, 4096, MiB) &&
	    pread(fd, got, MiB, MiB) == MiB) {
		pattern(want, MiB);
		ok = !memcmp(want, got, MiB);
	}
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return ok;
}

/* Start uvdpad with @args on vhost_vdpa, and find its /dev/vhost-vdpa-N. */
static int start_vhost(struct __test_metadata *_metadata, struct daemon *d, const char *name,
		       const char *const *args, char *vhost, size_t len)
{
	char why[1024];
	int ret = daemon_start(d, name, args, why, sizeof(why));

	if (ret) {
		TH_LOG("uvdpad did not get ready %s", why);
		return ret;
	}
	return vdpa_bus_vhost_dev(name, vhost, len);
}

TEST_F_TIMEOUT(nested, guest_on_uvdpa_devices, 1000)
{
	long long deadline = now_ms() + BOOT_TIMEOUT_MS;
	char blk[64], net[64], vhost[32], disk[32], path[64], err[4096];
	const char *blk_args[] = { "blk", "--name", blk, "--file", self->img, "--size", "64M",
				   "--attach", "vhost", NULL };
	const char *net_args[] = { "net", "--name", net, "--tap", self->tap, "--attach", "vhost",
				   NULL };
	int status;

	snprintf(blk, sizeof(blk), "%s", self->blk.name);
	snprintf(net, sizeof(net), "%s", self->net.name);
	ASSERT_EQ(0, start_vhost(_metadata, &self->blk, blk, blk_args, vhost, sizeof(vhost)));
	ASSERT_EQ(0, start_vhost(_metadata, &self->net, net, net_args, vhost, sizeof(vhost)));
	ASSERT_EQ(0, run("ip addr add " HOST_IP "/24 dev %s && ip link set %s up", self->tap,
			 self->tap));
	ASSERT_EQ(0, boot(self, blk, net));

	/* The disk: its size, and a pattern written and read back by the guest. */
	ASSERT_TRUE(expect_line(self, "NESTED: blk sectors", deadline)) {
		TH_LOG("the guest said: %s", self->out);
	}
	EXPECT_TRUE(expect_line(self, "NESTED: blk sectors 131072\r\n", deadline)) {
		TH_LOG("the guest said: %s", self->out);
	}
	EXPECT_TRUE(expect_line(self, "NESTED: blk readback ok", deadline)) {
		TH_LOG("the guest said: %s", self->out);
	}
	/* The NIC: the guest pings this host's end of the tap, nothing lost. */
	EXPECT_TRUE(expect_line(self, "NESTED: ping 5 packets transmitted, 5 packets received, "
				"0% packet loss", deadline)) {
		TH_LOG("the guest said: %s", self->out);
	}
	/* Then it powers off in the middle of a write. */
	EXPECT_TRUE(expect_line(self, "NESTED: powering off while writing", deadline)) {
		TH_LOG("the guest said: %s", self->out);
	}
	EXPECT_TRUE(console_closed(self, deadline));
	ASSERT_EQ(self->qemu, waitpid(self->qemu, &status, 0));
	self->qemu = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("qemu status %#x; it said: %s", status, self->out);
	}
	EXPECT_TRUE(holds_pattern(self->img, false));

	/* The daemon serves on: the host's own driver reads the guest's data. */
	EXPECT_EQ(0, kill(self->blk.pid, 0));
	ASSERT_EQ(0, vdpa_bus_bind(self->blk.name, "virtio_vdpa"));
	ASSERT_EQ(0, vdpa_bus_blkdev(self->blk.name, disk, sizeof(disk)));
	snprintf(path, sizeof(path), "/dev/%s", disk);
	EXPECT_TRUE(holds_pattern(path, true));
	EXPECT_EQ(0, daemon_stop(&self->blk, SIGTERM));
	read_all(self->blk.err, err, sizeof(err));
	EXPECT_STREQ("", err);
	EXPECT_EQ(0, daemon_stop(&self->net, SIGTERM));
	read_all(self->net.err, err, sizeof(err));
	EXPECT_STREQ("", err);
}

/* The helper refuses a device that is not on vhost_vdpa, before starting QEMU. */
TEST(uvdpa_vm_refuses_a_device_not_on_vhost_vdpa)
{
	char vm[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", vm, PATH_MAX - 16);

	ASSERT_LT(0, n);
	vm[n] = '\0';
	strcat(dirname(vm), "/uvdpa-vm");
	EXPECT_EQ(1, run("%s --blk ksft-nosuch 2>/dev/null", vm));
	EXPECT_EQ(0, run("%s --net ksft-nosuch 2>&1 | grep -q \"'ksft-nosuch' is not bound to vhost_vdpa\"",
			 vm));
	/* An option without its value: the usage, exit status 2. */
	EXPECT_EQ(2, run("%s --mem 2>/dev/null", vm));
}

TEST_HARNESS_MAIN
