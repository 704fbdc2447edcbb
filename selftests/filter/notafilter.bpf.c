// SPDX-License-Identifier: GPL-2.0
/* A valid BPF object that is no uvdpa filter: no uvdpa_nf map, another name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int something_else(void *ctx)
{
	return 0;
}
