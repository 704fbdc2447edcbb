// SPDX-License-Identifier: GPL-2.0
/*
 * The tap backend's link watch follows the tap into whatever network
 * namespace it is moved to (a container's, a router's): the link reported
 * is the tap's IFF_UP where it lives, through moves, renames on the way,
 * and its deletion. Each test runs in network namespaces of its own, so
 * the host's interfaces are never touched. Needs root and /dev/net/tun.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "backend/be_tap.h"

#define WAIT_MS 10000

FIXTURE(tap) {
	struct be be;
	struct be_tap *t;
	int ns[2];		/* the namespace the test starts in, and another */
	int changes[2];		/* a pipe: one byte per reported change, '0' or '1' */
	bool watching;
};

static void link_changed(void *arg, bool up)
{
	FIXTURE_DATA(tap) *self = arg;

	if (write(self->changes[1], up ? "1" : "0", 1) != 1)
		abort();
}

FIXTURE_SETUP(tap)
{
	int ret;

	self->ns[0] = self->ns[1] = -1;
	if (geteuid())
		SKIP(return, "needs root (network namespaces and a tap)");
	if (access("/dev/net/tun", R_OK | W_OK))
		SKIP(return, "no /dev/net/tun");
	/* Two fresh namespaces; the descriptors stay open for ip(8): no O_CLOEXEC. */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	self->ns[1] = open("/proc/thread-self/ns/net", O_RDONLY);
	ASSERT_LE(0, self->ns[1]);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	self->ns[0] = open("/proc/thread-self/ns/net", O_RDONLY);
	ASSERT_LE(0, self->ns[0]);
	ASSERT_EQ(0, pipe2(self->changes, O_CLOEXEC));
	self->be.ops = &be_tap_ops;
	ret = be_tap_ops.open(&self->be, &(struct be_opts){ .ifname = "kt0", .tap_fd = -1,
							    .mtu = 1500 });
	ASSERT_EQ(0, ret);
	self->t = be_tap(&self->be);
	ASSERT_FALSE(self->t->up);
	ASSERT_EQ(0, be_tap_watch(self->t, link_changed, self));
	self->watching = true;
}

FIXTURE_TEARDOWN(tap)
{
	if (self->watching)
		be_tap_ops.close(&self->be);
}

/* @cmd run in namespace @ns (0: where the test started, 1: the other). */
static int in_ns(FIXTURE_DATA(tap) *self, int ns, const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "nsenter --net=/proc/%d/fd/%d %s", getpid(), self->ns[ns],
		 cmd);
	return system(line);
}

/* Move the tap (named @name now) into namespace @to, named @as there. */
static int move(FIXTURE_DATA(tap) *self, int from, const char *name, int to, const char *as)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip link set %s netns /proc/%d/fd/%d name %s", name,
		 getpid(), self->ns[to], as);
	return in_ns(self, from, cmd);
}

/* The next change reported: '0' or '1', or 't' if none came within WAIT_MS. */
static char next_change(FIXTURE_DATA(tap) *self)
{
	struct pollfd p = { .fd = self->changes[0], .events = POLLIN };
	char c = 't';

	if (poll(&p, 1, WAIT_MS) == 1 && read(self->changes[0], &c, 1) != 1)
		c = 'x';
	return c;
}

TEST_F(tap, link_followed_where_it_lives)
{
	ASSERT_EQ(0, in_ns(self, 0, "ip link set kt0 up"));
	EXPECT_EQ('1', next_change(self));
	/* The kernel closes a device that changes namespace: down, then up there. */
	ASSERT_EQ(0, move(self, 0, "kt0", 1, "kt0"));
	EXPECT_EQ('0', next_change(self));
	ASSERT_EQ(0, in_ns(self, 1, "ip link set kt0 up"));
	EXPECT_EQ('1', next_change(self));
	EXPECT_TRUE(self->t->up);
	ASSERT_EQ(0, in_ns(self, 1, "ip link set kt0 down"));
	EXPECT_EQ('0', next_change(self));
	ASSERT_EQ(0, in_ns(self, 1, "ip link set kt0 up"));
	EXPECT_EQ('1', next_change(self));
}

/* Back again, renamed on the way, to where another tap has its old name. */
TEST_F(tap, followed_again_and_renamed)
{
	ASSERT_EQ(0, move(self, 0, "kt0", 1, "kt0"));
	ASSERT_EQ(0, in_ns(self, 1, "ip link set kt0 up"));
	EXPECT_EQ('1', next_change(self));
	ASSERT_EQ(0, in_ns(self, 0, "ip tuntap add dev kt0 mode tap"));
	ASSERT_EQ(0, in_ns(self, 0, "ip link set kt0 up"));
	ASSERT_EQ(0, move(self, 1, "kt0", 0, "kt9"));
	EXPECT_EQ('0', next_change(self));
	/* Ours is kt9 now: the other tap, up all along, says nothing of it. */
	ASSERT_EQ(0, in_ns(self, 0, "ip link set kt9 up"));
	EXPECT_EQ('1', next_change(self));
	ASSERT_EQ(0, in_ns(self, 0, "ip link set kt9 down"));
	EXPECT_EQ('0', next_change(self));
	EXPECT_FALSE(self->t->up);
}

TEST_F(tap, deleted_stays_down)
{
	ASSERT_EQ(0, move(self, 0, "kt0", 1, "kt0"));
	ASSERT_EQ(0, in_ns(self, 1, "ip link set kt0 up"));
	EXPECT_EQ('1', next_change(self));
	ASSERT_EQ(0, in_ns(self, 1, "ip link del kt0"));
	EXPECT_EQ('0', next_change(self));
	EXPECT_FALSE(self->t->up);
}

TEST_HARNESS_MAIN
