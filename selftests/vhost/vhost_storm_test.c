// SPDX-License-Identifier: GPL-2.0
/*
 * A driver that re-posts every request the moment it sees it used, on a
 * device whose requests complete at once (the null backend) and which
 * publishes each used element before its next pop (the in-flight log): the
 * queue never runs dry. uvdpad must still give its worker's other work its
 * turn: while the storm goes on, the other queue of the same worker serves
 * each request within a second, `uvdpactl stats` answers within a second, a
 * device reset completes within a second, and SIGTERM ends the daemon within
 * a few (EXIT_MS).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <linux/virtio_blk.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"
#include "vduse/vdpa_bus.h"
#include "vhost_guest.h"

#define MiB (1024 * 1024ULL)
#define QSIZE 256
/* Three descriptors each, handed out in ring order (vhost_guest.c). */
#define STORM_REQS (QSIZE / 3)
#define STORM_MS 2000
#define ANSWER_MS 1000
/*
 * The exit is the reset the closed vhost fd causes, the device's removal and
 * the sanitizer build's leak scan: 0.4 to 0.9 s with the host idle, 1.9 to
 * 2.6 s with five TCG guests on its two cores. The bound is that the storm
 * does not hold the exit, not how fast TCG is.
 */
#define EXIT_MS 5000
/* Looks at the used ring this often without news before it kicks. */
#define IDLE_SPINS 1000

FIXTURE(storm) {
	struct daemon d;
	struct vg g;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	atomic_ullong reposted;
	long long t0;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The hostile driver of queue 0, alone on CPU 1 as a guest's vCPU would be
 * (everything else is on CPU 0). It kicks only when nothing was used for a
 * while (the device went to sleep): a kick per re-post would slow it down
 * more than the device.
 */
static void *storm(void *arg)
{
	FIXTURE_DATA(storm) *self = arg;
	unsigned int n, idle = 0;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	while (!atomic_load(&self->stop)) {
		n = vg_repost_used(&self->g, 0);
		if (n) {
			atomic_fetch_add(&self->reposted, n);
			idle = 0;
		} else if (++idle == IDLE_SPINS) {
			vg_kick(&self->g, 0);
			idle = 0;
		}
	}
	return NULL;
}

static void storm_stop(FIXTURE_DATA(storm) *self)
{
	if (!self->running)
		return;
	atomic_store(&self->stop, true);
	pthread_join(self->thread, NULL);
	self->running = false;
}

/* Both queues up, and queue 0 full of reads and storming: many rings' worth gone round. */
static int storm_start(FIXTURE_DATA(storm) *self)
{
	long long deadline = now_ms() + 20000;
	uint8_t *status;
	uint64_t iova;
	unsigned int i;
	int ret;

	ret = vg_start(&self->g, 0, 2, QSIZE, 0, true);
	if (ret)
		return ret;
	vg_alloc(&self->g, 0, 4096, 4096, &iova);
	for (i = 0; i < STORM_REQS; i++) {
		ret = vg_blk_post(&self->g, 0, VIRTIO_BLK_T_IN, i * 8, iova, 4096, false, 0,
				  &status);
		if (ret < 0)
			return ret;
	}
	atomic_store(&self->stop, false);
	atomic_store(&self->reposted, 0);
	ret = -pthread_create(&self->thread, NULL, storm, self);
	if (ret)
		return ret;
	self->running = true;
	while (atomic_load(&self->reposted) < 10 * QSIZE) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
	return 0;
}

FIXTURE_SETUP(storm)
{
	const char *args[] = { "blk", "--name", self->d.name, "--backend", "null", "--size", "64M",
			       "--queues", "2", "--workers", "1", "--split", "--attach", "vhost",
			       NULL };
	char dev[32], path[64], why[1024];
	cpu_set_t cpus;

	/* The test VM has two CPUs: the daemon and this thread on the first. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	self->t0 = now_ms();
	snprintf(self->d.name, sizeof(self->d.name), "ksft-st%d", getpid());
	self->g.fd = -1;
	ASSERT_EQ(0, daemon_start(&self->d, self->d.name, args, why, sizeof(why))) {
		TH_LOG("uvdpad did not get ready %s", why);
	}
	ASSERT_EQ(0, vdpa_bus_vhost_dev(self->d.name, dev, sizeof(dev)));
	snprintf(path, sizeof(path), "/dev/%s", dev);
	ASSERT_EQ(0, vg_open(&self->g, path));
	ASSERT_EQ(0, vg_add_region(&self->g, 0, 8 * MiB));
	ASSERT_EQ(0, storm_start(self));
}

FIXTURE_TEARDOWN(storm)
{
	storm_stop(self);
	vg_close(&self->g);
	daemon_close(&self->d);
}

TEST_F_TIMEOUT(storm, the_worker_still_serves_everything_else, 120)
{
	long long t, worst = 0, start = now_ms(), stats_ms, reset_ms, exit_ms, served;
	char reply[8192], *p;
	unsigned int done = 0;
	uint64_t iova;
	int status, ret;

	/* The other queue of the same worker: one request at a time, each answered in time. */
	vg_alloc(&self->g, 0, 4096, 4096, &iova);
	while (now_ms() - start < STORM_MS) {
		t = now_ms();
		ASSERT_EQ(VIRTIO_BLK_S_OK, vg_blk_rw(&self->g, 1, VIRTIO_BLK_T_OUT, done * 8, iova,
						     4096, false, 0));
		t = now_ms() - t;
		worst = t > worst ? t : worst;
		done++;
	}
	EXPECT_GT(ANSWER_MS, worst);

	t = now_ms();
	EXPECT_EQ(0, ctl_call(self->d.name, "stats", reply, sizeof(reply)));
	stats_ms = now_ms() - t;
	EXPECT_NE(NULL, strstr(reply, "\nok\n")) TH_LOG("reply: %s", reply);
	EXPECT_GT(ANSWER_MS, stats_ms);
	p = strstr(reply, "vq=0 ");
	p = p ? strstr(p, " completions=") : NULL;
	served = p ? atoll(p + strlen(" completions=")) : -1;
	EXPECT_LT(10 * QSIZE, served);

	t = now_ms();
	ASSERT_EQ(0, vg_set_status(&self->g, 0));
	reset_ms = now_ms() - t;
	EXPECT_GT(ANSWER_MS, reset_ms);
	storm_stop(self);

	/* Again, and SIGTERM: the guest lets go (which resets the device) while it storms. */
	ASSERT_EQ(0, storm_start(self));
	t = now_ms();
	ASSERT_EQ(0, kill(self->d.pid, SIGTERM));
	close(self->g.fd);
	self->g.fd = -1;
	ret = wait_exit(self->d.pid, 60000, &status);
	exit_ms = now_ms() - t;
	ASSERT_EQ(0, ret);
	self->d.pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("status %#x", status);
	EXPECT_GT(EXIT_MS, exit_ms);
	TH_LOG("storm: %lld chains on queue 0; queue 1: %u requests, the slowest %lld ms; "
	       "stats %lld ms, reset %lld ms, SIGTERM to exit %lld ms; %lld ms in all", served,
	       done, worst, stats_ms, reset_ms, exit_ms,
	       now_ms() - self->t0);
}

TEST_HARNESS_MAIN
