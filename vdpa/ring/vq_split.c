// SPDX-License-Identifier: GPL-2.0
/* The split virtqueue, device side (virtio 1.x spec section 2.7). */
#include "ring/vq_internal.h"

static uint16_t *avail_event(const struct vq *vq)
{
	return (uint16_t *)&vq->split.used->ring[vq->num];
}

static uint16_t *used_event(const struct vq *vq)
{
	return (uint16_t *)&vq->split.avail->ring[vq->num];
}

/*
 * Read avail->idx. The acquire pairs with the driver's release (its write
 * barrier before the index update, 2.7.13), so the ring entries and
 * descriptors up to the index are visible after it. Returns whether a chain
 * is available.
 */
static int refresh_avail(struct vq *vq)
{
	uint16_t idx = vq_ld16_acquire(&vq->split.avail->idx);

	/* A driver never has more than num chains outstanding. */
	if ((uint16_t)(idx - vq->last_avail) > vq->num)
		return vq_fault(vq, -EOVERFLOW, VQ_FAULT_AVAIL_IDX,
				vq->last_avail, -1, idx, vq->num, 0);
	vq->avail_shadow = idx;
	return idx != vq->last_avail;
}

/*
 * Publish avail_event and look again. The full fence orders our store
 * before the reload against the driver's index store and its later
 * avail_event load (2.7.10): either we see its new buffer or it sees our
 * event and kicks.
 */
static int arm_and_recheck(struct vq *vq)
{
	if (vq->event_valid && vq->event_written == vq->last_avail)
		return 0;
	vq_st16(avail_event(vq), vq->last_avail);
	vq->event_written = vq->last_avail;
	vq->event_valid = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return refresh_avail(vq);
}

/* A fault at entry @i of the table walked: the ring, or @parent's table. */
#define WALK_FAULT(err, kind, value, limit, addr)				\
	vq_fault(vq, err, kind, indirect ? parent : i, indirect ? i : -1,	\
		 value, limit, addr)

static int walk(struct vq *vq, uint16_t head, struct vq_chain *c)
{
	const struct vring_desc *table = vq->split.desc;
	unsigned int size = vq->num;
	unsigned int steps = 0;
	unsigned int total = 0;
	bool indirect = false;
	bool writing = false;
	uint16_t i = head;
	uint16_t parent = 0;
	struct vq_desc d;
	int err;

	for (;;) {
		vq_read_split_desc(&table[i], &d);
		/* More steps than entries in the table means a cycle. */
		if (++steps > size)
			return WALK_FAULT(-ELOOP, VQ_FAULT_LOOP, size, 0, 0);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: only with the feature, never with NEXT. */
			if (!vq->indirect)
				return WALK_FAULT(-EINVAL, VQ_FAULT_INDIRECT_FEATURE,
						  0, 0, 0);
			if (d.flags & VRING_DESC_F_NEXT)
				return WALK_FAULT(-EINVAL, VQ_FAULT_INDIRECT_NEXT,
						  0, 0, 0);
			if (indirect)
				return WALK_FAULT(-EMLINK, VQ_FAULT_INDIRECT_NESTED,
						  0, 0, 0);
			if (!d.len || d.len % sizeof(struct vring_desc))
				return WALK_FAULT(-EBADMSG, VQ_FAULT_INDIRECT_LEN,
						  d.len, 0, 0);
			err = vq_map_area(vq, d.addr, d.len, IOVA_READ,
					  (void **)&table);
			if (err)
				return WALK_FAULT(err, VQ_FAULT_INDIRECT_MAP,
						  d.len, 0, d.addr);
			size = d.len / sizeof(struct vring_desc);
			steps = 0;
			indirect = true;
			parent = i;
			i = 0;
			continue;
		}
		if (++total > vq->num)
			return WALK_FAULT(-E2BIG, VQ_FAULT_TOO_LONG, vq->num, 0, 0);
		err = vq_desc_add(vq, c, &d, &writing);
		if (err)
			return vq_fault_at(vq, err, indirect ? parent : i,
					   indirect ? i : -1);
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.id >= size)
			return WALK_FAULT(-ERANGE, VQ_FAULT_NEXT, d.id, size, 0);
		i = d.id;
	}
}

int vq_split_pop(struct vq *vq, struct vq_chain *c)
{
	uint16_t head;
	int ret;

	if (vq->last_avail == vq->avail_shadow) {
		ret = refresh_avail(vq);
		if (!ret && vq->notify && vq->event_idx)
			ret = arm_and_recheck(vq);
		if (ret <= 0)
			return ret;
	}
	head = vq_ld16(&vq->split.avail->ring[vq->last_avail &
					      (vq->num - 1)]);
	if (head >= vq->num)
		return vq_fault(vq, -ERANGE, VQ_FAULT_AVAIL_HEAD,
				vq->last_avail, -1, head, vq->num, 0);
	ret = walk(vq, head, c);
	if (ret)
		return ret;
	ret = vq_take(vq, head, head);
	if (ret)
		return ret;
	c->id = head;
	c->token = head;
	vq->last_avail++;
	return 1;
}

int vq_split_pop_id(struct vq *vq, uint16_t id, struct vq_chain *c)
{
	int ret;

	if (id >= vq->num)
		return vq_fault(vq, -ERANGE, VQ_FAULT_ID_RANGE, id, -1, id,
				vq->num, 0);
	ret = walk(vq, id, c);
	if (!ret)
		ret = vq_take(vq, id, id);
	if (ret)
		return ret;
	c->id = id;
	c->token = id;
	return 1;
}

int vq_split_avail_id(struct vq *vq, uint16_t idx)
{
	uint16_t avail = vq_ld16_acquire(&vq->split.avail->idx);
	uint16_t head;

	/* Positions [avail - num, avail) hold what the driver made available. */
	if ((uint16_t)(avail - idx) == 0 || (uint16_t)(avail - idx) > vq->num)
		return -ENOENT;
	head = vq_ld16(&vq->split.avail->ring[idx & (vq->num - 1)]);
	return head < vq->num ? head : -ERANGE;
}

int vq_split_used_id(struct vq *vq, uint16_t idx)
{
	uint16_t used = vq_ld16(&vq->split.used->idx);
	uint32_t id;

	if ((uint16_t)(used - idx) == 0 || (uint16_t)(used - idx) > vq->num)
		return -ENOENT;
	id = le32toh(__atomic_load_n(&vq->split.used->ring[idx & (vq->num - 1)].id,
				     __ATOMIC_RELAXED));
	return id < vq->num ? (int)id : -ERANGE;
}

void vq_split_push(struct vq *vq, uint16_t id, uint32_t len)
{
	struct vring_used_elem *e;

	e = &vq->split.used->ring[(uint16_t)(vq->used_idx + vq->staged) &
				  (vq->num - 1)];
	vq_st32(&e->id, id);
	vq_st32(&e->len, len);
	vq->staged++;
}

/* The release orders the used elements before the index (2.7.14). */
void vq_split_publish(struct vq *vq)
{
	vq->used_idx += vq->staged;
	vq->since_signal += vq->staged;
	vq_st16_release(&vq->split.used->idx, vq->used_idx);
}

bool vq_split_need_interrupt(struct vq *vq)
{
	uint16_t old = vq->signalled;
	uint16_t new = vq->used_idx;
	uint32_t since = vq->since_signal;

	vq->signalled = new;
	vq->since_signal = 0;
	if (!since)
		return false;
	/*
	 * Order the used index store before reading the driver's
	 * suppression fields, which it writes before re-reading used->idx.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(vq_ld16(&vq->split.avail->flags) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	/* More than a lap of 2^16 since the last check: always signal. */
	if (since >= 0x10000)
		return true;
	return vring_need_event(vq_ld16(used_event(vq)), new, old);
}

void vq_split_disable_notify(struct vq *vq)
{
	/*
	 * With EVENT_IDX a stale avail_event already stops kicks once the
	 * driver has passed it, as in vhost; nothing to write.
	 */
	if (!vq->event_idx)
		vq_st16(&vq->split.used->flags, VRING_USED_F_NO_NOTIFY);
}

int vq_split_enable_notify(struct vq *vq)
{
	if (vq->event_idx) {
		vq->event_valid = false;
		if (vq->last_avail != vq->avail_shadow)
			return 1;
		return arm_and_recheck(vq);
	}
	vq_st16(&vq->split.used->flags, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->last_avail != vq->avail_shadow)
		return 1;
	return refresh_avail(vq);
}
