// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's side of the service manager's notify protocol
 * (sd_notify(3)), read from the socket NOTIFY_SOCKET names: which
 * messages, in which order, and that the watchdog is petted only while
 * every probed thread answers.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/notify.h"
#include "daemon/watchdog.h"
#include "util/log.h"
#include "kselftest_harness.h"

FIXTURE(notify) {
	char dir[64];
	struct sockaddr_un addr;
	int fd;
};

FIXTURE_SETUP(notify)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-notify.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->addr.sun_family = AF_UNIX;
	snprintf(self->addr.sun_path, sizeof(self->addr.sun_path), "%s/notify", self->dir);
	self->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bind(self->fd, (struct sockaddr *)&self->addr, sizeof(self->addr)));
	ASSERT_EQ(0, setenv("NOTIFY_SOCKET", self->addr.sun_path, 1));
	ASSERT_EQ(0, setenv("WATCHDOG_USEC", "200000", 1));
	unsetenv("WATCHDOG_PID");
	log_set_quiet(true);
}

FIXTURE_TEARDOWN(notify)
{
	close(self->fd);
	unlink(self->addr.sun_path);
	rmdir(self->dir);
}

/* The next datagram, waited for up to a second: it must be @want. */
static void expect_msg(struct __test_metadata *_metadata, int fd, const char *want)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[1024];
	ssize_t n;

	ASSERT_EQ(1, poll(&p, 1, 1000)) TH_LOG("no message; wanted %s", want);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_STREQ(want, buf);
}

/* sd_notify() has sent by the time it returns: an empty queue now is nothing sent. */
static void expect_none(struct __test_metadata *_metadata, int fd)
{
	char buf[1024];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n >= 0)
		buf[n] = '\0';
	EXPECT_EQ(-1, n) TH_LOG("unexpected message: %s", buf);
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(notify, ready_status_stopping_in_order)
{
	notify_ready("disk0 ready: virtio-blk, %d bytes", 4096);
	notify_status("disk0: worker %u does not answer", 1);
	notify_stopping();
	expect_msg(_metadata, self->fd, "READY=1\nSTATUS=disk0 ready: virtio-blk, 4096 bytes");
	expect_msg(_metadata, self->fd, "STATUS=disk0: worker 1 does not answer");
	expect_msg(_metadata, self->fd, "STOPPING=1");
	expect_none(_metadata, self->fd);
}

/* Run by hand, in a shell: nothing is sent, nothing fails. */
TEST_F(notify, nothing_without_notify_socket)
{
	struct watchdog wd;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	notify_ready("ready");
	notify_status("status");
	notify_watchdog();
	notify_stopping();
	expect_none(_metadata, self->fd);
	watchdog_init(&wd);
	EXPECT_EQ(0, wd.usec);
	EXPECT_EQ(-1, watchdog_interval_ms(&wd));
}

TEST_F(notify, watchdog_interval)
{
	struct watchdog wd;
	char pid[16];

	watchdog_init(&wd);
	EXPECT_EQ(200000, wd.usec);
	EXPECT_EQ(100, watchdog_interval_ms(&wd));
	/* WatchdogSec= is for the main process: a child it forked does not pet it. */
	snprintf(pid, sizeof(pid), "%d", getpid() + 1);
	ASSERT_EQ(0, setenv("WATCHDOG_PID", pid, 1));
	watchdog_init(&wd);
	EXPECT_EQ(0, wd.usec);
	EXPECT_EQ(-1, watchdog_interval_ms(&wd));
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, setenv("WATCHDOG_PID", pid, 1));
	ASSERT_EQ(0, setenv("WATCHDOG_USEC", "1000", 1));
	watchdog_init(&wd);
	EXPECT_EQ(1, watchdog_interval_ms(&wd));
}

/* A thread for the watchdog: answers unless made to hang. */
struct fake_thread {
	bool hung;
	unsigned int probes;
};

static bool fake_alive(void *arg)
{
	struct fake_thread *t = arg;

	t->probes++;
	return !t->hung;
}

TEST_F(notify, watchdog_petted_only_while_every_thread_answers)
{
	struct fake_thread t[3] = { { 0 } };
	struct watchdog wd;
	unsigned int i;

	watchdog_init(&wd);
	snprintf(wd.status, sizeof(wd.status), "disk0 ready");
	ASSERT_EQ(0, watchdog_add(&wd, fake_alive, &t[0], "the control thread"));
	for (i = 1; i < 3; i++)
		ASSERT_EQ(0, watchdog_add(&wd, fake_alive, &t[i], "worker %u", i - 1));

	EXPECT_EQ(-1, watchdog_tick(&wd));
	EXPECT_EQ(-1, watchdog_tick(&wd));
	expect_msg(_metadata, self->fd, "WATCHDOG=1");
	expect_msg(_metadata, self->fd, "WATCHDOG=1");

	/* Worker 1 hangs: no keep-alive, one status naming it, however many ticks. */
	t[2].hung = true;
	EXPECT_EQ(2, watchdog_tick(&wd));
	expect_msg(_metadata, self->fd, "STATUS=worker 1 does not answer");
	EXPECT_EQ(2, watchdog_tick(&wd));
	EXPECT_EQ(2, watchdog_tick(&wd));
	expect_none(_metadata, self->fd);

	/* The first thread that does not answer is the one named. */
	t[0].hung = true;
	EXPECT_EQ(0, watchdog_tick(&wd));
	expect_msg(_metadata, self->fd, "STATUS=the control thread does not answer");
	expect_none(_metadata, self->fd);
	/* Every probe is still sent, so that each thread has its next one. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(6, t[i].probes);

	/* All answer again (a slow moment, not a hang): the status is back, then the pets. */
	t[0].hung = t[2].hung = false;
	EXPECT_EQ(-1, watchdog_tick(&wd));
	expect_msg(_metadata, self->fd, "STATUS=disk0 ready");
	expect_msg(_metadata, self->fd, "WATCHDOG=1");
	EXPECT_EQ(-1, watchdog_tick(&wd));
	expect_msg(_metadata, self->fd, "WATCHDOG=1");
	expect_none(_metadata, self->fd);
}

TEST_F(notify, watchdog_probe_limit)
{
	struct fake_thread t = { 0 };
	struct watchdog wd;
	unsigned int i;

	watchdog_init(&wd);
	for (i = 0; i < WATCHDOG_MAX_PROBES; i++)
		ASSERT_EQ(0, watchdog_add(&wd, fake_alive, &t, "worker %u", i));
	EXPECT_EQ(-ENOSPC, watchdog_add(&wd, fake_alive, &t, "one more"));
}

TEST_HARNESS_MAIN
