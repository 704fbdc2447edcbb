/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A worker thread owns one io_uring and a set of virtqueues outright: kicks
 * arrive as completions of reads on the queues' kick eventfds, backend I/O
 * goes on the same ring, and used buffers and interrupts follow each batch
 * of completions. It knows no transport: what it needs of one (interrupts,
 * address translation, a word about a queue enabled late or a broken driver)
 * comes through struct worker_ops, the way DPDK's vhost core is given its
 * vhost_backend_ops. The transport's control thread drives it with the
 * functions below; the queue functions only while the worker is stopped
 * (before worker_start(), after worker_stop()).
 */
#ifndef UVDPA_WORKER_H
#define UVDPA_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

#include "worker/device.h"
#include "policy/nf.h"
#include "ring/iova.h"
#include "ring/virtqueue.h"
#include "ring/vq_log.h"

struct worker;

/*
 * What a worker asks of its transport: called on the worker's thread, with
 * the ctx given to worker_set_transport().
 */
struct worker_ops {
	/* Interrupt the driver for queue @index: 0, or -errno (the worker logs it). */
	int (*inject_irq)(void *ctx, unsigned int index);
	/*
	 * Optional. A kick at queue @index, which is not running: the driver
	 * may have enabled it after DRIVER_OK, which VDUSE does not report.
	 */
	void (*queue_kicked)(void *ctx, unsigned int index);
	/*
	 * Optional. Queue @index stopped for an error of the driver's (a bad
	 * ring): return true to have it logged. A guest may break its rings
	 * at will, so a transport says true once per device until its reset.
	 * Without it every such error is logged.
	 */
	bool (*driver_error)(void *ctx, unsigned int index);
};

/* A worker for queues [first, first + nr) of a device served by @model with @dev. */
int worker_new(struct worker **out, const struct dev_model *model, void *dev,
	       unsigned int first, unsigned int nr);
/*
 * The worker's ring as backends see it: before worker_run() a backend
 * attaches to it (registers its files), after worker_exit() it detaches.
 */
struct be_ctx *worker_be_ctx(struct worker *w);
int worker_run(struct worker *w);
/*
 * Once running, before the first worker_start(): the transport's @ops and
 * @ctx, and @xlate for every ring and buffer address of the worker's queues.
 * The translator is used on the worker's thread only while queues run, so a
 * transport may change what it maps while the worker is stopped.
 */
void worker_set_transport(struct worker *w, const struct worker_ops *ops, void *ctx,
			  struct iova_xlate xlate);
unsigned int worker_first_queue(const struct worker *w);
unsigned int worker_nr_queues(const struct worker *w);
/* Whether queue @index of the device is this worker's. */
bool worker_has_queue(const struct worker *w, unsigned int index);

/* The eventfd the driver kicks queue @index through (the transport hands it over). */
int worker_queue_kick_fd(const struct worker *w, unsigned int index);
/*
 * Serve queue @index at the next worker_start() as the driver set it up
 * (@cfg) from @state; @cfg NULL: not at all (not enabled).
 */
void worker_queue_config(struct worker *w, unsigned int index, const struct vq_config *cfg,
			 const struct vq_state *state);
/*
 * Serve queue @index at the next worker_start() from its in-flight log
 * (worker_queue_set_log()), popping its chains in flight again: a new
 * daemon taking a device over.
 */
void worker_queue_resume(struct worker *w, unsigned int index, const struct vq_config *cfg);
/* Keep queue @index's part of the in-flight log up to date (NULL: none). */
void worker_queue_set_log(struct worker *w, unsigned int index, struct vq_log_vq *log);
/* Whether queue @index is set to be served (worker_queue_config() with a config). */
bool worker_queue_configured(const struct worker *w, unsigned int index);
/* Where queue @index stood when the worker last stopped (or as configured). */
void worker_queue_state(const struct worker *w, unsigned int index, struct vq_state *state);
/* Queue @index's notification statistics; any thread. */
void worker_queue_stats(const struct worker *w, unsigned int index, struct uvdpa_nf_stats *s);
/* The filter's decision queue @index follows now; any thread. */
void worker_queue_decision(const struct worker *w, unsigned int index,
			   struct uvdpa_nf_decision *d);

/* What a queue is doing, for a person (uvdpactl show). */
enum worker_queue_run {
	WORKER_QUEUE_OFF,	/* not set up by the driver */
	WORKER_QUEUE_STOPPED,	/* set up, not served: no DRIVER_OK yet, or rings it cannot map */
	WORKER_QUEUE_RUNNING,
	WORKER_QUEUE_BROKEN,	/* stopped for the driver's error until the next reset */
};

struct worker_queue_info {
	enum worker_queue_run run;
	unsigned int size;	/* entries, as the driver set it up; 0 when off */
	unsigned int inflight;	/* chains popped and not yet used */
	char why[160];		/* the driver's last error since the queue started, or "" */
};

/*
 * Once running: the state of each of the worker's queues into
 * @info[0 .. worker_nr_queues()), taken on the worker's thread between two
 * loop turns, so it waits for the worker like any command.
 */
void worker_queues_info(struct worker *w, struct worker_queue_info *info);

/* Serve every configured queue that is not running. */
void worker_start(struct worker *w);
/* Stop popping, drain the requests in flight, and keep each queue's state. */
void worker_stop(struct worker *w);
/*
 * While the worker's queues are stopped: register [addr, addr + len) as the
 * ring's fixed buffer 0: 0, or -errno if the ring could not take it.
 */
int worker_set_umem(struct worker *w, void *addr, size_t len);
/*
 * Once running: have every queue follow @p (NULL: the built-in passthrough).
 * The caller keeps @p alive until the next worker_set_filter() returns.
 */
void worker_set_filter(struct worker *w, struct nf_prog *p);
/*
 * Once running: the parameters of the filter the queues follow changed in
 * place (nf_prog_write_params()). Each queue runs it again, keeping its
 * state, and follows its new decision from now on; returns after that.
 */
void worker_params_changed(struct worker *w);
/* Once running: what ps, a debugger and the watchdog call its thread ("uvdpa-w1"). */
void worker_set_name(struct worker *w, const char *name);
/*
 * For the service manager's watchdog: true if the worker's loop turned
 * since the previous call (the first call: true), and then wakes it for
 * the next probe. Never waits for the worker.
 */
bool worker_alive(struct worker *w);
/* End the thread and wait for it; the ring stays until worker_free(). */
void worker_exit(struct worker *w);
/* End the thread if it runs, and free @w (NULL: nothing). */
void worker_free(struct worker *w);

#endif
