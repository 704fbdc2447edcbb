/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A worker thread owns one io_uring and a set of virtqueues outright: kicks
 * arrive as completions of reads on the queues' kick eventfds, backend I/O
 * goes on the same ring, and used buffers and interrupts follow each batch
 * of completions. The VDUSE control thread drives it with worker_call(),
 * which waits until the worker has carried the command out.
 */
#ifndef UVDPA_WORKER_H
#define UVDPA_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

#include "worker/device.h"
#include "vduse/iotlb.h"
#include "policy/nf.h"
#include "ring/virtqueue.h"
#include "ring/vq_log.h"

enum worker_cmd {
	WORKER_IDLE,
	WORKER_START,	/* serve every queue whose wq.cfg.num is set, from wq.state */
	WORKER_STOP,	/* stop popping, drain in-flight requests, save wq.state */
	WORKER_EXIT,
	WORKER_FILTER,	/* hand every queue to worker.filter_next */
};

struct worker;

struct wq {
	struct dev_queue dq;	/* first: the model's handle on this queue */
	struct worker *w;
	unsigned int index;
	int kick_fd;
	uint64_t kick_buf;
	/* Written by the control thread only while the queue is stopped. */
	struct vq_config cfg;
	struct vq_state state;
	struct vq vq;
	bool running;
	bool broken;
	bool pushed;
	char *slots;
	struct dev_req **free;
	unsigned int nr_free;
	unsigned int inflight;
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
	bool resume;
	/* Used since the last publish: unmarked in the log after it. */
	uint16_t *done;
	unsigned int nr_done;
};

struct worker {
	pthread_t thread;
	struct io_uring ring;
	struct be_ctx be_ctx;	/* the ring as the model's backend sees it */
	int cmd_fd;
	uint64_t cmd_buf;
	int dev_fd;
	const struct dev_model *model;
	void *dev;
	struct iotlb tlb;
	/*
	 * Shared by the device's workers, or NULL: set when a queue stops for
	 * a driver error, so that a device logs one line per reset (the
	 * control thread clears it when the driver resets the device).
	 */
	atomic_bool *driver_error;
	/*
	 * An eventfd written on a kick at a queue that is not running, or -1:
	 * the driver may have enabled it after DRIVER_OK, which VDUSE does not
	 * report; the control thread looks.
	 */
	int enable_fd;
	struct wq *queues;
	unsigned int nr_queues;
	bool stopping;
	bool exiting;
	struct nf_prog *filter_next;	/* for WORKER_FILTER */
	pthread_mutex_t call_lock;	/* one worker_call() at a time */
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	enum worker_cmd cmd;	/* under lock: pending until the worker sets WORKER_IDLE */
};

/* Set up @w for queues [first, first + nr) of the VDUSE device @dev_fd. */
int worker_init(struct worker *w, int dev_fd, const struct dev_model *model, void *dev,
		unsigned int first, unsigned int nr);
int worker_run(struct worker *w);
/* Have the worker carry out @cmd and wait for it (STOP waits for the drain). */
void worker_call(struct worker *w, enum worker_cmd cmd);
/*
 * While the worker's queues are stopped: serve IOVA [0, len) from @addr, and
 * register it as the ring's fixed buffer 0: 0, or -errno if the ring could not
 * take it (the translation holds either way).
 */
int worker_set_umem(struct worker *w, void *addr, size_t len);
/*
 * Once running: have every queue follow @p (NULL: the built-in passthrough).
 * The caller keeps @p alive until the next worker_set_filter() returns, and
 * callers take turns (the daemon's filter lock).
 */
void worker_set_filter(struct worker *w, struct nf_prog *p);
/* After WORKER_EXIT: join and free. */
void worker_fini(struct worker *w);

#endif
