/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker's insides, for the files of vdpa/worker/ only: everyone else goes
 * through worker.h, so that no transport, daemon or test writes a queue's
 * state behind the worker's back.
 */
#ifndef UVDPA_WORKER_INT_H
#define UVDPA_WORKER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

#include "worker/worker.h"

enum worker_cmd {
	WORKER_IDLE,
	WORKER_START,	/* serve every queue whose wq.cfg.num is set, from wq.state */
	WORKER_STOP,	/* stop popping, drain in-flight requests, save wq.state */
	WORKER_EXIT,
	WORKER_FILTER,	/* hand every queue to worker.filter_next */
	WORKER_PARAMS,	/* the filter's parameters changed: every queue runs it again */
	WORKER_TRANSPORT, /* take worker.next_transport */
	WORKER_INFO,	/* fill worker.info_out */
};

struct wq {
	struct dev_queue dq;	/* first: the model's handle on this queue */
	struct worker *w;
	unsigned int index;
	int kick_fd;
	/* Written by the control thread only while the queue is stopped. */
	struct vq_config cfg;
	struct vq_state state;
	struct vq vq;
	bool running;
	bool broken;
	/* The driver's error that broke or kept it stopped, for worker_queues_info(). */
	char why[160];
	bool pushed;
	char *slots;
	struct dev_req **free;
	unsigned int nr_free;
	unsigned int inflight;
	/*
	 * Chains this visit may still pop (process() sets it to the queue
	 * size); when it runs out with more to do, again has the worker come
	 * back next turn, after its completions, commands and timers.
	 */
	unsigned int budget;
	bool again;
	/*
	 * Every slot was in flight when the driver had more: no kick will tell
	 * of those chains (the pop that arms avail_event never ran), so the
	 * next slot freed brings the worker back.
	 */
	bool starved;
	/* Notification policy; a deferred interrupt waits on an io_uring timeout. */
	struct nf_vq nf;
	struct __kernel_timespec timer_ts;
	bool timer_armed;
	/*
	 * The queue's part of the in-flight log, or NULL. With resume set, the
	 * next WORKER_START carries on from the log instead of wq.state and
	 * pops its chains in flight again (a new daemon taking over).
	 */
	struct vq_log_vq *log;
	struct vq_logger logger;	/* while running, with log */
	bool resume;
	/* Used since the last publish: unmarked in the log after it. */
	uint16_t *done;
	unsigned int nr_done;
};

/* What worker_set_transport() gave; the worker thread's own copy. */
struct worker_transport {
	const struct worker_ops *ops;
	void *ctx;
	struct iova_xlate xlate;
};

struct worker {
	pthread_t thread;
	bool thread_started;
	char name[16];		/* worker_set_name()'s, for messages */
	struct io_uring ring;
	bool ring_ready;
	struct be_ctx be_ctx;	/* the ring as the model's backend sees it */
	int cmd_fd;
	uint64_t cmd_buf;
	const struct dev_model *model;
	void *dev;
	struct worker_transport tp;
	/* The arguments of commands, written under call_lock. */
	struct worker_transport next_transport;	/* for WORKER_TRANSPORT */
	struct wq *queues;
	unsigned int first;	/* the device's index of queues[0] */
	unsigned int nr_queues;
	bool stopping;
	bool exiting;
	bool again;	/* a queue's budget ran out: the next turn must not sleep */
	struct nf_prog *filter_next;	/* for WORKER_FILTER */
	struct worker_queue_info *info_out;	/* for WORKER_INFO */
	pthread_mutex_t call_lock;	/* one worker_call() at a time */
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	enum worker_cmd cmd;	/* under lock: pending until the worker sets WORKER_IDLE */
	/* worker_alive(): the probe sent, and the last one the loop answered. */
	atomic_uint ping;
	atomic_uint pong;
};

#endif
