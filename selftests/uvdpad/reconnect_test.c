// SPDX-License-Identifier: GPL-2.0
/*
 * A daemon that dies or is upgraded loses no acknowledged write: uvdpad
 * killed with SIGKILL at random moments under fio write+verify and started
 * again with --reconnect, an upgrade in place with SIGUSR2 or uvdpactl under
 * load (the I/O pause is reported), and what happens to a disk whose daemon never
 * comes back.
 */
#include <linux/vduse.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"
#include "daemon/state_file.h"

#define KILL_CYCLES 10

FIXTURE(rc) {
	struct daemon d;
	char img[64];
	char dev[64];
	char state[128];
	char disk[32];
	pid_t load;
};

FIXTURE_VARIANT(rc) {
	const char *queues;
	const char *ring;
};

FIXTURE_VARIANT_ADD(rc, split_1q) {
	.queues = "1",
	.ring = "--split",
};

/* Packed chains in flight live on in the log alone: the ring loses them to used elements. */
FIXTURE_VARIANT_ADD(rc, packed_2q) {
	.queues = "2",
	.ring = "--packed",
};

FIXTURE_SETUP(rc)
{
	snprintf(self->img, sizeof(self->img), "/tmp/uvdpa-rc-%d.img", getpid());
	snprintf(self->d.name, sizeof(self->d.name), "ksft-rc%d", getpid());
	ASSERT_EQ(0, state_file_path(self->d.name, self->state, sizeof(self->state)));
	self->load = 0;
	unlink(self->img);
}

/* Whatever state a failed test left: no daemon, no device, no log. */
FIXTURE_TEARDOWN(rc)
{
	int fd;

	/* fio first, while a daemon still answers its requests, then the daemon. */
	if (self->load > 0) {
		kill(-self->load, SIGKILL);
		waitpid(self->load, NULL, 0);
	}
	if (self->d.pid)
		daemon_stop(&self->d, SIGTERM);
	daemon_close(&self->d);
	run("vdpa dev del %s 2>/dev/null", self->d.name);
	fd = open("/dev/vduse/control", O_RDWR);
	if (fd >= 0) {
		ioctl(fd, VDUSE_DESTROY_DEV, self->d.name);
		close(fd);
	}
	unlink(self->state);
	unlink(self->img);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(rc) *self,
		 const FIXTURE_VARIANT(rc) *variant, bool reconnect)
{
	const char *args[] = { "blk", "--name", self->d.name, "--file", self->img, "--size",
			       "64M", "--queues", variant->queues, variant->ring,
			       reconnect ? "--reconnect" : "--attach", "-v", NULL };
	char why[1024];
	int ret;

	ret = daemon_start(&self->d, self->d.name, args, why, sizeof(why));
	if (ret) {
		TH_LOG("uvdpad did not get ready %s", why);
		return ret;
	}
	if (reconnect)
		return 0;
	/* Kept here: the next daemon's struct daemon starts empty. */
	ret = daemon_find_disk(&self->d, self->dev, sizeof(self->dev));
	snprintf(self->disk, sizeof(self->disk), "%s", self->d.disk);
	return ret;
}

/*
 * fio write+verify passes, one after another until SIGTERM: each pass
 * writes 4 MiB per queue at random and reads it all back checking crc32c.
 * Exits with the number of failed passes (0 expected).
 */
static pid_t start_load(const char *dev, const char *queues)
{
	pid_t pid = fork();
	int failed = 0;
	sigset_t term;

	if (pid)
		return pid;
	/* Its own process group, so that a failed test can end fio with it. */
	setpgid(0, 0);
	/* Held pending, and looked at between passes only: a pass cut short proves nothing. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	while (failed < 100) {
		sigset_t set;
		int sig = 0;

		failed += !!run("fio --name=v --filename=%s --ioengine=io_uring --direct=1 "
				"--rw=randwrite --bs=4k --iodepth=16 --size=4M --numjobs=%s "
				"--offset_increment=4M --verify=crc32c --do_verify=1 "
				"--verify_fatal=1 --output=/dev/null", dev, queues);
		if (sigpending(&set) == 0 && sigismember(&set, SIGTERM) &&
		    sigwait(&term, &sig) == 0)
			break;
	}
	_exit(failed);
}

/* Stop the load after its current pass: the number of failed passes, or -1. */
static int stop_load(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* uvdpactl, next to uvdpad. */
static const char *uvdpactl_path(void)
{
	static char path[PATH_MAX + 8];
	const char *d = uvdpad_path();

	/* ".../uvdpad" -> ".../uvdpactl" */
	snprintf(path, sizeof(path), "%.*sctl", (int)strlen(d) - 1, d);
	return path;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Wait (bounded) until the disk completed @n more requests than @since. */
static bool wait_ios(const char *disk, long long since, long long n, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (disk_ios(disk) < since + n) {
		if (now_ms() > end)
			return false;
		usleep(2000);
	}
	return true;
}

TEST_F_TIMEOUT(rc, kill9_under_fio_verify, 400)
{
	unsigned int seed = getenv("UVDPA_SEED") ? atoi(getenv("UVDPA_SEED")) : time(NULL);
	long long t0 = now_ms(), ios;
	int i, failed;

	ksft_print_msg("kill9_under_fio_verify: seed %u (UVDPA_SEED=%u to repeat)\n", seed, seed);
	srand(seed);
	ASSERT_EQ(0, start(_metadata, self, variant, false));
	self->load = start_load(self->dev, variant->queues);
	ASSERT_LT(0, self->load);
	for (i = 0; i < KILL_CYCLES; i++) {
		/* A random moment once I/O flows: 0 to 400 ms after 16 completions. */
		ios = disk_ios(self->disk);
		ASSERT_TRUE(wait_ios(self->disk, ios, 16, 60000));
		usleep(1000 * (rand() % 400));
		ASSERT_EQ(-1, daemon_stop(&self->d, SIGKILL));
		daemon_close(&self->d);
		ASSERT_EQ(0, start(_metadata, self, variant, true)) TH_LOG("cycle %d", i);
	}
	ios = disk_ios(self->disk);
	ASSERT_TRUE(wait_ios(self->disk, ios, 16, 60000));
	failed = stop_load(self->load);
	self->load = 0;
	EXPECT_EQ(0, failed);
	ksft_print_msg("kill9_under_fio_verify: %d SIGKILL + --reconnect cycles in %lld ms, "
		       "%d failed fio verify passes\n", i, now_ms() - t0, failed);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	EXPECT_FALSE(path_exists("/dev/vduse/%s", self->d.name));
	EXPECT_FALSE(path_exists("%s", self->state));
}

/* The log a planned upgrade leaves: nothing in flight, marked clean. */
static void check_clean(struct __test_metadata *_metadata, const char *path, unsigned int nq)
{
	struct vq_log_hdr *h;
	struct stat st;
	unsigned int i;
	int fd = open(path, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	h = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, h);
	EXPECT_EQ(1, h->clean);
	EXPECT_EQ(nq, h->nr_queues);
	for (i = 0; i < nq; i++) {
		EXPECT_NE(0, h->vq[i].num);
		EXPECT_GT(0, vq_log_next(&h->vq[i], 0)) TH_LOG("queue %u has requests in flight", i);
	}
	munmap(h, st.st_size);
}

TEST_F_TIMEOUT(rc, planned_upgrade_under_fio, 300)
{
	long long t0, pause, worst = 0, sum = 0, ios;
	char out[256];
	int i, status;

	ASSERT_EQ(0, start(_metadata, self, variant, false));
	self->load = start_load(self->dev, variant->queues);
	ASSERT_LT(0, self->load);
	for (i = 0; i < 3; i++) {
		ios = disk_ios(self->disk);
		ASSERT_TRUE(wait_ios(self->disk, ios, 64, 60000));
		/* From the request to the first one the new daemon completes. */
		t0 = now_ms();
		if (i == 1) {
			/* uvdpactl upgrade does what SIGUSR2 does. */
			ASSERT_EQ(0, run("%s upgrade %s >/dev/null", uvdpactl_path(), self->d.name));
			ASSERT_EQ(self->d.pid, waitpid(self->d.pid, &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			self->d.pid = 0;
		} else {
			ASSERT_EQ(0, daemon_stop(&self->d, SIGUSR2));
		}
		read_all(self->d.out, out, sizeof(out));
		EXPECT_NE(NULL, strstr(out, "--reconnect")) TH_LOG("%s", out);
		check_clean(_metadata, self->state, atoi(variant->queues));
		daemon_close(&self->d);
		ios = disk_ios(self->disk);
		ASSERT_EQ(0, start(_metadata, self, variant, true));
		ASSERT_TRUE(wait_ios(self->disk, ios, 1, 60000));
		pause = now_ms() - t0;
		ksft_print_msg("planned_upgrade_under_fio: upgrade %d by %s: I/O pause %lld ms\n",
			       i + 1, i == 1 ? "uvdpactl" : "SIGUSR2", pause);
		sum += pause;
		if (pause > worst)
			worst = pause;
	}
	EXPECT_EQ(0, stop_load(self->load));
	self->load = 0;
	ksft_print_msg("planned_upgrade_under_fio: I/O pause %lld ms average, %lld ms worst "
		       "over %d upgrades (TCG guest, ASan daemon)\n", sum / i, worst, i);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/* A new daemon with other options is refused and leaves the device alone. */
TEST_F_TIMEOUT(rc, reconnect_refuses_other_options, 120)
{
	char err[1024], moved[160];
	struct daemon other;
	int status;

	ASSERT_EQ(0, start(_metadata, self, variant, false));
	ASSERT_EQ(-1, daemon_stop(&self->d, SIGKILL));
	daemon_close(&self->d);
	ASSERT_EQ(0, daemon_spawn(&other, self->d.name, "blk", "--name", self->d.name,
				  "--file", self->img, "--size", "32M", "--queues",
				  variant->queues, variant->ring, "--reconnect", NULL));
	EXPECT_EQ(-ECHILD, daemon_wait_ready(&other, &status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	read_all(other.err, err, sizeof(err));
	EXPECT_NE(NULL, strstr(err, "saved with other options: its configuration")) TH_LOG("%s", err);
	daemon_close(&other);
	/* Without its log, the device cannot be resumed safely. */
	snprintf(moved, sizeof(moved), "%s.moved", self->state);
	ASSERT_EQ(0, rename(self->state, moved));
	ASSERT_EQ(0, daemon_spawn(&other, self->d.name, "blk", "--name", self->d.name,
				  "--file", self->img, "--size", "64M", "--queues",
				  variant->queues, variant->ring, "--reconnect", NULL));
	EXPECT_EQ(-ECHILD, daemon_wait_ready(&other, &status));
	read_all(other.err, err, sizeof(err));
	EXPECT_NE(NULL, strstr(err, "no saved state")) TH_LOG("%s", err);
	daemon_close(&other);
	ASSERT_EQ(0, rename(moved, self->state));
	/* The state and the device are still there for the right daemon. */
	ASSERT_EQ(0, start(_metadata, self, variant, true));
	EXPECT_EQ(0, run("dd if=%s of=/dev/null bs=64k count=16 iflag=direct status=none",
			 self->dev));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));

	/* Once it is gone, there is nothing to reconnect to. */
	ASSERT_EQ(0, daemon_spawn(&other, self->d.name, "blk", "--name", self->d.name,
				  "--file", self->img, "--reconnect", NULL));
	EXPECT_EQ(-ECHILD, daemon_wait_ready(&other, &status));
	read_all(other.err, err, sizeof(err));
	EXPECT_NE(NULL, strstr(err, "no such VDUSE device")) TH_LOG("%s", err);
	daemon_close(&other);
}

/*
 * The daemon dies and nobody restarts it. Nothing is in flight: removing
 * the device takes one message timeout (the reset the kernel sends goes
 * unanswered), after which I/O to the disk fails at once instead of
 * waiting forever. msg_timeout is lowered from its 30 s default to keep the
 * test short.
 */
TEST_F_TIMEOUT(rc, killed_not_restarted_then_removed, 120)
{
	long long t0, took;
	int fd, status;
	void *p = NULL;
	pid_t del;

	ASSERT_EQ(0, start(_metadata, self, variant, false));
	ASSERT_EQ(0, run("echo 3 > /sys/class/vduse/%s/msg_timeout", self->d.name));
	fd = open(self->dev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, daemon_stop(&self->d, SIGKILL));
	t0 = now_ms();
	del = fork();
	ASSERT_LE(0, del);
	if (del == 0)
		_exit(run("vdpa dev del %s", self->d.name));
	ASSERT_EQ(del, waitpid(del, &status, 0));
	took = now_ms() - t0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_FALSE(path_exists("/sys/bus/vdpa/devices/%s", self->d.name));
	/*
	 * The disk is gone: a descriptor still open reads nothing (capacity 0)
	 * and cannot write; the node cannot be opened again.
	 */
	ASSERT_EQ(0, posix_memalign(&p, 4096, 4096));
	EXPECT_GE(0, pread(fd, p, 4096, 0));
	EXPECT_EQ(-1, pwrite(fd, p, 4096, 0));
	free(p);
	close(fd);
	EXPECT_EQ(-1, open(self->dev, O_RDONLY));
	ksft_print_msg("killed_not_restarted_then_removed: vdpa dev del took %lld ms with "
		       "msg_timeout 3 s\n", took);
}

/*
 * The daemon ended by a failure of its own (a fault point of the test
 * build, util/fault.h, in UVDPA_FAULT): exit status 1 and one line saying
 * what failed (@want), read from its stderr.
 */
static void died_of(struct __test_metadata *_metadata, FIXTURE_DATA(rc) *self,
		    const char *want)
{
	char err[16384];
	const char *fatal;
	int status;

	ASSERT_EQ(0, wait_exit(self->d.pid, 120000, &status));
	self->d.pid = 0;
	read_all(self->d.err, err, sizeof(err));
	daemon_close(&self->d);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) TH_LOG("status %#x", status);
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("stderr: %s", err);
	fatal = strstr(err, "; exiting");
	EXPECT_TRUE(fatal && !strstr(fatal + 1, "; exiting")) TH_LOG("one line: %s", err);
}

/* Start a daemon with UVDPA_FAULT=@spec. */
static int start_faulty(struct __test_metadata *_metadata, FIXTURE_DATA(rc) *self,
			const FIXTURE_VARIANT(rc) *variant, const char *spec)
{
	int ret;

	setenv("UVDPA_FAULT", spec, 1);
	ret = start(_metadata, self, variant, false);
	unsetenv("UVDPA_FAULT");
	return ret;
}

/*
 * A worker's io_uring fails under fio write+verify: the daemon ends (no
 * worker left waiting on a dead one), a new one with --reconnect carries
 * on, and every pass verifies.
 */
TEST_F_TIMEOUT(rc, worker_failure_ends_the_daemon_reconnect_resumes, 300)
{
	long long ios;

	ASSERT_EQ(0, start_faulty(_metadata, self, variant, "worker-ring:3000"));
	self->load = start_load(self->dev, variant->queues);
	ASSERT_LT(0, self->load);
	died_of(_metadata, self, ": io_uring: Input/output error; exiting");
	ASSERT_EQ(0, start(_metadata, self, variant, true));
	ios = disk_ios(self->disk);
	ASSERT_TRUE(wait_ios(self->disk, ios, 16, 60000));
	EXPECT_EQ(0, stop_load(self->load));
	self->load = 0;
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/*
 * The VDUSE control thread fails on the kernel's first message (sent
 * while the device attaches): the daemon ends instead of leaving the
 * kernel waiting on a daemon that looks alive; a new one with --reconnect
 * takes the device over.
 */
TEST_F_TIMEOUT(rc, control_thread_failure_ends_the_daemon, 200)
{
	const char *args[] = { "blk", "--name", self->d.name, "--file", self->img, "--size",
			       "64M", "--queues", variant->queues, variant->ring, "--attach", NULL };
	char err[16384];
	int status = 0;

	setenv("UVDPA_FAULT", "control-msg:1", 1);
	ASSERT_EQ(0, daemon_spawnv(&self->d, self->d.name, args));
	unsetenv("UVDPA_FAULT");
	EXPECT_EQ(-ECHILD, daemon_wait_ready(&self->d, &status));
	read_all(self->d.err, err, sizeof(err));
	daemon_close(&self->d);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) TH_LOG("status %#x", status);
	EXPECT_STREQ("uvdpad: control: message from the kernel: Input/output error; exiting\n",
		     err);
	/* The device is still there for a new daemon, which takes it over and ends it. */
	ASSERT_EQ(0, start(_metadata, self, variant, true));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_HARNESS_MAIN
