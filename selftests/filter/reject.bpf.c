// SPDX-License-Identifier: GPL-2.0
/*
 * A filter the verifier must refuse: it indexes the queues with the
 * daemon's number without checking it against UVDPA_NF_MAX_VQ.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uvdpa_filter.h"

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int uvdpa_filter(struct uvdpa_nf_run *run)
{
	struct uvdpa_nf_shared *sh = uvdpa_nf_shared();

	if (!sh)
		return 0;
	sh->vq[run->vq].dec.defer_frames = 1;
	return 0;
}
