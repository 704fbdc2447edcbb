/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where VDUSE runs a queue's interrupts. VDUSE_VQ_INJECT_IRQ only queues a
 * work item; a kworker calls the driver's virtqueue callback, on the next
 * CPU of the queue's affinity mask each time (the kernel's rotation), so
 * consecutive interrupts of one queue land on alternating CPUs and pay for
 * it in wake-ups and cache misses: 4 to 6 % of the whole path per I/O at
 * queue depth 1 (docs/bench.md). One CPU of the driver's mask per queue
 * keeps the spread over queues and drops the rotation.
 */
#ifndef UVDPA_IRQ_AFFINITY_H
#define UVDPA_IRQ_AFFINITY_H

/*
 * Narrow queue @queue of VDUSE device @name to one CPU of its affinity
 * mask, the (@queue modulo its weight)-th: nothing for a mask of one CPU
 * (the driver's or the operator's own choice). 0, or -errno.
 */
int irq_affinity_pin(const char *name, unsigned int queue);

#endif
