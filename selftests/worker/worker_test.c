// SPDX-License-Identifier: GPL-2.0
/*
 * The worker without VDUSE: a real worker thread serves a split ring that a
 * driver (../ring/ring_driver.h) builds in plain memory, through a fake
 * transport (struct worker_ops) that records interrupts, kicks at queues
 * that are not running, and driver errors. Kicks go in through the queue's
 * kick eventfd, as the kernel's would; every wait is on an eventfd the fake
 * transport writes from the worker's thread, never on time.
 *
 * The device model copies what the driver wrote into what it may write,
 * after a round through the worker's io_uring (a NOP), so that requests
 * finish through the model's complete() as real I/O does.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "kselftest_harness.h"
#include "util/efd.h"
#include "worker/worker.h"
#include "../ring/ring_driver.h"

#define NUM 8
#define CHAINS (NUM / 2)	/* submit() takes two descriptors */
#define NR_QUEUES 2
#define MAX_IOV 4
#define BUF 64
/* Only a worker that is broken waits this long: the tests wait on eventfds. */
#define HANG_MS 5000

/* ---- the device model ---- */

struct copy_req {
	struct dev_req req;
	struct iovec iov[MAX_IOV];
};

static void copy_req_init(void *dev, struct dev_req *req)
{
	struct copy_req *r = (struct copy_req *)req;

	req->chain.iov = r->iov;
	req->chain.max_iov = MAX_IOV;
}

/*
 * Nothing writable is a request with no room for an answer; data the device
 * cannot reach is answered with nothing copied.
 */
static int copy_start(void *dev, struct dev_req *req, struct be_ctx *ctx)
{
	struct io_uring_sqe *sqe;

	if (!req->chain.in_len) {
		req->why = "nothing device-writable";
		return -EPROTO;
	}
	sqe = req->chain.bad ? NULL : be_sqe_req(ctx, (uintptr_t)req);
	if (!sqe) {
		req->used_len = 0;
		return 0;
	}
	io_uring_prep_nop(sqe);
	return 1;
}

/* Readable bytes, in order, into the writable iovecs: used_len is what fit. */
static int copy_complete(void *dev, struct dev_req *req, int res, struct be_ctx *ctx)
{
	struct vq_chain *c = &req->chain;
	unsigned int in = c->out_num, out = 0;
	size_t in_off = 0, out_off = 0;

	req->used_len = 0;
	while (out < c->out_num && in < c->out_num + c->in_num) {
		size_t n = c->iov[out].iov_len - out_off;

		if (n > c->iov[in].iov_len - in_off)
			n = c->iov[in].iov_len - in_off;
		memcpy((char *)c->iov[in].iov_base + in_off,
		       (char *)c->iov[out].iov_base + out_off, n);
		req->used_len += n;
		out_off += n;
		in_off += n;
		if (out_off == c->iov[out].iov_len) {
			out++;
			out_off = 0;
		}
		if (in_off == c->iov[in].iov_len) {
			in++;
			in_off = 0;
		}
	}
	return 0;
}

static const struct dev_model copy_model = {
	.req_size = sizeof(struct copy_req),
	.req_init = copy_req_init,
	.start = copy_start,
	.complete = copy_complete,
};

/* ---- the fake transport ---- */

struct fake {
	/* Written once per call, on the worker's thread. */
	int irq_fd;
	int kicked_fd;
	int error_fd;
	atomic_uint irqs[NR_QUEUES];
	atomic_uint kicked[NR_QUEUES];
	atomic_uint errors[NR_QUEUES];
};

static void signal_fd(int fd)
{
	if (efd_signal(fd))
		abort();
}

static int fake_inject_irq(void *ctx, unsigned int index)
{
	struct fake *f = ctx;

	if (index >= NR_QUEUES)
		abort();
	f->irqs[index]++;
	signal_fd(f->irq_fd);
	return 0;
}

static void fake_queue_kicked(void *ctx, unsigned int index)
{
	struct fake *f = ctx;

	if (index >= NR_QUEUES)
		abort();
	f->kicked[index]++;
	signal_fd(f->kicked_fd);
}

/* Nothing logged: the count is what the tests look at. */
static bool fake_driver_error(void *ctx, unsigned int index)
{
	struct fake *f = ctx;

	if (index >= NR_QUEUES)
		abort();
	f->errors[index]++;
	signal_fd(f->error_fd);
	return false;
}

static const struct worker_ops fake_ops = {
	.inject_irq = fake_inject_irq,
	.queue_kicked = fake_queue_kicked,
	.driver_error = fake_driver_error,
};

/* 1 when @fd was written (and reset it), 0 after HANG_MS. */
static int wait_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, HANG_MS) == 1 && efd_take(fd);
}

/* ---- the fixture: one worker, queues 0 and 1, queue 0 on the driver's ring ---- */

FIXTURE(worker) {
	struct drv d;
	struct fake f;
	struct worker *w;
	unsigned int next_data;
};

FIXTURE_SETUP(worker)
{
	struct vq_state st = { 0 };

	memset(&self->f, 0, sizeof(self->f));
	self->next_data = 0;
	ASSERT_EQ(0, drv_init(&self->d, NUM, 1ULL << VIRTIO_F_VERSION_1, 2 * NUM * BUF));
	drv_set_cb(&self->d, true);
	self->f.irq_fd = eventfd(0, EFD_CLOEXEC);
	self->f.kicked_fd = eventfd(0, EFD_CLOEXEC);
	self->f.error_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->f.irq_fd);
	ASSERT_LE(0, self->f.kicked_fd);
	ASSERT_LE(0, self->f.error_fd);
	ASSERT_EQ(0, worker_new(&self->w, &copy_model, NULL, 0, NR_QUEUES));
	ASSERT_EQ(0, worker_run(self->w));
	worker_set_transport(self->w, &fake_ops, &self->f, self->d.xlate);
	worker_queue_config(self->w, 0, &self->d.cfg, &st);
	worker_start(self->w);
}

FIXTURE_TEARDOWN(worker)
{
	worker_free(self->w);
	close(self->f.irq_fd);
	close(self->f.kicked_fd);
	close(self->f.error_fd);
	drv_fini(&self->d);
}

/* Make a chain available: @text readable, BUF bytes writable. Its head. */
static int submit(struct drv *d, unsigned int *next_data, const char *text)
{
	uint64_t out = d->data_iova + (*next_data % (2 * NUM)) * BUF;
	uint64_t in = out + BUF;
	struct drv_seg s[2] = {
		{ .iova = out, .len = strlen(text) },
		{ .iova = in, .len = BUF, .write = true },
	};

	*next_data += 2;
	memcpy(drv_ptr(d, out), text, strlen(text));
	memset(drv_ptr(d, in), 0, BUF);
	return drv_add(d, s, 2, false);
}

static void kick(struct worker *w, unsigned int index)
{
	signal_fd(worker_queue_kick_fd(w, index));
}

/* Reap one used buffer, as an interrupt handler would, and check what the model wrote. */
static void reap(struct __test_metadata *_metadata, struct drv *d, int head, const char *text)
{
	uint16_t id;
	uint32_t len;

	ASSERT_EQ(1, drv_get_used(d, &id, &len));
	EXPECT_EQ(head, id);
	EXPECT_EQ(strlen(text), len);
	/* The writable segment follows the readable one (submit()). */
	EXPECT_EQ(0, memcmp(text, drv_ptr(d, le64toh(d->desc[d->next[id]].addr)), strlen(text)));
}

/* One request, one kick in, one interrupt out, counted by the policy too. */
TEST_F(worker, kick_in_interrupt_out)
{
	struct uvdpa_nf_stats s;
	int head = submit(&self->d, &self->next_data, "hello, worker");

	ASSERT_LE(0, head);
	ASSERT_TRUE(drv_kick(&self->d));
	kick(self->w, 0);
	ASSERT_EQ(1, wait_fd(self->f.irq_fd));
	reap(_metadata, &self->d, head, "hello, worker");
	EXPECT_EQ(1, self->f.irqs[0]);
	EXPECT_EQ(0, self->f.irqs[1]);
	EXPECT_EQ(0, self->f.kicked[0]);
	EXPECT_EQ(0, self->f.errors[0]);
	/* The policy counts the interrupt after the transport sends it: read once stopped. */
	worker_stop(self->w);
	worker_queue_stats(self->w, 0, &s);
	EXPECT_EQ(1, s.kicks);
	EXPECT_EQ(1, s.completions);
	EXPECT_EQ(1, s.irqs);
}

/* A ring full of chains in one kick: every chain comes back, each with its own data. */
TEST_F(worker, full_ring_in_one_kick)
{
	static const char *const texts[CHAINS] = { "a", "bb", "ccc", "dddd" };
	int heads[CHAINS];
	unsigned int i, got = 0;
	uint16_t id;
	uint32_t len;

	for (i = 0; i < CHAINS; i++) {
		heads[i] = submit(&self->d, &self->next_data, texts[i]);
		ASSERT_LE(0, heads[i]);
	}
	/* Every descriptor is taken. */
	ASSERT_GT(0, submit(&self->d, &self->next_data, "no room"));
	drv_kick(&self->d);
	kick(self->w, 0);
	while (got < CHAINS) {
		ASSERT_EQ(1, wait_fd(self->f.irq_fd));
		while (drv_get_used(&self->d, &id, &len) == 1) {
			for (i = 0; i < CHAINS && heads[i] != id; i++)
				;
			ASSERT_GT(CHAINS, i);
			EXPECT_EQ(strlen(texts[i]), len);
			heads[i] = -1;
			got++;
		}
	}
	EXPECT_GE(CHAINS, self->f.irqs[0]);
}

/*
 * Stopped, the worker keeps where the queue stood; a kick then is reported
 * to the transport, and the chain it announced is served after the start.
 */
TEST_F(worker, stop_snapshot_start)
{
	struct vq_state st;
	int head, i;

	for (i = 0; i < 3; i++) {
		head = submit(&self->d, &self->next_data, "before");
		drv_kick(&self->d);
		kick(self->w, 0);
		ASSERT_EQ(1, wait_fd(self->f.irq_fd));
		reap(_metadata, &self->d, head, "before");
	}
	worker_stop(self->w);
	worker_queue_state(self->w, 0, &st);
	EXPECT_EQ(3, st.avail_idx);
	EXPECT_TRUE(worker_queue_configured(self->w, 0));

	head = submit(&self->d, &self->next_data, "while stopped");
	drv_kick(&self->d);
	kick(self->w, 0);
	ASSERT_EQ(1, wait_fd(self->f.kicked_fd));
	EXPECT_EQ(1, self->f.kicked[0]);
	EXPECT_EQ(3, self->f.irqs[0]);

	worker_queue_config(self->w, 0, &self->d.cfg, &st);
	worker_start(self->w);
	ASSERT_EQ(1, wait_fd(self->f.irq_fd));
	reap(_metadata, &self->d, head, "while stopped");
	worker_stop(self->w);
	worker_queue_state(self->w, 0, &st);
	EXPECT_EQ(4, st.avail_idx);
}

/*
 * A queue the transport did not configure: its kick is reported with its
 * index (a driver enabling it late); once configured, it is served.
 */
TEST_F(worker, queue_enabled_late)
{
	struct vq_state st = { 0 };
	int head;

	EXPECT_FALSE(worker_queue_configured(self->w, 1));
	kick(self->w, 1);
	ASSERT_EQ(1, wait_fd(self->f.kicked_fd));
	EXPECT_EQ(1, self->f.kicked[1]);
	EXPECT_EQ(0, self->f.kicked[0]);

	/* The driver's one ring moves to queue 1. */
	worker_stop(self->w);
	worker_queue_config(self->w, 0, NULL, NULL);
	EXPECT_FALSE(worker_queue_configured(self->w, 0));
	worker_queue_config(self->w, 1, &self->d.cfg, &st);
	EXPECT_TRUE(worker_queue_configured(self->w, 1));
	worker_start(self->w);
	head = submit(&self->d, &self->next_data, "late");
	drv_kick(&self->d);
	kick(self->w, 1);
	ASSERT_EQ(1, wait_fd(self->f.irq_fd));
	reap(_metadata, &self->d, head, "late");
	EXPECT_EQ(1, self->f.irqs[1]);
	EXPECT_EQ(0, self->f.irqs[0]);
}

/*
 * A readable descriptor after a writable one: the transport hears of a
 * driver error once, the queue serves nothing more until it is configured
 * and started again (what a reset does).
 */
TEST_F(worker, driver_error_stops_the_queue)
{
	struct drv_seg bad[2] = {
		{ .iova = self->d.data_iova, .len = 16, .write = true },
		{ .iova = self->d.data_iova, .len = 16 },
	};
	struct vq_state st = { 0 };
	int head;

	ASSERT_LE(0, drv_add(&self->d, bad, 2, false));
	drv_kick(&self->d);
	kick(self->w, 0);
	ASSERT_EQ(1, wait_fd(self->f.error_fd));
	EXPECT_EQ(1, self->f.errors[0]);

	/* Still broken: a good chain behind the bad one is not served. */
	submit(&self->d, &self->next_data, "ignored");
	drv_kick(&self->d);
	kick(self->w, 0);
	worker_stop(self->w);
	EXPECT_EQ(0, self->f.irqs[0]);
	EXPECT_EQ(1, self->f.errors[0]);

	/* The driver resets: fresh ring, fresh start. */
	drv_fini(&self->d);
	ASSERT_EQ(0, drv_init(&self->d, NUM, 1ULL << VIRTIO_F_VERSION_1, 2 * NUM * BUF));
	drv_set_cb(&self->d, true);
	worker_queue_config(self->w, 0, &self->d.cfg, &st);
	worker_start(self->w);
	head = submit(&self->d, &self->next_data, "after reset");
	drv_kick(&self->d);
	kick(self->w, 0);
	ASSERT_EQ(1, wait_fd(self->f.irq_fd));
	reap(_metadata, &self->d, head, "after reset");
}

/* Data outside the driver's memory: answered (nothing copied), and the queue goes on. */
TEST_F(worker, unreachable_data_answered)
{
	struct drv_seg bad[2] = {
		{ .iova = 0x1000, .len = 16 },
		{ .iova = self->d.data_iova, .len = BUF, .write = true },
	};
	uint32_t len[2];
	uint16_t id[2];
	int head, bad_head, got = 0;

	bad_head = drv_add(&self->d, bad, 2, false);
	ASSERT_LE(0, bad_head);
	head = submit(&self->d, &self->next_data, "behind it");
	drv_kick(&self->d);
	kick(self->w, 0);
	while (got < 2)
		if (drv_get_used(&self->d, &id[got], &len[got]) == 1)
			got++;
		else
			ASSERT_EQ(1, wait_fd(self->f.irq_fd));
	EXPECT_EQ(bad_head, id[0]);
	EXPECT_EQ(0, len[0]);
	EXPECT_EQ(head, id[1]);
	EXPECT_EQ(strlen("behind it"), len[1]);
	EXPECT_EQ(0, self->f.errors[0]);
}

/*
 * A request the model cannot answer (start() fails): one driver error, the
 * request never completed, the queue stopped until the reset.
 */
TEST_F(worker, unanswerable_request_stops_the_queue)
{
	struct drv_seg ro = { .iova = self->d.data_iova, .len = 16 };
	uint32_t len;
	uint16_t id;

	ASSERT_LE(0, drv_add(&self->d, &ro, 1, false));
	submit(&self->d, &self->next_data, "ignored");
	drv_kick(&self->d);
	kick(self->w, 0);
	ASSERT_EQ(1, wait_fd(self->f.error_fd));
	worker_stop(self->w);
	EXPECT_EQ(1, self->f.errors[0]);
	EXPECT_EQ(0, self->f.irqs[0]);
	EXPECT_EQ(0, drv_get_used(&self->d, &id, &len));
}

/*
 * A driver that makes every chain available again as soon as it is popped,
 * with requests that complete at once: the queue never runs dry, and still
 * the worker answers a command, and a stop drains and ends.
 */
struct storm {
	struct drv d;
	atomic_uint served;
};

static int storm_start(void *dev, struct dev_req *req, struct be_ctx *ctx)
{
	struct storm *s = dev;
	struct drv *d = &s->d;

	d->avail->ring[d->avail_idx & (d->num - 1)] = htole16(req->chain.id);
	__atomic_store_n(&d->avail->idx, htole16(++d->avail_idx), __ATOMIC_RELEASE);
	s->served++;
	req->used_len = 0;
	return 0;
}

static const struct dev_model storm_model = {
	.req_size = sizeof(struct copy_req),
	.req_init = copy_req_init,
	.start = storm_start,
	.complete = copy_complete,
};

static void *stop_worker(void *arg)
{
	struct worker *w = arg;

	worker_set_filter(w, NULL);
	worker_stop(w);
	return NULL;
}

TEST(storm_does_not_hold_the_worker)
{
	struct fake f = { .irq_fd = eventfd(0, EFD_CLOEXEC), .kicked_fd = eventfd(0, EFD_CLOEXEC),
			  .error_fd = eventfd(0, EFD_CLOEXEC) };
	struct vq_state st = { 0 };
	struct storm s = { 0 };
	unsigned int next = 0, before;
	struct timespec deadline;
	struct worker *w;
	pthread_t t;

	ASSERT_LE(0, f.irq_fd);
	ASSERT_LE(0, f.kicked_fd);
	ASSERT_LE(0, f.error_fd);
	ASSERT_EQ(0, drv_init(&s.d, NUM, 1ULL << VIRTIO_F_VERSION_1, 2 * NUM * BUF));
	ASSERT_EQ(0, worker_new(&w, &storm_model, &s, 0, NR_QUEUES));
	ASSERT_EQ(0, worker_run(w));
	worker_set_transport(w, &fake_ops, &f, s.d.xlate);
	worker_queue_config(w, 0, &s.d.cfg, &st);
	worker_start(w);
	ASSERT_LE(0, submit(&s.d, &next, "again"));
	drv_kick(&s.d);
	kick(w, 0);
	/* Interrupts go out at the end of a turn: the storm goes on across turns. */
	while (s.served < 100 * NUM)
		ASSERT_EQ(1, wait_fd(f.irq_fd)) {
			TH_LOG("no turn ended after %u chains", s.served);
		}
	before = s.served;
	ASSERT_EQ(0, pthread_create(&t, NULL, stop_worker, w));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HANG_MS / 1000;
	ASSERT_EQ(0, pthread_timedjoin_np(t, NULL, &deadline)) {
		TH_LOG("worker_stop() still waits after %d ms, %u chains served", HANG_MS,
		       s.served);
	}
	EXPECT_LT(before, s.served);
	EXPECT_EQ(0, f.errors[0]);
	worker_free(w);
	close(f.irq_fd);
	close(f.kicked_fd);
	close(f.error_fd);
	drv_fini(&s.d);
}

/*
 * A worker that can no longer serve ends the process with one line and
 * status 1 (log_fatal()). Each case runs @fn in a child with UVDPA_FAULT
 * set to @spec (the test build's fault points, util/fault.h) and checks the
 * status and that stderr is exactly one line holding @want.
 */
static void dies(struct __test_metadata *_metadata, void (*fn)(void), const char *spec,
		 const char *want)
{
	char err[1024] = "";
	int pipefd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		setenv("UVDPA_FAULT", spec, 1);
		fn();
		/* Still alive: not what is tested. */
		_exit(0);
	}
	close(pipefd[1]);
	/* EOF when the child is gone; HANG_MS keeps a child that lives on from hanging us. */
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

		ASSERT_EQ(1, poll(&p, 1, HANG_MS)) {
			kill(pid, SIGKILL);
			TH_LOG("still running after %d ms", HANG_MS);
		}
		n = read(pipefd[0], err + len, sizeof(err) - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	err[len] = '\0';
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) TH_LOG("status %#x", status);
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("stderr: %s", err);
	EXPECT_EQ(len ? len - 1 : 0, strcspn(err, "\n")) TH_LOG("more than one line: %s", err);
}

/*
 * A worker with queue 0 on a driver's ring serves one request, then stops;
 * the fault comes from the environment. @started: written once the model
 * has the request.
 */
static int started = -1;

static void serve_one(const struct dev_model *model)
{
	struct fake f = { .irq_fd = eventfd(0, EFD_CLOEXEC), .kicked_fd = eventfd(0, EFD_CLOEXEC),
			  .error_fd = eventfd(0, EFD_CLOEXEC) };
	struct vq_state st = { 0 };
	unsigned int next = 0;
	struct worker *w;
	struct drv d;

	started = eventfd(0, EFD_CLOEXEC);
	if (drv_init(&d, NUM, 1ULL << VIRTIO_F_VERSION_1, 2 * NUM * BUF) ||
	    worker_new(&w, model, NULL, 0, NR_QUEUES) || worker_run(w))
		return;
	worker_set_name(w, "uvdpa-w0");
	worker_set_transport(w, &fake_ops, &f, d.xlate);
	worker_queue_config(w, 0, &d.cfg, &st);
	worker_start(w);
	submit(&d, &next, "one");
	drv_kick(&d);
	kick(w, 0);
	wait_fd(started);
	worker_stop(w);
	worker_free(w);
}

static int start_copy(void *dev, struct dev_req *req, struct be_ctx *ctx)
{
	signal_fd(started);
	return copy_start(dev, req, ctx);
}

static const struct dev_model started_model = {
	.req_size = sizeof(struct copy_req),
	.req_init = copy_req_init,
	.start = start_copy,
	.complete = copy_complete,
};

static void serve_copy(void)
{
	serve_one(&started_model);
}

TEST(io_uring_error_ends_the_process)
{
	dies(_metadata, serve_copy, "worker-ring:3",
	     "uvdpad: uvdpa-w0: io_uring: Input/output error; exiting");
}

/* The 4th SQE is the command eventfd's read again, after the first command. */
TEST(no_sqe_for_a_command_read_ends_the_process)
{
	dies(_metadata, serve_copy, "sqe:4",
	     "uvdpad: uvdpa-w0: cannot read its command eventfd again: no SQE; exiting");
}

/* A model that never returns from start(): the worker answers nothing more. */
static int stuck_start(void *dev, struct dev_req *req, struct be_ctx *ctx)
{
	signal_fd(started);
	pause();
	return 0;
}

static const struct dev_model stuck_model = {
	.req_size = sizeof(struct copy_req),
	.req_init = copy_req_init,
	.start = stuck_start,
	.complete = copy_complete,
};

static void serve_stuck(void)
{
	serve_one(&stuck_model);
}

TEST(stuck_worker_ends_the_process)
{
	dies(_metadata, serve_stuck, "call-timeout:300",
	     "uvdpad: uvdpa-w0: no answer to 'stop' in 300 ms; exiting");
}

/* Freed while a queue runs with requests made available: nothing leaks, nothing hangs. */
/* A filter program in C: it answers every run with the decision the test set. */
struct answer {
	struct nf_prog prog;
	/* Changed only while the worker runs no program: between its calls. */
	struct uvdpa_nf_decision dec;
};

static int answer_run(struct nf_prog *p, const struct uvdpa_nf_run *run)
{
	p->shm->vq[run->vq].dec = ((struct answer *)p)->dec;
	return 0;
}

/*
 * New parameters take effect at once: an interrupt held for 16 frames goes
 * out when the program, run again, says 1, not at its deadline (10 ms on).
 */
TEST_F(worker, new_parameters_apply_at_once)
{
	struct answer a = {
		.prog = { .name = "answer", .run = answer_run },
		.dec = { .defer_frames = 16, .defer_us = UVDPA_NF_MAX_DEFER_US,
			 .sample_frames = 4096, .sample_us = 100000 },
	};
	struct uvdpa_nf_stats s = { 0 };
	struct timespec t0, t;
	int head;

	a.prog.shm = calloc(1, sizeof(*a.prog.shm));
	ASSERT_NE(NULL, a.prog.shm);
	worker_set_filter(self->w, &a.prog);
	head = submit(&self->d, &self->next_data, "held");
	ASSERT_LE(0, head);
	ASSERT_TRUE(drv_kick(&self->d));
	kick(self->w, 0);
	/* Until the worker held the interrupt back: a counter, bounded. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		worker_queue_stats(self->w, 0, &s);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!s.deferred && (t.tv_sec - t0.tv_sec) * 1000 < HANG_MS);
	ASSERT_EQ(1, s.deferred);
	a.dec.defer_frames = 1;
	worker_params_changed(self->w);
	/* Sent on the worker's thread before the call returned. */
	EXPECT_EQ(1, self->f.irqs[0]);
	reap(_metadata, &self->d, head, "held");
	worker_set_filter(self->w, NULL);
	free(a.prog.shm);
}

struct asker {
	struct worker *w;
	unsigned int wrong;
};

/* The queues' state over and over: each answer must be in this caller's buffer. */
static void *ask(void *arg)
{
	struct worker_queue_info info[NR_QUEUES];
	struct asker *a = arg;
	unsigned int i;

	for (i = 0; i < 2000; i++) {
		memset(info, 0xff, sizeof(info));
		worker_queues_info(a->w, info);
		if (info[0].run != WORKER_QUEUE_RUNNING || info[0].size != NUM ||
		    info[1].run != WORKER_QUEUE_OFF)
			a->wrong++;
	}
	return NULL;
}

/* Callers on two threads at once: neither's argument is overwritten by the other's. */
TEST_F(worker, concurrent_callers_get_their_own_answers)
{
	struct asker a[2] = { { .w = self->w }, { .w = self->w } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, ask, &a[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, a[i].wrong) TH_LOG("caller %d", i);
	}
}

TEST_F(worker, free_while_running)
{
	unsigned int i;

	for (i = 0; i < CHAINS; i++)
		ASSERT_LE(0, submit(&self->d, &self->next_data, "x"));
	drv_kick(&self->d);
	kick(self->w, 0);
	worker_free(self->w);
	self->w = NULL;
}

TEST_HARNESS_MAIN
