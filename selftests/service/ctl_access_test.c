// SPDX-License-Identifier: GPL-2.0
/*
 * Who can reach the daemon's state file and control socket, and for how
 * long: the run directory made 0700 whatever the umask, refused when it
 * belongs to someone else, is writable by group or others, or is a
 * symlink; the state file and the socket never following a symlink in
 * their place; the socket 0600, a peer that is neither root nor the
 * daemon's user refused even when the modes let it connect, a client
 * trickling its request cut off at the request's deadline, and clients
 * served while others stall.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/priv.h"
#include "daemon/ctl.h"
#include "daemon/state_file.h"
#include "util/run_dir.h"
#include "uvdpa_ctl.h"

FIXTURE(run) {
	char top[32];		/* a private directory for this test */
	char dir[48];		/* the run directory, top/run */
	char err[256];
};

FIXTURE_SETUP(run)
{
	strcpy(self->top, "/tmp/uvdpa-run-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->top));
	snprintf(self->dir, sizeof(self->dir), "%s/run", self->top);
	ASSERT_EQ(0, setenv(UVDPA_CTL_DIR_ENV, self->dir, 1));
	self->err[0] = '\0';
}

FIXTURE_TEARDOWN(run)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->top);
	if (system(cmd))
		TH_LOG("could not remove %s", self->top);
	unsetenv(UVDPA_CTL_DIR_ENV);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? 0 : st.st_mode;
}

/* The test's own path under the run directory. */
static void in_dir(FIXTURE_DATA(run) *self, const char *file, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", self->dir, file);
}

TEST_F(run, made_0700_whatever_the_umask)
{
	mode_t old = umask(0);

	EXPECT_EQ(0, run_dir_make(self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	umask(old);
	EXPECT_EQ(S_IFDIR | 0700, mode_of(self->dir));
	/* There already, as it should be: accepted as it is. */
	EXPECT_EQ(0, run_dir_make(self->err, sizeof(self->err)));
}

TEST_F(run, group_or_other_writable_refused)
{
	ASSERT_EQ(0, mkdir(self->dir, 0700));
	ASSERT_EQ(0, chmod(self->dir, 0770));
	EXPECT_EQ(-EPERM, run_dir_make(self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "writable by its group (mode 0770)")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, chmod(self->dir, 01777));
	EXPECT_EQ(-EPERM, run_dir_make(self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "writable by others (mode 1777)")) TH_LOG("%s", self->err);
	/* A read-only world is fine: only writing lets someone plant a file. */
	ASSERT_EQ(0, chmod(self->dir, 0755));
	EXPECT_EQ(0, run_dir_make(self->err, sizeof(self->err)));
}

TEST_F(run, another_owner_refused)
{
	if (geteuid())
		SKIP(return, "needs root to give the directory to another uid");
	ASSERT_EQ(0, mkdir(self->dir, 0700));
	ASSERT_EQ(0, chown(self->dir, 65534, 65534));
	EXPECT_EQ(-EPERM, run_dir_make(self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "belongs to uid 65534, not to root or this daemon's uid 0"))
		TH_LOG("%s", self->err);
}

TEST_F(run, symlink_refused)
{
	char target[100];

	snprintf(target, sizeof(target), "%s/elsewhere", self->top);
	ASSERT_EQ(0, mkdir(target, 0700));
	ASSERT_EQ(0, symlink(target, self->dir));
	EXPECT_EQ(-ENOTDIR, run_dir_make(self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "is not a directory (a symlink)")) TH_LOG("%s", self->err);
}

/* A symlink planted as NAME.state: refused, and its target left as it was. */
TEST_F(run, state_file_never_follows_a_symlink)
{
	static const uint8_t config[8];
	struct state_file_params p = {
		.name = "planted", .nr_queues = 1, .queue_size = 64,
		.config = config, .config_size = sizeof(config),
	};
	char target[100], link[100], why[128], buf[8] = "";
	struct state_file f = { 0 };
	int fd;

	ASSERT_EQ(0, run_dir_make(self->err, sizeof(self->err)));
	snprintf(target, sizeof(target), "%s/victim", self->top);
	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(6, write(fd, "intact", 6));
	close(fd);
	in_dir(self, "planted.state", link, sizeof(link));
	ASSERT_EQ(0, symlink(target, link));
	EXPECT_EQ(-ELOOP, state_file_create(&f, &p));
	EXPECT_EQ(-ELOOP, state_file_open(&f, &p, why, sizeof(why)));
	fd = open(target, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(6, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_STREQ("intact", buf);
}

/* A request on @path from this process: the reply's first line, or "" */
static void request(const char *path, char *reply, size_t len)
{
	static const char req[] = UVDPA_CTL_MAGIC " 1 stats\n";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n = -1;

	reply[0] = '\0';
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	/* A refused peer may find the socket closed before it sent: read the refusal anyway. */
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL);
		n = read(fd, reply, len - 1);
	}
	reply[n > 0 ? n : 0] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (fd >= 0)
		close(fd);
}

TEST_F(run, socket_0600_whatever_the_umask)
{
	struct ctl_dev dev = { .name = "sock", .filter_lock = PTHREAD_MUTEX_INITIALIZER };
	char path[100], reply[256];
	struct ctl *c;
	mode_t old = umask(0);

	ASSERT_EQ(0, ctl_start(&c, &dev, self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	umask(old);
	in_dir(self, "sock.sock", path, sizeof(path));
	EXPECT_EQ(S_IFSOCK | 0600, mode_of(path));
	request(path, reply, sizeof(reply));
	EXPECT_STREQ(UVDPA_CTL_OK, reply);
	ctl_stop(c);
}

/*
 * A symlink planted as NAME.sock, to a socket nobody answers on (what a
 * dead daemon leaves): the daemon neither connects through it nor removes
 * it, and does not listen.
 */
TEST_F(run, socket_never_replaces_a_symlink)
{
	struct ctl_dev dev = { .name = "planted", .filter_lock = PTHREAD_MUTEX_INITIALIZER };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[100];
	struct ctl *c;
	int fd;

	ASSERT_EQ(0, run_dir_make(self->err, sizeof(self->err)));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/dead.sock", self->top);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	close(fd);
	in_dir(self, "planted.sock", path, sizeof(path));
	ASSERT_EQ(0, symlink(a.sun_path, path));
	EXPECT_EQ(-EADDRINUSE, ctl_start(&c, &dev, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "something else is in its place")) TH_LOG("%s", self->err);
	EXPECT_EQ(S_IFLNK | 0777, mode_of(path));
}

/* As nobody: 1 when refused for its uid, 0 when served, -1 for anything else. */
static int nobody_request(void *path)
{
	char reply[256];

	request(path, reply, sizeof(reply));
	if (!strcmp(reply, UVDPA_CTL_OK))
		return 0;
	return strstr(reply, UVDPA_CTL_ERROR " permission denied") == reply ? 1 : -1;
}

/* The modes opened up by hand: the peer's uid still decides. */
TEST_F(run, peer_neither_root_nor_ours_refused)
{
	struct ctl_dev dev = { .name = "cred", .filter_lock = PTHREAD_MUTEX_INITIALIZER };
	char path[100], reply[256];
	struct ctl *c;
	int ret = -1;

	if (geteuid())
		SKIP(return, "needs root to ask as another uid");
	ASSERT_EQ(0, ctl_start(&c, &dev, self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	in_dir(self, "cred.sock", path, sizeof(path));
	ASSERT_EQ(0, chmod(self->top, 0711));
	ASSERT_EQ(0, chmod(self->dir, 0711));
	ASSERT_EQ(0, chmod(path, 0666));
	ASSERT_EQ(0, priv_run(priv_drop_nobody, 0, nobody_request, path, &ret));
	EXPECT_EQ(1, ret);
	request(path, reply, sizeof(reply));
	EXPECT_STREQ(UVDPA_CTL_OK, reply);
	ctl_stop(c);
}

static long long ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/*
 * A client sending a byte every 500 ms and never the newline: cut off 5 s
 * after it connected (the deadline is the request's, not each read's),
 * and a client behind it served right after.
 */
TEST_F(run, trickling_client_cut_off_at_the_deadline)
{
	struct ctl_dev dev = { .name = "slow", .filter_lock = PTHREAD_MUTEX_INITIALIZER };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[100], reply[256], b;
	long long t0, closed = -1;
	struct pollfd p;
	struct ctl *c;
	int fd;

	ASSERT_EQ(0, ctl_start(&c, &dev, self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	in_dir(self, "slow.sock", path, sizeof(path));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	t0 = ms_now();
	/* Pacing the client, not waiting for the daemon: poll() sees the close at once. */
	for (b = 'u'; ms_now() - t0 < 10000; ) {
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 500) == 1) {
			closed = ms_now() - t0;
			break;
		}
		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1) {
			closed = ms_now() - t0;
			break;
		}
	}
	close(fd);
	EXPECT_LE(4500, closed);
	EXPECT_GE(6500, closed) TH_LOG("cut off after %lld ms", closed);
	request(path, reply, sizeof(reply));
	EXPECT_STREQ(UVDPA_CTL_OK, reply);
	ctl_stop(c);
}

/* A client that connected and sent part of a request, then went quiet. */
static int stalled_client(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, "u", 1, MSG_NOSIGNAL) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * One client stalled in its request does not hold up another: served
 * within a second, not after the stalled one's 5 s deadline; and ctl_stop()
 * does not wait for that deadline either.
 */
TEST_F(run, second_client_served_while_one_stalls)
{
	struct ctl_dev dev = { .name = "two", .filter_lock = PTHREAD_MUTEX_INITIALIZER };
	char path[100], reply[256];
	long long t0, took;
	struct ctl *c;
	int slow;

	ASSERT_EQ(0, ctl_start(&c, &dev, self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	in_dir(self, "two.sock", path, sizeof(path));
	slow = stalled_client(path);
	ASSERT_LE(0, slow);
	t0 = ms_now();
	request(path, reply, sizeof(reply));
	took = ms_now() - t0;
	EXPECT_STREQ(UVDPA_CTL_OK, reply);
	EXPECT_GT(1000, took) TH_LOG("served after %lld ms", took);
	t0 = ms_now();
	ctl_stop(c);
	took = ms_now() - t0;
	EXPECT_GT(1000, took) TH_LOG("stopped after %lld ms", took);
	close(slow);
}

/*
 * As many stalled clients as are served at once: the next one waits in the
 * backlog, for one request deadline at most, and is then served.
 */
TEST_F(run, next_client_waits_one_deadline_at_most_when_all_stall)
{
	struct ctl_dev dev = { .name = "many", .filter_lock = PTHREAD_MUTEX_INITIALIZER };
	char path[100], reply[256];
	long long t0, took;
	struct ctl *c;
	int slow[CTL_CLIENTS];
	unsigned int i;

	ASSERT_EQ(0, ctl_start(&c, &dev, self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	in_dir(self, "many.sock", path, sizeof(path));
	t0 = ms_now();
	for (i = 0; i < ARRAY_SIZE(slow); i++) {
		slow[i] = stalled_client(path);
		ASSERT_LE(0, slow[i]);
	}
	request(path, reply, sizeof(reply));
	took = ms_now() - t0;
	EXPECT_STREQ(UVDPA_CTL_OK, reply);
	EXPECT_GT(6500, took) TH_LOG("served after %lld ms", took);
	for (i = 0; i < ARRAY_SIZE(slow); i++)
		close(slow[i]);
	ctl_stop(c);
}

TEST_HARNESS_MAIN
