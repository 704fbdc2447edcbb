/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * uvdpa notification filters: the ABI between uvdpad and a filter program.
 *
 * A filter is a BPF object with a SEC("syscall") program named uvdpa_filter
 * and a BPF_F_MMAPABLE array map named uvdpa_nf holding one struct
 * uvdpa_nf_shared. uvdpad maps that memory: before each run it writes the
 * queue's counters into vq[i].ctx and runs the program with a struct
 * uvdpa_nf_run as its context; the program answers in vq[i].dec, which the
 * daemon's per-completion fast path then applies without a system call
 * until the next run (every dec.sample_frames completions or dec.sample_us).
 *
 * Parameters: a global `const volatile struct { __u64 NAME; ... }
 * uvdpa_defaults` (in .rodata, of an anonymous struct type so that a
 * skeleton can hold it) names the key=value parameters and their defaults;
 * the daemon copies the defaults, with what the user set, into
 * shared.params, where the program reads them through uvdpa_nf_params().
 * They may change while the program runs: each one is one __u64 store, so
 * a run meanwhile sees each either as it was or as it is (some old, some
 * new), and a UVDPA_NF_RUN_PARAMS run on every queue follows, which sees
 * them all new.
 *
 * Versions: fields are only ever added in the reserved space, so the sizes
 * below never change; run.abi_version tells the program which fields the
 * daemon fills. A daemon loads every object built for a version it knows.
 */
#ifndef UVDPA_UAPI_FILTER_H
#define UVDPA_UAPI_FILTER_H

#include <linux/types.h>

/*
 * 1: the first. 2: the daemon runs the program with UVDPA_NF_RUN_PARAMS
 * when the parameters change in place (uvdpactl filter set of the filter
 * already running); nothing else differs, and no size.
 */
#define UVDPA_NF_ABI_VERSION	2
#define UVDPA_NF_MAX_VQ		64
#define UVDPA_NF_MAX_PARAMS	16
#define UVDPA_NF_MAP		"uvdpa_nf"
#define UVDPA_NF_PROG		"uvdpa_filter"
#define UVDPA_NF_DEFAULTS	"uvdpa_defaults"

/* Bounds the daemon clamps decisions to, so that no program can stall I/O. */
#define UVDPA_NF_MAX_DEFER_US	10000
#define UVDPA_NF_MAX_POLL_US	10000
#define UVDPA_NF_DEFAULT_SAMPLE_FRAMES	64
#define UVDPA_NF_DEFAULT_SAMPLE_US	1000

/* Why the daemon runs the program (struct uvdpa_nf_run.reason). */
enum uvdpa_nf_reason {
	UVDPA_NF_RUN_SAMPLE = 1,	/* sample_frames completions or sample_us elapsed */
	UVDPA_NF_RUN_ATTACH = 2,	/* first run on this queue: the program just took over */
	/*
	 * Version 2: shared.params changed while the program ran (its state[]
	 * is kept): decide again under the new values. A program of version 1
	 * takes it for an early sample.
	 */
	UVDPA_NF_RUN_PARAMS = 3,
};

/* The program's context: ctx_in of BPF_PROG_RUN. */
struct uvdpa_nf_run {
	__u32 abi_version;	/* the daemon's UVDPA_NF_ABI_VERSION */
	__u32 vq;		/* index into uvdpa_nf_shared.vq, < UVDPA_NF_MAX_VQ */
	__u32 reason;		/* enum uvdpa_nf_reason */
	__u32 reserved;
};

/* What the program sees of one queue; counters cover the window since its last run. */
struct uvdpa_nf_ctx {
	__u64 now_ns;		/* CLOCK_MONOTONIC, read by the daemon for this run */
	__u64 window_ns;	/* length of the window */
	__u64 since_irq_ns;	/* since the last interrupt of this queue */
	__u32 pending;		/* completions published whose interrupt is deferred */
	__u32 since_irq;	/* completions since the last interrupt */
	__u32 kicks;		/* kicks from the driver in the window */
	__u32 completions;	/* completions in the window */
	__u32 batches;		/* worker loop turns that completed something */
	__u32 batch;		/* completions in the latest batch */
	__u32 inflight;		/* requests in flight now: the queue depth */
	__u32 irqs;		/* interrupts sent in the window */
	__u32 reserved[6];
};

/* Decision flags. */
#define UVDPA_NF_IRQ_NOW	(1U << 0)	/* interrupt for what is pending, now */
#define UVDPA_NF_IDLE_FIRE	(1U << 1)	/* never defer when nothing is in flight */

/* What the program decides for one queue, applied until its next run. */
struct uvdpa_nf_decision {
	/*
	 * Interrupt once defer_frames completions are pending (0 or 1: for
	 * every completion), or defer_us after the first deferred one,
	 * whichever comes first. defer_us 0 defers nothing.
	 */
	__u32 defer_frames;
	__u32 defer_us;
	__u32 flags;		/* UVDPA_NF_* above */
	/*
	 * Non-zero: switch kick notifications off while the queue has work and
	 * poll the ring instead, until poll_us pass without a new request.
	 */
	__u32 poll_us;
	/* Run again after this many completions or microseconds (0: defaults). */
	__u32 sample_frames;
	__u32 sample_us;
	__u32 reserved[2];
};

struct uvdpa_nf_vq {
	struct uvdpa_nf_ctx ctx;		/* written by the daemon */
	struct uvdpa_nf_decision dec;		/* written by the program */
	__u64 state[8];				/* the program's own; zero when it attaches */
};

struct uvdpa_nf_shared {
	__u32 abi_version;			/* the daemon's */
	__u32 nr_vqs;				/* queues of the device */
	__u64 params[UVDPA_NF_MAX_PARAMS];	/* struct uvdpa_params, as set */
	struct uvdpa_nf_vq vq[UVDPA_NF_MAX_VQ];
};

/* Per-queue statistics, as `uvdpactl stats` reports them. */
struct uvdpa_nf_stats {
	__u64 kicks;		/* kick notifications from the driver */
	__u64 completions;	/* used buffers returned */
	__u64 batches;		/* loop turns that returned used buffers */
	__u64 irqs;		/* interrupts injected */
	__u64 deferred;		/* batches whose interrupt the filter deferred */
	__u64 timer_irqs;	/* interrupts sent by a deferral deadline */
	__u64 driver_suppressed;/* interrupts the driver did not want (event idx, flags) */
	__u64 polls;		/* poll windows with kick notifications off */
	__u64 filter_runs;	/* program runs */
	__u64 filter_ns;	/* worker CPU time in program runs, system call included */
};

#ifdef __bpf__
/*
 * For filter programs: the map the daemon shares, and the queue a run is for:
 *
 *	SEC("syscall") int uvdpa_filter(struct uvdpa_nf_run *run)
 *	{
 *		struct uvdpa_nf_vq *q = uvdpa_nf_vq(run);
 *
 *		if (!q)
 *			return 0;
 *		...
 *	}
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uvdpa_nf_shared);
} uvdpa_nf SEC(".maps");

static __always_inline struct uvdpa_nf_shared *uvdpa_nf_shared(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&uvdpa_nf, &zero);
}

static __always_inline struct uvdpa_nf_vq *uvdpa_nf_vq(const struct uvdpa_nf_run *run)
{
	struct uvdpa_nf_shared *sh = uvdpa_nf_shared();
	__u32 i = run->vq;

	if (!sh || i >= UVDPA_NF_MAX_VQ)
		return 0;
	return &sh->vq[i];
}

/* Decide for @q until the next run, in one place. */
static __always_inline void uvdpa_nf_decide(struct uvdpa_nf_vq *q, __u32 defer_frames,
					    __u32 defer_us, __u32 flags, __u32 poll_us,
					    __u32 sample_frames, __u32 sample_us)
{
	q->dec.defer_frames = defer_frames;
	q->dec.defer_us = defer_us;
	q->dec.flags = flags;
	q->dec.poll_us = poll_us;
	q->dec.sample_frames = sample_frames;
	q->dec.sample_us = sample_us;
}

/* The parameters as set, laid out like uvdpa_defaults: const typeof(uvdpa_defaults) *p. */
static __always_inline void *uvdpa_nf_params(void)
{
	struct uvdpa_nf_shared *sh = uvdpa_nf_shared();

	return sh ? sh->params : 0;
}
#endif

#endif
