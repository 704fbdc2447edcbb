// SPDX-License-Identifier: GPL-2.0
/*
 * Which chains are in flight (popped, not yet pushed), by head index or
 * buffer ID, and the order VIRTIO_F_IN_ORDER makes them finish in. The leaf
 * under virtqueue.c and the two ring layouts: it calls neither.
 */
#include <stdlib.h>
#include <string.h>

#include "ring/vq_internal.h"

static size_t inflight_words(const struct vq *vq)
{
	return (vq->num + 63) / 64;
}

int vq_inflight_init(struct vq *vq)
{
	vq->inflight = calloc(inflight_words(vq), sizeof(*vq->inflight));
	if (vq->in_order)
		vq->order = calloc(vq->num, sizeof(*vq->order));
	if (!vq->inflight || (vq->in_order && !vq->order)) {
		vq_inflight_fini(vq);
		return -ENOMEM;
	}
	return 0;
}

void vq_inflight_fini(struct vq *vq)
{
	free(vq->inflight);
	free(vq->order);
	vq->inflight = NULL;
	vq->order = NULL;
}

void vq_inflight_reset(struct vq *vq)
{
	memset(vq->inflight, 0, inflight_words(vq) * sizeof(*vq->inflight));
	vq->inflight_count = 0;
	vq->pop_seq = 0;
	vq->push_seq = 0;
}

int vq_take(struct vq *vq, uint16_t id, uint32_t token)
{
	if (id >= vq->num)
		return vq_fault(vq, -ERANGE, VQ_FAULT_ID_RANGE, id, -1, id,
				vq->num, 0);
	if (vq_test_inflight(vq, id))
		return vq_fault(vq, -EEXIST, VQ_FAULT_ID_BUSY, id, -1, id, 0,
				0);
	vq->inflight[id / 64] |= 1ULL << (id % 64);
	vq->inflight_count++;
	if (vq->in_order) {
		vq->order[vq->pop_seq] = token;
		if (++vq->pop_seq == vq->num)
			vq->pop_seq = 0;
	}
	return 0;
}
