/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The notification policy of a queue: which interrupts go out now, which
 * wait for more completions or a deadline, and when kicks are switched off
 * for polling. The per-completion part is C working on struct nf_vq; the
 * decisions it follows come from a filter program (uapi/uvdpa_filter.h),
 * run every few completions or every sample window, or, without one, from
 * the built-in passthrough: one interrupt per batch of completions.
 *
 * A struct nf_vq belongs to the worker thread that serves its queue; its
 * statistics and decision may be read from any thread with nf_vq_stats()
 * and nf_vq_decision(). A struct
 * nf_prog is shared by the workers of a device: each runs it only for its
 * own queues.
 */
#ifndef UVDPA_NF_H
#define UVDPA_NF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "uvdpa_filter.h"

#define NF_NAME_MAX 256
#define NF_PARAM_NAME_MAX 32

struct nf_prog {
	char name[NF_NAME_MAX];		/* a shipped filter's name, or the object's path */
	bool object;			/* loaded from an object file: name is its path */
	/* Shared with the program: params and one struct uvdpa_nf_vq per queue. */
	struct uvdpa_nf_shared *shm;
	unsigned int nr_params;
	char params[UVDPA_NF_MAX_PARAMS][NF_PARAM_NAME_MAX];
	/* One run for queue run->vq: 0 or -errno. */
	int (*run)(struct nf_prog *p, const struct uvdpa_nf_run *run);
	void (*free)(struct nf_prog *p);
};

enum nf_act {
	NF_NONE,	/* nothing pending */
	NF_FIRE,	/* send the interrupt now, then call nf_fired() */
	NF_DEFER,	/* hold it: make sure a timer fires at nf_vq.deadline */
};

struct nf_window {
	uint32_t kicks, completions, batches, irqs;
};

struct nf_vq {
	struct nf_prog *prog;		/* NULL: the built-in passthrough */
	unsigned int index;
	struct uvdpa_nf_decision dec;	/* the program's last decision, checked */
	uint32_t batch;			/* completions since the last nf_complete() */
	uint32_t last_batch;
	uint32_t pending;
	uint32_t since_irq;
	uint32_t run_frames;
	uint64_t deadline;		/* of the pending interrupt; 0: none */
	uint64_t last_irq;
	uint64_t win_start;
	struct nf_window win;
	bool run_failed;
	bool polling;			/* kick notifications off */
	uint64_t poll_until;
	struct uvdpa_nf_stats stats;
};

/* CLOCK_MONOTONIC in ns: the clock of every @now below and of io_uring's absolute timeouts. */
uint64_t nf_now(void);

/* Start queue @index with @p (NULL: built-in); runs the program once. */
void nf_vq_init(struct nf_vq *v, unsigned int index, struct nf_prog *p,
		unsigned int inflight, uint64_t now);

/*
 * Hand the queue to @p, keeping what is pending and its deadline: no
 * interrupt is lost on a swap. The new program runs at once and its
 * decision applies to what is pending.
 */
enum nf_act nf_vq_attach(struct nf_vq *v, struct nf_prog *p, unsigned int inflight,
			 uint64_t now);

/*
 * The parameters of the queue's program changed in place: it runs at once
 * (UVDPA_NF_RUN_PARAMS), keeping its state, and its decision applies to
 * what is pending (the deadline of a held interrupt stays, as on a swap).
 */
enum nf_act nf_vq_params(struct nf_vq *v, unsigned int inflight, uint64_t now);

/* The queue stopped (device reset): forget what was pending. */
void nf_vq_reset(struct nf_vq *v);

static inline void nf_kick(struct nf_vq *v, uint64_t n)
{
	v->win.kicks += n;
	__atomic_store_n(&v->stats.kicks, v->stats.kicks + n, __ATOMIC_RELAXED);
}

/* One used buffer pushed; counted until the next nf_complete(). */
static inline void nf_completion(struct nf_vq *v)
{
	v->batch++;
}

/*
 * The used buffers of this batch are published and @inflight requests
 * remain: what to do about the interrupt, by the decision in force.
 */
enum nf_act nf_complete(struct nf_vq *v, unsigned int inflight, uint64_t now);

/*
 * After the batch's interrupt is dealt with, so that a program run never
 * delays one: run the program if its sample is due, and say what its new
 * decision means for what is still pending.
 */
enum nf_act nf_sample(struct nf_vq *v, unsigned int inflight, uint64_t now);

/* The deferral timer expired. */
enum nf_act nf_timer(struct nf_vq *v, uint64_t now);

/* After NF_FIRE: @sent is false when the driver did not want the interrupt. */
void nf_fired(struct nf_vq *v, bool sent, bool by_timer, uint64_t now);

/*
 * Kick suppression. nf_poll_start(): the queue just got work; true if the
 * policy wants kicks off and the ring polled (the caller disables them).
 * nf_poll_continue(): after a poll that found @popped requests; false when
 * the window ended (the caller enables kicks and looks at the ring again).
 */
bool nf_poll_start(struct nf_vq *v, uint64_t now);
bool nf_poll_continue(struct nf_vq *v, unsigned int popped, uint64_t now);

static inline bool nf_wants_poll(const struct nf_vq *v)
{
	return v->dec.poll_us != 0;
}

/* A consistent-enough copy of the counters, from any thread. */
void nf_vq_stats(const struct nf_vq *v, struct uvdpa_nf_stats *out);
/* The decision in force, as bounded (each field as it was at some moment), from any thread. */
void nf_vq_decision(const struct nf_vq *v, struct uvdpa_nf_decision *out);

/*
 * Programs. nf_prog_load() loads a shipped filter by @name or the BPF
 * object at @path (one of them NULL). On failure: -errno and in @err one
 * line for a person saying why (no CAP_BPF, no bpf() system call, rejected
 * by the verifier - its log goes to the debug log -, not a uvdpa filter).
 * An object is refused unless it is a regular file owned by root or our
 * uid and not writable by group or others: -ELOOP (a symlink), -EINVAL.
 */
int nf_prog_load(struct nf_prog **out, const char *name, const char *path, unsigned int nr_vqs,
		 char *err, size_t errlen);
/*
 * "key=value" words into @vals: @p's parameters as they are, with those
 * words applied. @p does not change, so that a bad word leaves every
 * parameter as it was. 0, or -ENOENT for an unknown key, -EINVAL for a bad
 * word or value, with a line for a person in @err.
 */
int nf_prog_parse_params(const struct nf_prog *p, char *const *kv, unsigned int n,
			 uint64_t vals[UVDPA_NF_MAX_PARAMS], char *err, size_t errlen);
/*
 * @vals from nf_prog_parse_params() become @p's parameters, one 64-bit
 * store each: a run of the program meanwhile, on another thread, sees each
 * one old or new, never torn.
 */
void nf_prog_write_params(struct nf_prog *p, const uint64_t vals[UVDPA_NF_MAX_PARAMS]);
/* Both: the words applied, or none of them. */
int nf_prog_set_params(struct nf_prog *p, char *const *kv, unsigned int n, char *err,
		       size_t errlen);
void nf_prog_free(struct nf_prog *p);
/* "name=NAME" then "PARAM=VALUE" for each parameter, one per line. */
void nf_prog_describe(const struct nf_prog *p, FILE *out);
/* The shipped filters, NULL-terminated. */
extern const char *const nf_shipped[];
/* The name `filter show` gives the built-in policy. */
#define NF_BUILTIN_NAME "builtin"

#endif
