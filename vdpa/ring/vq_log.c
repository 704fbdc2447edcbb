// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight log (see vq_log.h). Stores are ordered with release
 * semantics: what matters is the order in which they reach the shared
 * mapping, which outlives the process, not when another thread sees them.
 */
#include <errno.h>
#include <string.h>

#include "ring/vq_log.h"

void vq_log_set_status(struct vq_log_hdr *log, uint8_t status, uint64_t driver_features)
{
	__atomic_store_n(&log->driver_features, driver_features, __ATOMIC_RELEASE);
	__atomic_store_n(&log->status, status, __ATOMIC_RELEASE);
}

void vq_log_set_clean(struct vq_log_hdr *log, bool clean)
{
	__atomic_store_n(&log->clean, clean, __ATOMIC_RELEASE);
}

static void set_bit(struct vq_log_vq *v, uint16_t id)
{
	__atomic_fetch_or(&v->inflight[id / 64], 1ULL << (id % 64), __ATOMIC_RELEASE);
}

static void clear_bit(struct vq_log_vq *v, uint16_t id)
{
	__atomic_fetch_and(&v->inflight[id / 64], ~(1ULL << (id % 64)), __ATOMIC_RELEASE);
}

static bool test_bit(const struct vq_log_vq *v, uint16_t id)
{
	return __atomic_load_n(&v->inflight[id / 64], __ATOMIC_ACQUIRE) & (1ULL << (id % 64));
}

static void store_state(struct vq_log_vq *v, const struct vq_state *st)
{
	__atomic_store_n(&v->avail_wrap, st->avail_wrap, __ATOMIC_RELEASE);
	__atomic_store_n(&v->avail_idx, st->avail_idx, __ATOMIC_RELEASE);
}

void vq_log_reset(struct vq_log_vq *v, const struct vq_config *cfg, const struct vq_state *st)
{
	__atomic_store_n(&v->num, 0, __ATOMIC_RELEASE);
	memset(v->inflight, 0, sizeof(v->inflight));
	if (!cfg)
		return;
	v->desc_addr = cfg->desc_addr;
	v->driver_addr = cfg->driver_addr;
	v->device_addr = cfg->device_addr;
	v->used_idx = st->used_idx;
	v->used_wrap = st->used_wrap;
	store_state(v, st);
	__atomic_store_n(&v->num, cfg->num, __ATOMIC_RELEASE);
}

void vq_log_pop(struct vq_log_vq *v, uint16_t id, const struct vq_state *st)
{
	set_bit(v, id);
	store_state(v, st);
}

void vq_log_commit(struct vq_log_vq *v, const uint16_t *ids, unsigned int n,
		   const struct vq_state *st)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		clear_bit(v, ids[i]);
	__atomic_store_n(&v->used_wrap, st->used_wrap, __ATOMIC_RELEASE);
	__atomic_store_n(&v->used_idx, st->used_idx, __ATOMIC_RELEASE);
}

int vq_log_next(const struct vq_log_vq *v, unsigned int from)
{
	unsigned int id, num = v->num < VQ_MAX_SIZE ? v->num : VQ_MAX_SIZE;

	for (id = from; id < num; id++)
		if (test_bit(v, id))
			return id;
	return -1;
}

int vq_log_recover(struct vq_log_vq *v, struct vq *vq, struct vq_state *st)
{
	uint16_t pos;
	int id, n = 0, steps;

	if (v->num != vq_size(vq))
		return -EINVAL;
	/* Ids past the queue size are garbage a stale log cannot act on. */
	for (id = v->num; id % 64; id++)
		clear_bit(v, id);
	memset(&v->inflight[id / 64], 0, sizeof(v->inflight) - id / 64 * sizeof(v->inflight[0]));
	id = vq_used_id(vq, v->used_idx);
	if (id == -EOPNOTSUPP) {
		/* Packed: the ring no longer holds the descriptors of chains in flight. */
		if (vq_log_next(v, 0) >= 0)
			return -EOPNOTSUPP;
		st->avail_idx = v->avail_idx;
		st->avail_wrap = v->avail_wrap;
		st->used_idx = v->used_idx;
		st->used_wrap = v->used_wrap;
		return 0;
	}
	/* Used elements published but not yet committed: those chains are done. */
	pos = v->used_idx;
	for (steps = 0; steps < v->num && (id = vq_used_id(vq, pos)) >= 0; steps++, pos++)
		clear_bit(v, id);
	__atomic_store_n(&v->used_idx, pos, __ATOMIC_RELEASE);
	/* A chain marked in flight whose pop did not move the avail position yet. */
	id = vq_avail_id(vq, v->avail_idx);
	if (id >= 0 && test_bit(v, id))
		__atomic_store_n(&v->avail_idx, v->avail_idx + 1, __ATOMIC_RELEASE);
	st->avail_idx = v->avail_idx;
	st->avail_wrap = false;
	st->used_idx = v->used_idx;
	st->used_wrap = false;
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1))
		n++;
	return n;
}
