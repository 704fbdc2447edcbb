// SPDX-License-Identifier: GPL-2.0
/*
 * adaptive: interrupt moderation that follows the load, in the spirit of the
 * kernel's net_dim. Each sample window it estimates the queue depth and the
 * completion rate and moves one step along a ladder of profiles (1, 2, 4, 8,
 * 16, 32 frames) towards the one the depth asks for: the whole depth, with
 * idle_fire, so that the interrupt goes out when the last request the
 * driver has in flight completes, or at the deadline. A driver that refills
 * only when it is interrupted (fio, the block layer) loses little overlap to
 * that and saves an interrupt and a kick for each request: measured on a
 * 20 us disk at QD8 (docs/bench.md), a quarter of the depth held back
 * nothing that a batch did not already merge, and the whole depth did what
 * the fixed coalesce profile does. Holding interrupts pays only when it
 * merges batches: where the worker already completes that many requests
 * per loop turn, one interrupt per batch does the merging and nothing is
 * held. A lone request is never held back (idle_fire), and at a low
 * completion rate, where waiting for more would only wait for the deadline,
 * it falls back to one interrupt per completion.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uvdpa_filter.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The parameters and their defaults (uvdpa_filter.h): an anonymous struct,
 * so that the skeleton can spell its type.
 */
const volatile struct {
	__u64 max_frames;	/* top of the ladder */
	__u64 max_usecs;	/* deadline for any deferred interrupt */
	__u64 min_rate;		/* completions per ms below which nothing is deferred */
} uvdpa_defaults = {
	.max_frames = 32,
	.max_usecs = 50,
	.min_rate = 20,
};

#define LEVELS 6
/* state[] of each queue */
#define DEPTH_EWMA 0	/* queue depth, times 16 */
#define LEVEL 1		/* current profile: 1 << LEVEL frames */

/* One sample: the depth estimate, and a step along the ladder towards it. */
static __always_inline void step(struct uvdpa_nf_vq *q, __u64 min_rate)
{
	__u64 depth, ewma, level, target = 0, frames, mean_batch;

	/* The depth the driver keeps: what is in flight plus what just completed. */
	depth = (__u64)q->ctx.inflight + q->ctx.batch;
	ewma = q->state[DEPTH_EWMA];
	ewma = ewma - (ewma >> 2) + ((depth << 4) >> 2);
	q->state[DEPTH_EWMA] = ewma;

	mean_batch = q->ctx.batches ? q->ctx.completions / q->ctx.batches : q->ctx.batch;
	frames = ewma >> 4;
	/* Fast enough (min_rate per ms), and more to merge than one batch holds. */
	if ((__u64)q->ctx.completions * 1000000 >= min_rate * q->ctx.window_ns &&
	    frames > mean_batch) {
		/* The highest level whose frames do not exceed that; no loop: no CAP_PERFMON. */
		if (frames >= 32)
			target = 5;
		else if (frames >= 16)
			target = 4;
		else if (frames >= 8)
			target = 3;
		else if (frames >= 4)
			target = 2;
		else if (frames >= 2)
			target = 1;
	}
	level = q->state[LEVEL];
	if (level > LEVELS - 1)
		level = LEVELS - 1;
	if (target > level)
		level++;
	else if (target < level)
		level--;
	q->state[LEVEL] = level;
}

SEC("syscall")
int uvdpa_filter(struct uvdpa_nf_run *run)
{
	struct uvdpa_nf_vq *q = uvdpa_nf_vq(run);
	const typeof(uvdpa_defaults) *p = uvdpa_nf_params();
	__u64 level, frames;

	if (!q || !p)
		return 0;
	if (run->reason == UVDPA_NF_RUN_ATTACH) {
		q->state[DEPTH_EWMA] = 0;
		q->state[LEVEL] = 0;
	}
	/*
	 * New parameters (uvdpactl filter set) keep the profile reached: only
	 * its cap and deadline change, at once, and the estimate moves on the
	 * next sample, over a window of its own.
	 */
	if (run->reason != UVDPA_NF_RUN_PARAMS)
		step(q, p->min_rate);
	level = q->state[LEVEL];
	frames = 1ULL << (level < LEVELS ? level : LEVELS - 1);
	if (frames > p->max_frames)
		frames = p->max_frames;
	/* Sampled often enough to follow a change of load, seldom at QD1. */
	uvdpa_nf_decide(q, frames, frames > 1 ? p->max_usecs : 0, UVDPA_NF_IDLE_FIRE, 0,
			512, 10000);
	return 0;
}
