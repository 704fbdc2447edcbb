// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpactl list and show against real daemons: a disk bound to virtio_vdpa
 * and then unbound, a NIC not on the bus, then bound, then moved into a
 * network namespace; and a daemon killed with SIGKILL while list waits for
 * its answer, which list then shows as stale, at once rather than after
 * its deadline. Every wait is for a state the kernel shows, bounded.
 */
#include <linux/vduse.h>
#include <sys/ioctl.h>

#include "../lib/list_row.h"
#include "kselftest_harness.h"
#include "uvdpad_util.h"

#define MAC "02:00:00:00:00:17"
/* uvdpactl's deadline for one daemon (tools/ctl_info.h). */
#define CTL_INFO_TIMEOUT_MS 1000
#define WAIT_MS 30000

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Whether uvdpactl show's text in @out has @key with @value. */
static bool shown(const char *out, const char *key, const char *value)
{
	char line[256];

	snprintf(line, sizeof(line), "%-20s %s\n", key, value);
	return strstr(out, line);
}

static void destroy_vduse(const char *name)
{
	int fd = open("/dev/vduse/control", O_RDWR);
	char buf[VDUSE_NAME_MAX] = "";

	if (fd < 0)
		return;
	snprintf(buf, sizeof(buf), "%s", name);
	ioctl(fd, VDUSE_DESTROY_DEV, buf);
	close(fd);
}

/* Until @cmd succeeds, at most WAIT_MS. */
static int wait_for(const char *cmd)
{
	long long end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		if (!run("%s", cmd))
			return 0;
		usleep(20 * 1000);
	}
	return -ETIMEDOUT;
}

FIXTURE(list) {
	struct daemon blk, net, dead;
	char ns[32], tap[16];
	char out[8192];
};

FIXTURE_SETUP(list)
{
	memset(self, 0, sizeof(*self));
	snprintf(self->blk.name, sizeof(self->blk.name), "ksft-lblk%d", getpid());
	snprintf(self->net.name, sizeof(self->net.name), "ksft-lnet%d", getpid());
	/* Sorted before the others: list asks it first. */
	snprintf(self->dead.name, sizeof(self->dead.name), "ksft-a-dead%d", getpid());
	snprintf(self->ns, sizeof(self->ns), "ksft-lns%d", getpid());
	snprintf(self->tap, sizeof(self->tap), "ksftl%d", getpid() % 100000);
}

FIXTURE_TEARDOWN(list)
{
	struct daemon *all[] = { &self->blk, &self->net, &self->dead };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (all[i]->pid)
			daemon_stop(all[i], SIGTERM);
		daemon_close(all[i]);
		run("vdpa dev del %s 2>/dev/null", all[i]->name);
		destroy_vduse(all[i]->name);
		run("rm -f /run/uvdpa/%s.state /run/uvdpa/%s.sock", all[i]->name, all[i]->name);
	}
	run("ip netns del %s 2>/dev/null", self->ns);
	run("ip link del %s 2>/dev/null", self->tap);
}

static int start_blk(struct __test_metadata *_metadata, FIXTURE_DATA(list) *self)
{
	const char *args[] = { "blk", "--name", self->blk.name, "--backend", "null", "--size",
			       "64M", "--queues", "2", "--attach", NULL };
	char dev[64];

	return START_BLK(&self->blk, args, dev);
}

static int start_net(struct __test_metadata *_metadata, FIXTURE_DATA(list) *self)
{
	const char *args[] = { "net", "--name", self->net.name, "--tap", self->tap, "--mac", MAC,
			       NULL };
	char why[1024];
	int ret = daemon_start(&self->net, self->net.name, args, why, sizeof(why));

	if (ret)
		TH_LOG("uvdpad net did not get ready %s", why);
	return ret;
}

TEST_F(list, blk_and_net_bound_and_unbound)
{
	char pid[32], word[512], ifname[64] = "";
	FILE *f;

	ASSERT_EQ(0, start_blk(_metadata, self));
	ASSERT_EQ(0, start_net(_metadata, self));

	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "list"));
	snprintf(word, sizeof(word), " %s ", self->blk.disk);
	snprintf(pid, sizeof(pid), " %d ", self->blk.pid);
	EXPECT_ROW(self->out, self->blk.name, " blk ", " null ", " 64M ", " 2 ", " virtio_vdpa ",
		   word, pid, " running");
	snprintf(pid, sizeof(pid), " %d ", self->net.pid);
	EXPECT_ROW(self->out, self->net.name, " net ", " tap ", " " MAC " ", " 2 ", " none ",
		   pid, " running");

	/* The disk: what the driver took, its queues running. */
	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "show %s", self->blk.name));
	EXPECT_TRUE(shown(self->out, "driver_status", "ACKNOWLEDGE,DRIVER,DRIVER_OK,FEATURES_OK"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "VERSION_1")) TH_LOG("%s", self->out);
	EXPECT_TRUE(shown(self->out, "ring", "split")) TH_LOG("%s", self->out);
	EXPECT_TRUE(shown(self->out, "reconnect", "ready")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "  0  0      running 256")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "  1  1      running 256")) TH_LOG("%s", self->out);

	/* The NIC, on no bus: no driver, no feature taken, its queues off. */
	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "show %s -j", self->net.name));
	EXPECT_NE(NULL, strstr(self->out, "\"driver\": \"none\", \"dev\": \"-\""))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"features_negotiated\": \"none\""))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"mac\": \"" MAC "\"")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "{\"vq\": 0, \"worker\": 0, \"state\": \"off\""))
		TH_LOG("%s", self->out);

	/* The disk unbound from virtio_vdpa: still served, bound to nothing. */
	ASSERT_EQ(0, run("echo %s >/sys/bus/vdpa/drivers/virtio_vdpa/unbind", self->blk.name));
	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "list -j"));
	snprintf(word, sizeof(word), "{\"name\": \"%s\", \"type\": \"blk\", \"backend\": "
		 "\"null\", \"size\": 67108864, \"queues\": 2, \"driver\": \"none\", \"pid\": %d, "
		 "\"state\": \"running\"}", self->blk.name, self->blk.pid);
	EXPECT_NE(NULL, strstr(self->out, word)) TH_LOG("%s\nnot in\n%s", word, self->out);

	/* The NIC on the bus: virtio_net's interface, then moved to a container's namespace. */
	ASSERT_EQ(0, run("vdpa dev add name %s mgmtdev vduse", self->net.name));
	snprintf(word, sizeof(word), "ls /sys/bus/vdpa/devices/%s/virtio*/net/* >/dev/null 2>&1",
		 self->net.name);
	ASSERT_EQ(0, wait_for(word));
	snprintf(word, sizeof(word), "ls /sys/bus/vdpa/devices/%s/virtio*/net", self->net.name);
	f = popen(word, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(ifname, sizeof(ifname), f));
	pclose(f);
	ifname[strcspn(ifname, "\n")] = '\0';
	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "list"));
	snprintf(word, sizeof(word), " %s ", ifname);
	EXPECT_ROW(self->out, self->net.name, " virtio_vdpa ", word);
	ASSERT_EQ(0, run("ip netns add %s", self->ns));
	ASSERT_EQ(0, run("ip link set %s netns %s", ifname, self->ns));
	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "list"));
	EXPECT_ROW(self->out, self->net.name, " virtio_vdpa ", " other-netns ");
}

/*
 * Whether a client waits in @path's accept queue: in /proc/net/unix the
 * socket a connect() made there has the listener's path, without its
 * __SO_ACCEPTCON flag.
 */
static bool client_waits(const char *path)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "r");
	unsigned int flags;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		/* Not the listening socket: the one a connect() made in its queue. */
		if (sscanf(line, "%*s %*s %*s %x", &flags) == 1 && !(flags & 0x10000) &&
		    strlen(line) > strlen(path) && !strcmp(line + strlen(line) - strlen(path), path))
			found = true;
	}
	fclose(f);
	return found;
}

TEST_F(list, daemon_killed_while_list_runs)
{
	const char *args[] = { "blk", "--name", self->dead.name, "--backend", "null", "--size",
			       "16M", NULL };
	const char *daemon = uvdpad_path(), *slash = strrchr(daemon, '/');
	char why[1024], cmd[PATH_MAX + 64], path[256];
	long long t0, waited, took;
	int status;
	size_t n;
	FILE *f;

	ASSERT_EQ(0, daemon_start(&self->dead, self->dead.name, args, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, start_net(_metadata, self));
	snprintf(path, sizeof(path), "/run/uvdpa/%s.sock", self->dead.name);
	/* Stopped, its socket still takes connections into its queue: list waits there. */
	ASSERT_EQ(0, kill(self->dead.pid, SIGSTOP));
	snprintf(cmd, sizeof(cmd), "%.*suvdpactl list", slash ? (int)(slash + 1 - daemon) : 0,
		 daemon);
	t0 = now_ms();
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (!client_waits(path) && now_ms() - t0 < WAIT_MS)
		usleep(1000);
	waited = now_ms() - t0;
	ASSERT_TRUE(client_waits(path)) TH_LOG("list never waited on the stopped daemon");
	ASSERT_EQ(0, kill(self->dead.pid, SIGKILL));
	n = fread(self->out, 1, sizeof(self->out) - 1, f);
	self->out[n] = '\0';
	status = pclose(f);
	took = now_ms() - t0;
	EXPECT_EQ(0, WEXITSTATUS(status));
	/*
	 * Killed, not timed out: list saw the connection end at once, since
	 * after its deadline it would say "no-answer". The time is a bound
	 * against a hang only: a loaded machine takes its time for the rest.
	 */
	EXPECT_ROW(self->out, self->dead.name, " stale");
	EXPECT_ROW(self->out, self->net.name, " net ", " running");
	EXPECT_GT(5 * CTL_INFO_TIMEOUT_MS, took - waited) TH_LOG("list took %lld ms", took);
	TH_LOG("list waited %lld ms for the stopped daemon, took %lld ms", waited, took);
	ASSERT_EQ(0, wait_exit(self->dead.pid, WAIT_MS, &status));
	self->dead.pid = 0;

	/* Its socket file stays behind: stale, and show says so. */
	ASSERT_EQ(0, uvdpactl(self->out, sizeof(self->out), "list"));
	EXPECT_ROW(self->out, self->dead.name, " stale");
	EXPECT_EQ(1, uvdpactl(NULL, 0, "show %s 2>/dev/null", self->dead.name));
}

TEST_HARNESS_MAIN
