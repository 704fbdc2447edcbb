// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "util/efd.h"
#include "util/fault.h"
#include "util/log.h"
#include "worker/worker_int.h"

/*
 * user_data of the worker's own reads; requests use their dev_req address,
 * which is at least 8-byte aligned, so the low bits tell them apart, and
 * backends their own tag (backend/be_ctx.h).
 */
#define TAG_KICK 1UL
#define TAG_CMD 2UL
#define TAG_TIMER 3UL	/* a queue's deferred-interrupt deadline */
#define TAG_MASK BE_UD_MASK

#define RING_ENTRIES 256
/*
 * How long worker_call() waits for the worker (a stop drains the requests
 * in flight): under VDUSE's 30 s message timeout, so that a daemon
 * restarted with --reconnect can still answer the message that waited.
 */
#define CALL_TIMEOUT_MS 20000

static void complete_req(struct be_ctx *ctx, uint64_t ud, int res);

static int arm_read(struct worker *w, int fd, uint64_t *buf, uintptr_t tag)
{
	struct io_uring_sqe *sqe = be_get_sqe(&w->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, buf, sizeof(*buf), 0);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

/* A worker deaf to its commands leaves the control thread waiting: end the daemon. */
static void rearm_cmd(struct worker *w, uintptr_t tag)
{
	if (arm_read(w, w->cmd_fd, &w->cmd_buf, tag))
		log_fatal("%s: cannot read its command eventfd again: no SQE", w->name);
}

/*
 * A kick is a wake-up of the queue's eventfd, which is never read: each
 * eventfd_signal() wakes the poll, one CQE per wake-up, and a read per kick
 * (an attempt, a poll arm, the retry, a new SQE) would cost about a fifth of
 * the daemon's instructions per I/O at queue depth 1. The count only grows,
 * and the kernel stops it at its maximum.
 */
static int arm_kick(struct worker *w, struct wq *q)
{
	struct io_uring_sqe *sqe = be_get_sqe(&w->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, q->kick_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, (uintptr_t)q | TAG_KICK);
	return 0;
}

int worker_new(struct worker **out, const struct dev_model *model, void *dev,
	       unsigned int first, unsigned int nr)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;
	unsigned int i;
	int ret;

	if (!w)
		return -ENOMEM;
	w->model = model;
	w->dev = dev;
	w->be_ctx = (struct be_ctx){ .ring = &w->ring, .complete = complete_req, .owner = w };
	w->first = first;
	w->nr_queues = nr;
	w->cmd_fd = -1;
	snprintf(w->name, sizeof(w->name), "worker");
	pthread_mutex_init(&w->call_lock, NULL);
	pthread_mutex_init(&w->lock, NULL);
	/* worker_call()'s deadline must not move with the wall clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->done_cond, &attr);
	pthread_condattr_destroy(&attr);
	ret = -ENOMEM;
	w->queues = calloc(nr, sizeof(*w->queues));
	if (!w->queues)
		goto err;
	for (i = 0; i < nr; i++) {
		w->queues[i].w = w;
		w->queues[i].index = first + i;
		w->queues[i].kick_fd = -1;
	}
	ret = io_uring_queue_init(RING_ENTRIES, &w->ring, 0);
	if (ret)
		goto err;
	w->ring_ready = true;
	w->cmd_fd = eventfd(0, EFD_CLOEXEC);
	if (w->cmd_fd < 0)
		goto err_errno;
	for (i = 0; i < nr; i++) {
		struct wq *q = &w->queues[i];

		nf_vq_init(&q->nf, q->index, NULL, 0, nf_now());
		q->kick_fd = eventfd(0, EFD_CLOEXEC);
		if (q->kick_fd < 0)
			goto err_errno;
		ret = arm_kick(w, q);
		if (ret)
			goto err;
	}
	ret = arm_read(w, w->cmd_fd, &w->cmd_buf, (uintptr_t)w | TAG_CMD);
	if (ret)
		goto err;
	*out = w;
	return 0;
err_errno:
	ret = -errno;
err:
	worker_free(w);
	return ret;
}

struct be_ctx *worker_be_ctx(struct worker *w)
{
	return &w->be_ctx;
}

/* A guest may break its rings at will: one line per device until its reset. */
static void driver_error(struct wq *q, const char *what, const char *why)
{
	const struct worker_transport *tp = &q->w->tp;

	/* Kept even when not logged: uvdpactl show says why the queue stopped. */
	snprintf(q->why, sizeof(q->why), "%s: %s", what, why);
	if (tp->ops && tp->ops->driver_error && !tp->ops->driver_error(tp->ctx, q->index))
		return;
	log_err("queue %u: %s: %s; stopped until the driver resets the device", q->index,
		what, why);
}

/* A call on the ring failed with @err: the field the driver got wrong. */
static void ring_error(struct wq *q, const char *what, int err)
{
	char why[160];

	driver_error(q, what, vq_strerror(&q->vq, err, why, sizeof(why)));
}

static void finish(struct wq *q, struct dev_req *req)
{
	int ret = vq_push(&q->vq, req->chain.token, req->used_len);

	if (!ret && q->log)
		q->done[q->nr_done++] = req->chain.id;
	if (ret && !q->broken) {
		ring_error(q, "cannot return a used buffer", ret);
		q->broken = true;
	}
	q->free[q->nr_free++] = req;
	q->inflight--;
	q->pushed = true;
	nf_completion(&q->nf);
	if (q->starved) {
		q->starved = false;
		q->again = true;
		q->w->again = true;
	}
}

/* Publish the used elements, then unmark them in the log: never the other way round. */
static void publish(struct wq *q)
{
	if (!q->log || !q->nr_done) {
		vq_publish(&q->vq);
		return;
	}
	vq_log_publish(&q->logger, &q->vq, q->done, q->nr_done);
	q->nr_done = 0;
}

static int wq_pop(struct dev_queue *dq, struct dev_req **reqp)
{
	struct wq *q = (struct wq *)dq;
	struct dev_req *req;
	int ret;

	if (!q->running || q->broken || q->w->stopping)
		return 0;
	if (!q->nr_free) {
		q->starved = true;
		return 0;
	}
	/*
	 * A driver that makes chains available as fast as they are served
	 * (they may complete at once) would keep the worker here for good.
	 */
	if (!q->budget) {
		q->again = true;
		q->w->again = true;
		return 0;
	}
	/*
	 * A driver may reuse a head as soon as its used element is published,
	 * whoever published it (an interrupt check does too): unmark it in the
	 * log before this pop can mark it again.
	 */
	if (q->log)
		publish(q);
	req = q->free[q->nr_free - 1];
	ret = vq_pop(&q->vq, &req->chain);
	if (ret < 0) {
		/* A hostile or broken driver: never abort, wait for the reset. */
		ring_error(q, "bad ring from the driver", ret);
		q->broken = true;
	}
	if (ret <= 0)
		return ret;
	if (q->log && vq_log_pop(&q->logger, &q->vq, &req->chain)) {
		char why[64];

		/* It overwrote descriptors still in flight: the log could not pop them again. */
		snprintf(why, sizeof(why), "more than %u descriptors in flight", q->cfg.num);
		driver_error(q, "bad ring from the driver", why);
		q->broken = true;
		return 0;
	}
	q->budget--;
	q->nr_free--;
	q->inflight++;
	req->owner = q;
	*reqp = req;
	return 1;
}

static void wq_push(struct dev_queue *dq, struct dev_req *req)
{
	finish((struct wq *)dq, req);
}

/*
 * Start @req (popped @again by a daemon taking over): finished at once,
 * under way, or unanswerable, which stops the queue.
 */
static void start_req(struct wq *q, struct dev_req *req, bool again)
{
	struct worker *w = q->w;
	bool packed = q->cfg.features & 1ULL << VIRTIO_F_RING_PACKED;
	char what[48];
	int ret;

	if (again && w->model->resumed)
		ret = w->model->resumed(w->dev, &q->dq, req, &w->be_ctx);
	else
		ret = w->model->start(w->dev, req, &w->be_ctx);
	if (!ret)
		finish(q, req);
	if (ret >= 0)
		return;
	snprintf(what, sizeof(what), "%s %u", packed ? "buffer ID" : "descriptor",
		 req->chain.id);
	if (!q->broken)
		driver_error(q, what, req->why);
	q->broken = true;
	/* Its slot is free again; the chain stays in flight until the reset. */
	q->free[q->nr_free++] = req;
	q->inflight--;
}

/*
 * Pop and start what the driver made available, at most a queue's worth
 * (wq_pop() leaves the rest for the next turn): the number of requests
 * popped (0 for a queue the model serves itself).
 */
static unsigned int process(struct wq *q)
{
	struct worker *w = q->w;
	unsigned int popped = 0;
	struct dev_req *req;

	if (!q->running || q->broken || w->stopping)
		return 0;
	q->budget = q->cfg.num;
	if (w->model->kick && w->model->kick(w->dev, &q->dq, &w->be_ctx))
		return 0;
	while (wq_pop(&q->dq, &req) > 0) {
		popped++;
		start_req(q, req, false);
	}
	return popped;
}

/*
 * A new daemon: pop the chains the log has in flight again, from their
 * heads, and start them over (a write done twice writes the same data).
 */
static int resubmit(struct wq *q)
{
	int id, ret;

	for (id = vq_log_next(q->log, 0); id >= 0 && q->nr_free && !q->broken;
	     id = vq_log_next(q->log, id + 1)) {
		struct dev_req *req = q->free[q->nr_free - 1];

		ret = vq_log_pop_again(&q->logger, &q->vq, id, &req->chain);
		if (ret < 0) {
			char why[128];

			snprintf(q->why, sizeof(q->why), "cannot pop a request in flight again: %s",
				 vq_strerror(&q->vq, ret, why, sizeof(why)));
			return ret;
		}
		q->nr_free--;
		q->inflight++;
		req->owner = q;
		start_req(q, req, true);
	}
	return 0;
}

static void queue_free(struct wq *q)
{
	if (q->log)
		vq_log_stop(&q->logger);
	free(q->slots);
	free(q->free);
	free(q->done);
	q->slots = NULL;
	q->free = NULL;
	q->done = NULL;
}

static int queue_start(struct wq *q)
{
	struct worker *w = q->w;
	unsigned int i, num = q->cfg.num;
	int ret;

	q->why[0] = '\0';
	ret = vq_init(&q->vq, &q->cfg, &w->tp.xlate);
	if (ret)
		return ret;
	if (q->resume) {
		char why[128] = "";

		ret = vq_log_recover(&q->logger, q->log, &q->vq, &q->state, why, sizeof(why));
		if (ret < 0) {
			snprintf(q->why, sizeof(q->why), "cannot resume from the in-flight log: %s",
				 why[0] ? why : strerror(-ret));
			log_err("queue %u: %s; stopped until reset", q->index, q->why);
			goto err_vq;
		}
	} else if (q->log) {
		ret = vq_log_start(&q->logger, q->log, &q->vq);
		if (ret)
			goto err_vq;
	}
	ret = vq_set_state(&q->vq, &q->state);
	if (ret)
		goto err_mem;
	ret = -ENOMEM;
	q->slots = calloc(num, w->model->req_size);
	q->free = calloc(num, sizeof(*q->free));
	q->done = calloc(num, sizeof(*q->done));
	if (!q->slots || !q->free || !q->done)
		goto err_mem;
	for (i = 0; i < num; i++) {
		struct dev_req *req = (struct dev_req *)(q->slots + i * w->model->req_size);

		w->model->req_init(w->dev, req);
		q->free[i] = req;
	}
	q->nr_free = num;
	q->inflight = 0;
	q->nr_done = 0;
	q->dq = (struct dev_queue){
		.index = q->index,
		.num = num,
		.features = q->cfg.features,
		.pop = wq_pop,
		.push = wq_push,
	};
	q->broken = false;
	q->running = true;
	return 0;
err_mem:
	queue_free(q);
err_vq:
	vq_fini(&q->vq);
	return ret;
}

static void queue_stop(struct wq *q)
{
	/* The driver is resetting the device: an interrupt held back now is moot. */
	nf_vq_reset(&q->nf);
	publish(q);
	vq_get_state(&q->vq, &q->state);
	vq_fini(&q->vq);
	queue_free(q);
	q->running = false;
}

static unsigned int inflight(const struct worker *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->nr_queues; i++)
		n += w->queues[i].inflight;
	return n;
}

static void fire(struct wq *q, bool by_timer, uint64_t now);

/*
 * One timeout in flight per queue; when it fires early it is armed again.
 * Without an SQE the interrupt goes now: early beats never.
 */
static void arm_timer(struct wq *q)
{
	struct io_uring_sqe *sqe;

	if (q->timer_armed)
		return;
	sqe = be_get_sqe(&q->w->ring);
	if (!sqe) {
		fire(q, false, nf_now());
		return;
	}
	q->timer_ts.tv_sec = q->nf.deadline / 1000000000ULL;
	q->timer_ts.tv_nsec = q->nf.deadline % 1000000000ULL;
	io_uring_prep_timeout(sqe, &q->timer_ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(sqe, (uintptr_t)q | TAG_TIMER);
	q->timer_armed = true;
}

static void fire(struct wq *q, bool by_timer, uint64_t now)
{
	const struct worker_transport *tp = &q->w->tp;
	bool sent;
	int ret;

	/* vq_need_interrupt() publishes too: the log must see it first. */
	publish(q);
	sent = vq_need_interrupt(&q->vq);
	if (sent) {
		ret = tp->ops->inject_irq(tp->ctx, q->index);
		if (ret)
			log_err("queue %u: cannot inject an interrupt: %s", q->index,
				strerror(-ret));
	}
	nf_fired(&q->nf, sent, by_timer, now);
}

static void apply(struct wq *q, enum nf_act act, bool by_timer, uint64_t now)
{
	if (act == NF_FIRE)
		fire(q, by_timer, now);
	else if (act == NF_DEFER)
		arm_timer(q);
}

/* Every queue runs its filter now: handed w->filter_next (@attach), or on new parameters. */
static void rerun_filter(struct worker *w, bool attach)
{
	uint64_t now = nf_now();
	unsigned int i;

	for (i = 0; i < w->nr_queues; i++) {
		struct wq *q = &w->queues[i];
		enum nf_act act = attach ? nf_vq_attach(&q->nf, w->filter_next, q->inflight, now) :
				  nf_vq_params(&q->nf, q->inflight, now);

		if (q->running)
			apply(q, act, false, now);
	}
}

static void queues_info(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < w->nr_queues; i++) {
		const struct wq *q = &w->queues[i];
		struct worker_queue_info *info = &w->info_out[i];

		info->run = !q->cfg.num ? WORKER_QUEUE_OFF : q->broken ? WORKER_QUEUE_BROKEN :
			    q->running ? WORKER_QUEUE_RUNNING : WORKER_QUEUE_STOPPED;
		info->size = q->cfg.num;
		info->inflight = q->inflight;
		snprintf(info->why, sizeof(info->why), "%s", q->why);
	}
}

static void command_done(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->cmd = WORKER_IDLE;
	pthread_cond_broadcast(&w->done_cond);
	pthread_mutex_unlock(&w->lock);
}

static void command(struct worker *w)
{
	enum worker_cmd cmd;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&w->lock);
	cmd = w->cmd;
	pthread_mutex_unlock(&w->lock);

	switch (cmd) {
	case WORKER_START:
		for (i = 0; i < w->nr_queues; i++) {
			struct wq *q = &w->queues[i];

			if (!q->cfg.num || q->running)
				continue;
			ret = queue_start(q);
			if (ret == -ENOMEM)
				log_err("queue %u: cannot start: %s", q->index, strerror(-ret));
			/* Unless queue_start() said what was wrong with the log. */
			else if (ret && !q->why[0])
				/* A ring the driver left unmapped or misplaced. */
				ring_error(q, "cannot map its rings", ret);
			if (ret) {
				/* The driver's next start of the queue begins afresh. */
				q->resume = false;
				continue;
			}
			if (w->model->queue_start)
				w->model->queue_start(w->dev, &q->dq, &w->be_ctx);
			/* After queue_start(): a model may keep chains popped again. */
			if (q->resume) {
				q->resume = false;
				if (resubmit(q)) {
					log_err("queue %u: %s; stopped until reset", q->index, q->why);
					q->broken = true;
				}
			}
			process(q);
		}
		command_done(w);
		break;
	case WORKER_STOP:
		/* A worker_alive() wake-up during the drain finds the same command: once is enough. */
		if (w->stopping)
			break;
		/* Acknowledged from the loop once the last request completes. */
		w->stopping = true;
		for (i = 0; i < w->nr_queues; i++)
			if (w->queues[i].running && w->model->queue_stop)
				w->model->queue_stop(w->dev, &w->queues[i].dq, &w->be_ctx);
		break;
	case WORKER_EXIT:
		w->exiting = true;
		break;
	case WORKER_FILTER:
	case WORKER_PARAMS:
		rerun_filter(w, cmd == WORKER_FILTER);
		command_done(w);
		break;
	case WORKER_TRANSPORT:
		w->tp = w->next_transport;
		command_done(w);
		break;
	case WORKER_INFO:
		queues_info(w);
		command_done(w);
		break;
	case WORKER_IDLE:
		break;
	}
}

/* A request's I/O ended: from its CQE, or from a backend (be_complete()). */
static void complete_req(struct be_ctx *ctx, uint64_t ud, int res)
{
	struct worker *w = ctx->owner;
	struct dev_req *req = (struct dev_req *)(uintptr_t)ud;

	/* Nobody waits for user_data 0 (a backend's cancel, say). */
	if (!req)
		return;
	if (w->model->complete(w->dev, req, res, ctx) == 0)
		finish(req->owner, req);
}

static void complete(struct worker *w, struct io_uring_cqe *cqe)
{
	uintptr_t ud = io_uring_cqe_get_data64(cqe);

	switch (ud & TAG_MASK) {
	case TAG_KICK: {
		struct wq *q = (struct wq *)(ud & ~TAG_MASK);

		/* A queue deaf to its kicks would hang its driver's I/O for good. */
		if (cqe->res < 0)
			log_fatal("%s: queue %u: cannot wait for kicks: %s", w->name, q->index,
				  strerror(-cqe->res));
		/* A full completion queue, say, ends a multishot poll. */
		if (!(cqe->flags & IORING_CQE_F_MORE) && arm_kick(w, q))
			log_fatal("%s: queue %u: cannot wait for kicks: no SQE", w->name, q->index);
		nf_kick(&q->nf, 1);
		if (!q->running) {
			if (w->tp.ops && w->tp.ops->queue_kicked)
				w->tp.ops->queue_kicked(w->tp.ctx, q->index);
		} else if (process(q) && nf_wants_poll(&q->nf) && nf_poll_start(&q->nf, nf_now()))
			vq_disable_notify(&q->vq);
		break;
	}
	case TAG_TIMER: {
		struct wq *q = (struct wq *)(ud & ~TAG_MASK);
		uint64_t now = nf_now();

		q->timer_armed = false;
		if (q->running)
			apply(q, nf_timer(&q->nf, now), true, now);
		break;
	}
	case TAG_CMD:
		rearm_cmd(w, ud);
		command(w);
		break;
	case BE_UD_EVENT:
		be_ctx_event(&w->be_ctx, cqe);
		break;
	default:
		complete_req(&w->be_ctx, ud, cqe->res);
		break;
	}
}

/* Used buffers go out after every batch; the policy says whether an interrupt follows. */
static void interrupts(struct worker *w)
{
	uint64_t now = 0;
	unsigned int i;

	for (i = 0; i < w->nr_queues; i++) {
		struct wq *q = &w->queues[i];

		if (!q->pushed)
			continue;
		q->pushed = false;
		publish(q);
		if (!now)
			now = nf_now();
		apply(q, nf_complete(&q->nf, q->inflight, now), false, now);
		apply(q, nf_sample(&q->nf, q->inflight, now), false, now);
	}
}

/*
 * Queues with kicks off are polled every loop turn; when the window ends,
 * kicks go back on and the ring is looked at once more, since a request
 * made before the driver saw them on would get no kick.
 */
static bool poll_queues(struct worker *w)
{
	bool polling = false;
	unsigned int i;

	for (i = 0; i < w->nr_queues; i++) {
		struct wq *q = &w->queues[i];
		unsigned int popped;

		if (!q->nf.polling)
			continue;
		if (!q->running || q->broken) {
			q->nf.polling = false;
			continue;
		}
		popped = process(q);
		if (nf_poll_continue(&q->nf, popped, nf_now())) {
			polling = true;
			continue;
		}
		if (vq_enable_notify(&q->vq))
			process(q);
	}
	return polling;
}

/* The queues whose budget ran out last turn, served again without a kick. */
static void serve_again(struct worker *w)
{
	unsigned int i;

	w->again = false;
	for (i = 0; i < w->nr_queues; i++) {
		struct wq *q = &w->queues[i];

		if (q->again) {
			q->again = false;
			process(q);
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct io_uring_cqe *cqe;
	unsigned int head, n, i;
	bool polling = false;
	int ret;

	while (!w->exiting) {
		/* While a queue is polled or has work left, do not sleep in the kernel. */
		ret = io_uring_submit_and_wait(&w->ring, polling || w->again ? 0 : 1);
		if (fault("worker-ring"))
			ret = -EIO;
		/* Its queues, commands and timers all come through the ring. */
		if (ret < 0 && ret != -EINTR)
			log_fatal("%s: io_uring: %s", w->name, strerror(-ret));
		n = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			complete(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
		if (w->again)
			serve_again(w);
		io_uring_submit(&w->ring);
		polling = poll_queues(w);
		interrupts(w);
		atomic_store(&w->pong, atomic_load(&w->ping));
		if (w->stopping && !inflight(w)) {
			for (i = 0; i < w->nr_queues; i++)
				if (w->queues[i].running)
					queue_stop(&w->queues[i]);
			w->stopping = false;
			command_done(w);
		}
	}
	command_done(w);
	return NULL;
}

int worker_run(struct worker *w)
{
	int ret = -pthread_create(&w->thread, NULL, worker_main, w);

	w->thread_started = !ret;
	return ret;
}

void worker_set_name(struct worker *w, const char *name)
{
	snprintf(w->name, sizeof(w->name), "%s", name);
	pthread_setname_np(w->thread, name);
}

bool worker_alive(struct worker *w)
{
	unsigned int sent = atomic_load(&w->ping);
	int ret;

	if (atomic_load(&w->pong) != sent)
		return false;
	atomic_store(&w->ping, sent + 1);
	/* With no command pending, the wake-up only turns the loop once. */
	ret = efd_signal(w->cmd_fd);
	if (ret)
		log_err("worker: cannot wake: %s", strerror(-ret));
	return true;
}

static const char *const cmd_names[] = {
	[WORKER_IDLE] = "idle",
	[WORKER_START] = "start",
	[WORKER_STOP] = "stop",
	[WORKER_EXIT] = "exit",
	[WORKER_FILTER] = "filter",
	[WORKER_PARAMS] = "params",
	[WORKER_TRANSPORT] = "transport",
	[WORKER_INFO] = "info",
};

/*
 * Have the worker carry out @cmd and wait for it (STOP waits for the
 * drain), for CALL_TIMEOUT_MS at most: a worker that does not answer by
 * then is stuck, and so would be the caller, the VDUSE control thread.
 * The caller holds call_lock, and took it before it wrote the command's
 * argument (filter_next, info_out, next_transport): callers on other
 * threads (the control socket's, the VDUSE control thread) would
 * otherwise overwrite each other's.
 */
static void call_locked(struct worker *w, enum worker_cmd cmd)
{
	unsigned int ms = fault_value("call-timeout", CALL_TIMEOUT_MS);
	struct timespec deadline;
	int ret;
	long ns;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	ns = deadline.tv_nsec + ms % 1000 * 1000000L;
	deadline.tv_sec += ms / 1000 + ns / 1000000000L;
	deadline.tv_nsec = ns % 1000000000L;
	pthread_mutex_lock(&w->lock);
	w->cmd = cmd;
	ret = efd_signal(w->cmd_fd);
	if (ret)
		log_err("%s: cannot wake: %s", w->name, strerror(-ret));
	while (w->cmd != WORKER_IDLE && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&w->done_cond, &w->lock, &deadline);
	if (w->cmd != WORKER_IDLE)
		log_fatal("%s: no answer to '%s' in %u ms", w->name, cmd_names[cmd], ms);
	pthread_mutex_unlock(&w->lock);
}

static void worker_call(struct worker *w, enum worker_cmd cmd)
{
	pthread_mutex_lock(&w->call_lock);
	call_locked(w, cmd);
	pthread_mutex_unlock(&w->call_lock);
}

void worker_start(struct worker *w)
{
	worker_call(w, WORKER_START);
}

void worker_stop(struct worker *w)
{
	worker_call(w, WORKER_STOP);
}

void worker_set_filter(struct worker *w, struct nf_prog *p)
{
	pthread_mutex_lock(&w->call_lock);
	w->filter_next = p;
	call_locked(w, WORKER_FILTER);
	pthread_mutex_unlock(&w->call_lock);
}

void worker_params_changed(struct worker *w)
{
	worker_call(w, WORKER_PARAMS);
}

void worker_queues_info(struct worker *w, struct worker_queue_info *info)
{
	pthread_mutex_lock(&w->call_lock);
	w->info_out = info;
	call_locked(w, WORKER_INFO);
	pthread_mutex_unlock(&w->call_lock);
}

void worker_set_transport(struct worker *w, const struct worker_ops *ops, void *ctx,
			  struct iova_xlate xlate)
{
	pthread_mutex_lock(&w->call_lock);
	w->next_transport = (struct worker_transport){ .ops = ops, .ctx = ctx, .xlate = xlate };
	call_locked(w, WORKER_TRANSPORT);
	pthread_mutex_unlock(&w->call_lock);
}

int worker_set_umem(struct worker *w, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	return io_uring_register_buffers(&w->ring, &iov, 1);
}

void worker_exit(struct worker *w)
{
	if (!w->thread_started)
		return;
	worker_call(w, WORKER_EXIT);
	pthread_join(w->thread, NULL);
	w->thread_started = false;
}

void worker_free(struct worker *w)
{
	unsigned int i;

	if (!w)
		return;
	worker_exit(w);
	for (i = 0; w->queues && i < w->nr_queues; i++) {
		if (w->queues[i].running)
			queue_stop(&w->queues[i]);
		if (w->queues[i].kick_fd >= 0)
			close(w->queues[i].kick_fd);
	}
	if (w->ring_ready)
		io_uring_queue_exit(&w->ring);
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	free(w->queues);
	pthread_mutex_destroy(&w->call_lock);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->done_cond);
	free(w);
}
