// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vduse.h>

#include "log.h"
#include "worker.h"

/*
 * user_data of the worker's own reads; requests use their dev_req address,
 * which is at least 8-byte aligned, so the low bits tell them apart.
 */
#define TAG_KICK 1UL
#define TAG_CMD 2UL
#define TAG_MASK 3UL

#define RING_ENTRIES 256

static void arm_read(struct worker *w, int fd, uint64_t *buf, uintptr_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	io_uring_prep_read(sqe, fd, buf, sizeof(*buf), 0);
	io_uring_sqe_set_data64(sqe, tag);
}

int worker_init(struct worker *w, int dev_fd, const struct dev_model *model, void *dev,
		unsigned int first, unsigned int nr)
{
	unsigned int i;
	int ret;

	memset(w, 0, sizeof(*w));
	w->dev_fd = dev_fd;
	w->model = model;
	w->dev = dev;
	w->nr_queues = nr;
	iotlb_init(&w->tlb, dev_fd);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->done_cond, NULL);
	w->queues = calloc(nr, sizeof(*w->queues));
	if (!w->queues)
		return -ENOMEM;
	ret = io_uring_queue_init(RING_ENTRIES, &w->ring, 0);
	if (ret)
		return ret;
	w->cmd_fd = eventfd(0, EFD_CLOEXEC);
	if (w->cmd_fd < 0)
		return -errno;
	for (i = 0; i < nr; i++) {
		struct wq *q = &w->queues[i];

		q->w = w;
		q->index = first + i;
		q->kick_fd = eventfd(0, EFD_CLOEXEC);
		if (q->kick_fd < 0)
			return -errno;
		arm_read(w, q->kick_fd, &q->kick_buf, (uintptr_t)q | TAG_KICK);
	}
	arm_read(w, w->cmd_fd, &w->cmd_buf, (uintptr_t)w | TAG_CMD);
	return 0;
}

static void finish(struct wq *q, struct dev_req *req)
{
	int ret = vq_push(&q->vq, req->chain.token, req->used_len);

	if (ret && !q->broken) {
		log_err("queue %u: cannot return a used buffer: %s; stopped until reset",
			q->index, strerror(-ret));
		q->broken = true;
	}
	q->free[q->nr_free++] = req;
	q->inflight--;
	q->pushed = true;
}

static void process(struct wq *q)
{
	struct worker *w = q->w;

	while (q->running && !q->broken && !w->stopping && q->nr_free) {
		struct dev_req *req = q->free[q->nr_free - 1];
		int ret = vq_pop(&q->vq, &req->chain);

		if (ret == 0)
			return;
		if (ret < 0) {
			/* A hostile or broken driver: never abort, wait for the reset. */
			log_err("queue %u: bad ring from the driver: %s; stopped until reset",
				q->index, strerror(-ret));
			q->broken = true;
			return;
		}
		q->nr_free--;
		q->inflight++;
		req->owner = q;
		if (w->model->start(w->dev, req, &w->ring) == 0)
			finish(q, req);
	}
}

static int queue_start(struct wq *q)
{
	struct worker *w = q->w;
	struct iova_xlate xlate = iotlb_xlate(&w->tlb);
	unsigned int i, num = q->cfg.num;
	int ret;

	ret = vq_init(&q->vq, &q->cfg, &xlate);
	if (ret)
		return ret;
	ret = vq_set_state(&q->vq, &q->state);
	if (ret)
		goto err_vq;
	ret = -ENOMEM;
	q->slots = calloc(num, w->model->req_size);
	q->free = calloc(num, sizeof(*q->free));
	if (!q->slots || !q->free)
		goto err_mem;
	for (i = 0; i < num; i++) {
		struct dev_req *req = (struct dev_req *)(q->slots + i * w->model->req_size);

		w->model->req_init(w->dev, req);
		q->free[i] = req;
	}
	q->nr_free = num;
	q->inflight = 0;
	q->broken = false;
	q->running = true;
	return 0;
err_mem:
	free(q->slots);
	free(q->free);
	q->slots = NULL;
	q->free = NULL;
err_vq:
	vq_fini(&q->vq);
	return ret;
}

static void queue_stop(struct wq *q)
{
	vq_publish(&q->vq);
	vq_get_state(&q->vq, &q->state);
	vq_fini(&q->vq);
	free(q->slots);
	free(q->free);
	q->slots = NULL;
	q->free = NULL;
	q->running = false;
}

static unsigned int inflight(const struct worker *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->nr_queues; i++)
		n += w->queues[i].inflight;
	return n;
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
			if (ret)
				log_err("queue %u: cannot start: %s", q->index, strerror(-ret));
			else
				process(q);
		}
		command_done(w);
		break;
	case WORKER_STOP:
		/* Acknowledged from the loop once the last request completes. */
		w->stopping = true;
		break;
	case WORKER_EXIT:
		w->exiting = true;
		break;
	case WORKER_IDLE:
		break;
	}
}

static void complete(struct worker *w, struct io_uring_cqe *cqe)
{
	uintptr_t ud = io_uring_cqe_get_data64(cqe);

	switch (ud & TAG_MASK) {
	case TAG_KICK: {
		struct wq *q = (struct wq *)(ud & ~TAG_MASK);

		arm_read(w, q->kick_fd, &q->kick_buf, ud);
		process(q);
		break;
	}
	case TAG_CMD:
		arm_read(w, w->cmd_fd, &w->cmd_buf, ud);
		command(w);
		break;
	default: {
		struct dev_req *req = (struct dev_req *)ud;

		if (w->model->complete(w->dev, req, cqe->res, &w->ring) == 0)
			finish(req->owner, req);
		break;
	}
	}
}

static void interrupts(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < w->nr_queues; i++) {
		struct wq *q = &w->queues[i];
		__u32 index = q->index;

		if (!q->pushed)
			continue;
		q->pushed = false;
		if (vq_need_interrupt(&q->vq) &&
		    ioctl(w->dev_fd, VDUSE_VQ_INJECT_IRQ, &index))
			log_err("queue %u: cannot inject an interrupt: %s", index,
				strerror(errno));
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct io_uring_cqe *cqe;
	unsigned int head, n, i;
	int ret;

	while (!w->exiting) {
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR) {
			log_err("worker: io_uring: %s", strerror(-ret));
			break;
		}
		n = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			complete(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
		io_uring_submit(&w->ring);
		interrupts(w);
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
	return -pthread_create(&w->thread, NULL, worker_main, w);
}

void worker_call(struct worker *w, enum worker_cmd cmd)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	w->cmd = cmd;
	if (write(w->cmd_fd, &one, sizeof(one)) != sizeof(one))
		log_err("worker: cannot wake: %s", strerror(errno));
	while (w->cmd != WORKER_IDLE)
		pthread_cond_wait(&w->done_cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

int worker_set_umem(struct worker *w, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	iotlb_set_umem(&w->tlb, addr, len);
	return io_uring_register_buffers(&w->ring, &iov, 1);
}

void worker_fini(struct worker *w)
{
	unsigned int i;

	pthread_join(w->thread, NULL);
	for (i = 0; i < w->nr_queues; i++) {
		if (w->queues[i].running)
			queue_stop(&w->queues[i]);
		close(w->queues[i].kick_fd);
	}
	io_uring_queue_exit(&w->ring);
	close(w->cmd_fd);
	iotlb_fini(&w->tlb);
	free(w->queues);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->done_cond);
}
