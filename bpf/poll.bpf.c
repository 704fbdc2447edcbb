// SPDX-License-Identifier: GPL-2.0
/*
 * poll: for latency-critical queues. While requests keep coming, kick
 * notifications stay off and the worker polls the ring, so a new request
 * costs the driver no notification and the device no wake-up; after
 * poll_usecs without one, kicks come back on. Interrupts go out at once.
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
	__u64 poll_usecs;
} uvdpa_defaults = {
	.poll_usecs = 50,
};

SEC("syscall")
int uvdpa_filter(struct uvdpa_nf_run *run)
{
	struct uvdpa_nf_vq *q = uvdpa_nf_vq(run);
	const typeof(uvdpa_defaults) *p = uvdpa_nf_params();

	if (!q || !p)
		return 0;
	uvdpa_nf_decide(q, 1, 0, 0, p->poll_usecs, 4096, 100000);
	return 0;
}
