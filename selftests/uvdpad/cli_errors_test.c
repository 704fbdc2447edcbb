// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad refusing to start: the exit status, a message that says what to
 * do, and nothing left behind (no VDUSE device, nothing on the vdpa bus).
 */
#include "kselftest_harness.h"
#include "uvdpad_util.h"

struct outcome {
	int status;
	char err[1024];
};

/*
 * Run uvdpad to its end, as user @uid (0: as we are). As another user the
 * child checks for the "run as root" advice itself, and @o->err stays empty.
 */
static void refused(struct outcome *o, uid_t uid, const char *name, const char *a1,
		    const char *a2, const char *a3, const char *a4)
{
	struct daemon d;
	pid_t pid;

	if (uid) {
		pid = fork();
		if (pid == 0) {
			if (setgid(uid) || setuid(uid))
				_exit(99);
			daemon_spawn(&d, name, "blk", "--name", name, a1, a2, a3, a4, NULL);
			waitpid(d.pid, &o->status, 0);
			read_all(d.err, o->err, sizeof(o->err));
			/* The message must say what to do; 97 tells the parent it did not. */
			if (!strstr(o->err, "(run as root)"))
				_exit(97);
			_exit(WIFEXITED(o->status) ? WEXITSTATUS(o->status) : 98);
		}
		waitpid(pid, &o->status, 0);
		o->status = WEXITSTATUS(o->status);
		o->err[0] = '\0';
		return;
	}
	daemon_spawn(&d, name, "blk", "--name", name, a1, a2, a3, a4, NULL);
	waitpid(d.pid, &o->status, 0);
	o->status = WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1;
	read_all(d.err, o->err, sizeof(o->err));
	close(d.out);
	close(d.err);
}

TEST(bad_arguments_exit_2)
{
	struct outcome o;

	refused(&o, 0, "ksft-cli", "--file", "/tmp/x", "--queues", "0");
	EXPECT_EQ(2, o.status);
	EXPECT_NE(NULL, strstr(o.err, "--queues '0': 1 to 64")) TH_LOG("%s", o.err);
}

TEST(missing_file_exits_1)
{
	struct outcome o;

	refused(&o, 0, "ksft-cli", "--file", "/nonexistent/disk.img", NULL, NULL);
	EXPECT_EQ(1, o.status);
	EXPECT_NE(NULL, strstr(o.err, "/nonexistent/disk.img: No such file")) TH_LOG("%s", o.err);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-cli"));
}

TEST(unreachable_nbd_server_exits_1)
{
	struct outcome o;

	refused(&o, 0, "ksft-cli", "--nbd", "nbd+unix:///exp?socket=/nonexistent/sock", NULL,
		NULL);
	EXPECT_EQ(1, o.status);
	EXPECT_NE(NULL, strstr(o.err, "cannot connect to the NBD server at /nonexistent/sock"))
		TH_LOG("%s", o.err);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-cli"));
}

/*
 * Two workers are two connections, which qemu-nbd's writable export does not
 * allow: refused after the device was made, and the device goes with it.
 */
TEST(nbd_export_for_one_connection_exits_1)
{
	char dir[] = "/tmp/uvdpa-cli-nbd-XXXXXX", uri[128], path[64], pid[16] = "";
	struct outcome o;
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	/* --fork: qemu-nbd returns once it listens. */
	ASSERT_EQ(0, run("truncate -s 1M %s/disk && qemu-nbd --fork --pid-file=%s/pid -k %s/sock "
			 "-f raw -x exp %s/disk", dir, dir, dir, dir));
	snprintf(uri, sizeof(uri), "nbd+unix:///exp?socket=%s/sock", dir);
	refused(&o, 0, "ksft-cli", "--nbd", uri, "--queues", "2");
	snprintf(path, sizeof(path), "%s/pid", dir);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		read_all(fd, pid, sizeof(pid));
		close(fd);
		kill(atoi(pid), SIGKILL);
	}
	run("rm -rf %s", dir);
	EXPECT_EQ(1, o.status);
	EXPECT_NE(NULL, strstr(o.err, "does not allow several connections")) TH_LOG("%s", o.err);
	/* One line: the reason, not also the errno it became. */
	EXPECT_EQ(strchr(o.err, '\n'), strrchr(o.err, '\n')) TH_LOG("%s", o.err);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-cli"));
}

TEST(name_in_use_exits_1)
{
	struct outcome o;
	struct daemon first;
	int status;

	ASSERT_EQ(0, daemon_spawn(&first, "ksft-used", "blk", "--name", "ksft-used",
				  "--backend", "null", "--size", "1M", NULL));
	ASSERT_EQ(0, daemon_wait_ready(&first, &status));
	refused(&o, 0, "ksft-used", "--backend", "null", "--size", "1M");
	EXPECT_EQ(1, o.status);
	EXPECT_NE(NULL, strstr(o.err, "exists (another uvdpad?")) TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.err, "--reconnect")) TH_LOG("%s", o.err);
	/* Nor wiped its in-flight log (it starts with a non-zero magic). */
	{
		uint64_t magic = 0;
		int fd = open("/run/uvdpa/ksft-used.state", O_RDONLY);

		EXPECT_LE(0, fd);
		EXPECT_EQ(8, read(fd, &magic, 8));
		EXPECT_NE(0, magic);
		close(fd);
	}
	/* The refused one did not take the first one's device away. */
	EXPECT_TRUE(path_exists("/dev/vduse/%s", "ksft-used"));
	EXPECT_EQ(0, daemon_stop(&first, SIGTERM));
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-used"));
	daemon_close(&first);
}

TEST(unprivileged_exits_1)
{
	struct outcome o;

	if (getuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	refused(&o, 65534, "ksft-cli", "--backend", "null", "--size", "1M");
	EXPECT_EQ(1, o.status);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-cli"));
}

TEST(missing_module_exits_1)
{
	struct outcome o;

	if (run("modprobe -r vduse"))
		SKIP(return, "the vduse module is in use or built in");
	refused(&o, 0, "ksft-cli", "--backend", "null", "--size", "1M");
	EXPECT_EQ(0, run("modprobe vduse"));
	EXPECT_EQ(1, o.status);
	EXPECT_NE(NULL, strstr(o.err, "vduse kernel module is not loaded (modprobe vduse)"))
		TH_LOG("%s", o.err);
}

TEST_HARNESS_MAIN
