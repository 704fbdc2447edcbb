// SPDX-License-Identifier: GPL-2.0
/*
 * Layout-independent part of the virtqueue engine: setup, the public calls
 * that dispatch to the split or packed layout, and restart state.
 */
#include <string.h>
#include <linux/virtio_config.h>

#include "ring/vq_internal.h"

static bool has_feature(const struct vq_config *cfg, unsigned int bit)
{
	return cfg->features & (1ULL << bit);
}

static int map_rings(struct vq *vq, const struct vq_config *cfg)
{
	/* Alignments, sizes and access: spec 2.7 (split), 2.8.10.1 (packed). */
	const struct {
		uint64_t iova;
		uint64_t size;
		unsigned int align;
		unsigned int access;
		void **hva;
	} split[] = {
		{ cfg->desc_addr, 16ULL * cfg->num, 16, IOVA_READ,
		  (void **)&vq->split.desc },
		{ cfg->driver_addr, 6 + 2ULL * cfg->num, 2, IOVA_READ,
		  (void **)&vq->split.avail },
		{ cfg->device_addr, 6 + 8ULL * cfg->num, 4,
		  IOVA_READ | IOVA_WRITE, (void **)&vq->split.used },
	}, packed[] = {
		{ cfg->desc_addr, 16ULL * cfg->num, 16, IOVA_READ | IOVA_WRITE,
		  (void **)&vq->pk.desc },
		{ cfg->driver_addr, 4, 4, IOVA_READ, (void **)&vq->pk.driver },
		{ cfg->device_addr, 4, 4, IOVA_WRITE, (void **)&vq->pk.device },
	}, *a = vq->packed ? packed : split;
	unsigned int i;
	int err;

	/* Indexed by enum vq_area. */
	for (i = 0; i < 3; i++)
		if (a[i].iova % a[i].align)
			return vq_fault(vq, -EINVAL, VQ_FAULT_RING_ALIGN, i, -1,
					0, a[i].align, a[i].iova);
	for (i = 0; i < 3; i++) {
		err = vq_map_area(vq, a[i].iova, a[i].size, a[i].access,
				  a[i].hva);
		if (err)
			return vq_fault(vq, err, VQ_FAULT_RING_MAP, i, -1,
					a[i].size, 0, a[i].iova);
	}
	return 0;
}

int vq_init(struct vq *vq, const struct vq_config *cfg,
	    const struct iova_xlate *xlate)
{
	int err;

	memset(vq, 0, sizeof(*vq));
	vq->packed = has_feature(cfg, VIRTIO_F_RING_PACKED);
	if (!cfg->num || cfg->num > VQ_MAX_SIZE ||
	    (!vq->packed && (cfg->num & (cfg->num - 1))))
		return vq_fault(vq, -EINVAL, VQ_FAULT_RING_SIZE, 0, -1,
				cfg->num, VQ_MAX_SIZE, 0);
	vq->num = cfg->num;
	vq->event_idx = has_feature(cfg, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = has_feature(cfg, VIRTIO_RING_F_INDIRECT_DESC);
	vq->in_order = has_feature(cfg, VIRTIO_F_IN_ORDER);
	vq->xlate = *xlate;
	vq->avail_wrap = true;
	vq->used_wrap = true;
	vq->signalled_wrap = true;
	err = map_rings(vq, cfg);
	if (!err)
		err = vq_inflight_init(vq);
	if (err)
		return err;
	vq_enable_notify(vq);
	return 0;
}

void vq_fini(struct vq *vq)
{
	vq_inflight_fini(vq);
}

static void chain_reset(struct vq_chain *chain)
{
	chain->out_num = 0;
	chain->in_num = 0;
	chain->out_len = 0;
	chain->in_len = 0;
	chain->desc_num = 0;
	chain->desc_max = 0;
	chain->bad = 0;
}

int vq_pop(struct vq *vq, struct vq_chain *chain)
{
	int ret;

	if (vq->error)
		return vq->error;
	chain_reset(chain);
	ret = vq->packed ? vq_packed_pop(vq, chain) : vq_split_pop(vq, chain);
	if (ret < 0)
		vq->error = ret;
	return ret;
}

int vq_push(struct vq *vq, uint32_t token, uint32_t len)
{
	int err;

	if (vq->error)
		return vq->error;
	err = vq_release(vq, token);
	if (err)
		return err;
	if (vq->packed)
		vq_packed_push(vq, token & 0xffff, token >> 16, len);
	else
		vq_split_push(vq, token & 0xffff, len);
	return 0;
}

void vq_publish(struct vq *vq)
{
	if (!vq->staged)
		return;
	if (vq->packed)
		vq_packed_publish(vq);
	else
		vq_split_publish(vq);
	vq->staged = 0;
}

bool vq_need_interrupt(struct vq *vq)
{
	if (vq->error)
		return false;
	vq_publish(vq);
	return vq->packed ? vq_packed_need_interrupt(vq) :
			    vq_split_need_interrupt(vq);
}

void vq_disable_notify(struct vq *vq)
{
	vq->notify = false;
	if (vq->error)
		return;
	if (vq->packed)
		vq_packed_disable_notify(vq);
	else
		vq_split_disable_notify(vq);
}

int vq_enable_notify(struct vq *vq)
{
	vq->notify = true;
	if (vq->error)
		return vq->error;
	return vq->packed ? vq_packed_enable_notify(vq) :
			    vq_split_enable_notify(vq);
}

int vq_error(const struct vq *vq)
{
	return vq->error;
}

void vq_get_state(const struct vq *vq, struct vq_state *state)
{
	state->avail_idx = vq->last_avail;
	state->avail_wrap = vq->avail_wrap;
	state->used_idx = vq->used_idx;
	state->used_wrap = vq->used_wrap;
}

int vq_set_state(struct vq *vq, const struct vq_state *state)
{
	if (vq->error)
		return vq->error;
	if (vq->packed) {
		if (state->avail_idx >= vq->num || state->used_idx >= vq->num)
			return -EINVAL;
		vq->avail_wrap = state->avail_wrap;
		vq->used_idx = state->used_idx;
		vq->used_wrap = state->used_wrap;
	} else {
		/*
		 * The used index lives in ring memory the device wrote last,
		 * which is what vhost reads back on start as well.
		 */
		vq->used_idx = vq_ld16(&vq->split.used->idx);
	}
	vq->last_avail = state->avail_idx;
	vq->avail_shadow = state->avail_idx;
	vq->signalled = vq->used_idx;
	vq->signalled_wrap = vq->used_wrap;
	vq->since_signal = 0;
	vq->staged = 0;
	vq->event_valid = false;
	vq_inflight_reset(vq);
	if (vq->notify)
		vq_enable_notify(vq);
	return 0;
}

int vq_pop_id(struct vq *vq, uint16_t id, struct vq_chain *chain)
{
	int ret;

	if (vq->error)
		return vq->error;
	if (vq->packed)
		return -EOPNOTSUPP;
	chain_reset(chain);
	ret = vq_split_pop_id(vq, id, chain);
	if (ret < 0)
		vq->error = ret;
	return ret;
}

int vq_pop_copy(struct vq *vq, uint16_t id, const struct vring_packed_desc *descs,
		uint16_t count, struct vq_chain *chain)
{
	int ret;

	if (vq->error)
		return vq->error;
	chain_reset(chain);
	ret = vq_packed_pop_copy(vq, id, descs, count, chain);
	if (ret < 0)
		vq->error = ret;
	return ret;
}

int vq_avail_id(struct vq *vq, uint16_t idx)
{
	return vq->packed ? -EOPNOTSUPP : vq_split_avail_id(vq, idx);
}

int vq_used_id(struct vq *vq, uint16_t idx)
{
	return vq->packed ? -EOPNOTSUPP : vq_split_used_id(vq, idx);
}

unsigned int vq_inflight_count(const struct vq *vq)
{
	return vq->inflight_count;
}

unsigned int vq_size(const struct vq *vq)
{
	return vq->num;
}
