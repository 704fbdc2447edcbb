// SPDX-License-Identifier: GPL-2.0
/*
 * Native cost of the notification policy per completion: the C fast path
 * alone (built-in policy, and a coalescing decision that defers), one BPF
 * program run through BPF_PROG_RUN, and what a filter costs per completion
 * at QD32 once runs are amortized over its sample. Batches of 8 completions,
 * as at QD32 with a driver that reaps a few at a time.
 *
 * Usage: nfbench [-n COMPLETIONS]   (default 10M)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/nf.h"
#include "util/array_size.h"

#define BATCH 8
#define RUNS 20000

/* ns per completion of the fast path, with @frames/@usecs as the decision. */
static double fast_path(struct nf_prog *p, uint32_t frames, uint32_t usecs, unsigned long n)
{
	unsigned long done;
	struct nf_vq v;
	uint64_t t0, now;
	unsigned int i;

	nf_vq_init(&v, 0, p, 0, nf_now());
	if (!p) {
		v.dec.defer_frames = frames;
		v.dec.defer_us = usecs;
	}
	t0 = nf_now();
	for (done = 0; done < n; done += BATCH) {
		for (i = 0; i < BATCH; i++)
			nf_completion(&v);
		now = nf_now();
		if (nf_complete(&v, 24, now) == NF_FIRE)
			nf_fired(&v, true, false, now);
		if (nf_sample(&v, 24, now) == NF_FIRE)
			nf_fired(&v, true, false, now);
	}
	return (double)(nf_now() - t0) / done;
}

int main(int argc, char **argv)
{
	unsigned long n = 10000000;
	struct uvdpa_nf_run r = { .abi_version = UVDPA_NF_ABI_VERSION, .reason = 1 };
	const char *names[] = { "passthrough", "coalesce", "adaptive", "poll" };
	struct nf_prog *p;
	char err[512];
	uint64_t t0;
	unsigned int i, j;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: nfbench [-n COMPLETIONS]\n");
			return 2;
		}
		n = strtoul(optarg, NULL, 0);
	}
	printf("# notification policy, ns per completion (batches of %d, %lu completions)\n",
	       BATCH, n);
	printf("%-34s %8.1f\n", "fast path, built-in", fast_path(NULL, 1, 0, n));
	printf("%-34s %8.1f\n", "fast path, deferring 16/100us", fast_path(NULL, 16, 100, n));
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (nf_prog_load(&p, names[i], NULL, 1, err, sizeof(err))) {
			printf("# %s: BPF not measured: %s\n", names[i], err);
			continue;
		}
		t0 = nf_now();
		for (j = 0; j < RUNS; j++)
			p->run(p, &r);
		printf("%s\n", names[i]);
		printf("  %-32s %8.1f ns per run\n", "BPF_PROG_RUN", (double)(nf_now() - t0) / RUNS);
		printf("  %-32s %8.1f\n", "fast path + runs, amortized", fast_path(p, 0, 0, n));
		nf_prog_free(p);
	}
	return 0;
}
