// SPDX-License-Identifier: GPL-2.0
/*
 * coalesce: fixed interrupt moderation, like a NIC's rx-frames/rx-usecs.
 * An interrupt goes out once max_frames completions are pending or
 * max_usecs after the first of them, whichever comes first; with idle_fire
 * (the default) also as soon as the queue has nothing left in flight, since
 * then no further completion can come to share it.
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
	__u64 max_frames;
	__u64 max_usecs;
	__u64 idle_fire;
} uvdpa_defaults = {
	.max_frames = 16,
	.max_usecs = 100,
	.idle_fire = 1,
};

SEC("syscall")
int uvdpa_filter(struct uvdpa_nf_run *run)
{
	struct uvdpa_nf_vq *q = uvdpa_nf_vq(run);
	const typeof(uvdpa_defaults) *p = uvdpa_nf_params();

	if (!q || !p)
		return 0;
	/*
	 * The thresholds change only with the parameters, and a change of them
	 * runs it at once (UVDPA_NF_RUN_PARAMS): seldom runs will do.
	 */
	uvdpa_nf_decide(q, p->max_frames, p->max_usecs, p->idle_fire ? UVDPA_NF_IDLE_FIRE : 0,
			0, 4096, 100000);
	return 0;
}
