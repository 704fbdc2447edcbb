// SPDX-License-Identifier: GPL-2.0
/* The packed virtqueue, device side (virtio 1.x spec section 2.8). */
#include "ring/vq_internal.h"

#define F_AVAIL (1 << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1 << VRING_PACKED_DESC_F_USED)
#define WRAP_SHIFT VRING_PACKED_EVENT_F_WRAP_CTR

/* 2.8.1: available when AVAIL matches the wrap counter and USED does not. */
static bool is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) != wrap;
}

/*
 * The acquire pairs with the driver's release of the head descriptor's
 * flags, written after the rest of the chain (2.8.6).
 */
static bool head_avail(const struct vq *vq)
{
	return is_avail(vq_ld16_acquire(&vq->pk.desc[vq->last_avail].flags),
			vq->avail_wrap);
}

/*
 * Point the device event offset at the next position and look again; the
 * full fence pairs with the driver's between making a descriptor available
 * and reading the device event structure (2.8.10).
 */
static int arm_and_recheck(struct vq *vq)
{
	uint16_t off_wrap = vq->last_avail | vq->avail_wrap << WRAP_SHIFT;

	if (vq->event_valid && vq->event_written == off_wrap)
		return 0;
	vq_st16(&vq->pk.device->off_wrap, off_wrap);
	vq->event_written = off_wrap;
	vq->event_valid = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return head_avail(vq);
}

/* The indirect table of ring descriptor @at. */
static int walk_indirect(struct vq *vq, const struct vq_desc *d,
			 struct vq_chain *c, uint16_t at)
{
	const struct vring_packed_desc *table;
	struct vq_desc e;
	bool writing = false;
	uint32_t i, n;
	int err;

	if (!d->len || d->len % sizeof(*table))
		return vq_fault(vq, -EBADMSG, VQ_FAULT_INDIRECT_LEN, at, -1,
				d->len, 0, 0);
	n = d->len / sizeof(*table);
	if (n > vq->num)
		return vq_fault(vq, -E2BIG, VQ_FAULT_TOO_LONG, at, -1, vq->num,
				0, 0);
	err = vq_map_area(vq, d->addr, d->len, IOVA_READ, (void **)&table);
	if (err)
		return vq_fault(vq, err, VQ_FAULT_INDIRECT_MAP, at, -1, d->len,
				0, d->addr);
	for (i = 0; i < n; i++) {
		vq_read_packed_desc(&table[i], &e);
		/*
		 * 2.8.7 makes INDIRECT reserved here; a driver setting it
		 * asks for nesting, which no device supports.
		 */
		if (e.flags & VRING_DESC_F_INDIRECT)
			return vq_fault(vq, -EMLINK, VQ_FAULT_INDIRECT_NESTED,
					at, i, 0, 0, 0);
		err = vq_desc_add(vq, c, &e, &writing);
		if (err)
			return vq_fault_at(vq, err, at, i);
	}
	return 0;
}

/*
 * The chain starting at @ring[@start], a table of @size descriptors (the
 * ring, or a copy from the in-flight log). Returns the number of ring
 * descriptors the chain takes, or -errno.
 */
static int walk(struct vq *vq, struct vq_chain *c, uint16_t *id,
		const struct vring_packed_desc *ring, uint16_t start, uint16_t size)
{
	uint16_t i = start;
	bool writing = false;
	struct vq_desc d;
	unsigned int n;
	int err;

	for (n = 1; ; n++) {
		/* Walking every slot and coming back to the head. */
		if (n > vq->num)
			return vq_fault(vq, -E2BIG, VQ_FAULT_TOO_LONG, i, -1,
					vq->num, 0, 0);
		vq_read_packed_desc(&ring[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/*
			 * 2.8.7: needs the feature, never with NEXT, and a
			 * list holds descriptors of one type only.
			 */
			if (!vq->indirect)
				return vq_fault(vq, -EINVAL,
						VQ_FAULT_INDIRECT_FEATURE, i,
						-1, 0, 0, 0);
			if (d.flags & VRING_DESC_F_NEXT)
				return vq_fault(vq, -EINVAL,
						VQ_FAULT_INDIRECT_NEXT, i, -1,
						0, 0, 0);
			if (n > 1)
				return vq_fault(vq, -EINVAL,
						VQ_FAULT_INDIRECT_MIXED, i, -1,
						0, 0, 0);
			err = walk_indirect(vq, &d, c, i);
			if (err)
				return err;
			break;
		}
		err = vq_desc_add(vq, c, &d, &writing);
		if (err)
			return vq_fault_at(vq, err, i, -1);
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (++i == size)
			i = 0;
	}
	/* 2.8.6: the buffer ID is in the last descriptor of the list. */
	*id = d.id;
	return n;
}

/* Chain @id of @n ring descriptors is in flight; its token says both. */
static int take(struct vq *vq, struct vq_chain *c, uint16_t id, int n)
{
	uint32_t token = id | (uint32_t)n << 16;
	int err = vq_take(vq, id, token);

	if (err)
		return err;
	c->id = id;
	c->token = token;
	return 0;
}

int vq_packed_pop(struct vq *vq, struct vq_chain *c)
{
	uint16_t id = 0;
	int n, err;

	if (!head_avail(vq)) {
		if (!vq->notify || !vq->event_idx)
			return 0;
		err = arm_and_recheck(vq);
		if (err <= 0)
			return err;
	}
	n = walk(vq, c, &id, vq->pk.desc, vq->last_avail, vq->num);
	if (n < 0)
		return n;
	err = take(vq, c, id, n);
	if (err)
		return err;
	vq->last_avail += n;
	if (vq->last_avail >= vq->num) {
		vq->last_avail -= vq->num;
		vq->avail_wrap = !vq->avail_wrap;
	}
	return 1;
}

/*
 * 2.8.6: one used descriptor per chain, at the next used position, which
 * then skips over every descriptor the chain took. The first staged
 * descriptor's flags are held back for vq_packed_publish().
 */
void vq_packed_push(struct vq *vq, uint16_t id, uint16_t count, uint32_t len)
{
	struct vring_packed_desc *d = &vq->pk.desc[vq->used_idx];
	uint16_t flags = vq->used_wrap ? F_AVAIL | F_USED : 0;

	/* 2.8.4: WRITE in a used descriptor says len is meaningful. */
	if (len)
		flags |= VRING_DESC_F_WRITE;
	vq_st16(&d->id, id);
	vq_st32(&d->len, len);
	if (vq->staged)
		vq_st16(&d->flags, flags);
	else {
		vq->staged_head = vq->used_idx;
		vq->staged_flags = flags;
	}
	vq->staged++;
	vq->since_signal += count;
	vq->used_idx += count;
	if (vq->used_idx >= vq->num) {
		vq->used_idx -= vq->num;
		vq->used_wrap = !vq->used_wrap;
	}
}

/*
 * The driver polls only the next position, the first staged descriptor:
 * releasing its flags last publishes the whole batch (2.8.21, multi-buffer).
 */
void vq_packed_publish(struct vq *vq)
{
	vq_st16_release(&vq->pk.desc[vq->staged_head].flags,
			vq->staged_flags);
}

bool vq_packed_need_interrupt(struct vq *vq)
{
	uint16_t old = vq->signalled;
	bool old_wrap = vq->signalled_wrap;
	uint32_t since = vq->since_signal;
	uint16_t flags, off_wrap;
	int o, e;

	vq->signalled = vq->used_idx;
	vq->signalled_wrap = vq->used_wrap;
	vq->since_signal = 0;
	if (!since)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = vq_ld16(&vq->pk.driver->flags) & 3;
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx)
		return true;
	/* A lap or more since the last check: positions are ambiguous. */
	if (since >= vq->num)
		return true;
	/*
	 * Put the old position and the event offset on one line with the
	 * new position: an older wrap counter means the previous lap.
	 */
	off_wrap = vq_ld16(&vq->pk.driver->off_wrap);
	o = old - (old_wrap != vq->used_wrap ? vq->num : 0);
	e = (off_wrap & 0x7fff) -
	    (!!(off_wrap >> WRAP_SHIFT) != vq->used_wrap ? vq->num : 0);
	return vring_need_event((uint16_t)e, vq->used_idx, (uint16_t)o);
}

void vq_packed_disable_notify(struct vq *vq)
{
	vq_st16(&vq->pk.device->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

int vq_packed_enable_notify(struct vq *vq)
{
	if (vq->event_idx) {
		uint16_t off_wrap = vq->last_avail |
				    vq->avail_wrap << WRAP_SHIFT;

		vq_st16(&vq->pk.device->off_wrap, off_wrap);
		vq->event_written = off_wrap;
		vq->event_valid = true;
		vq_st16(&vq->pk.device->flags, VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		vq_st16(&vq->pk.device->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return head_avail(vq);
}

int vq_packed_pop_copy(struct vq *vq, uint16_t id, const struct vring_packed_desc *descs,
		       uint16_t count, struct vq_chain *c)
{
	uint16_t got = 0;
	int n, err;

	n = walk(vq, c, &got, descs, 0, count);
	if (n < 0)
		return n;
	if (n != count || got != id)
		return vq_fault(vq, -EBADMSG, VQ_FAULT_LOG_CHAIN, id, -1, count, 0, 0);
	err = take(vq, c, id, n);
	return err ? err : 1;
}

int vq_packed_avail_id(struct vq *vq, uint16_t pos, bool wrap, uint16_t *count)
{
	struct vq_desc d;
	uint16_t n;

	if (pos >= vq->num)
		return -ERANGE;
	if (!is_avail(vq_ld16_acquire(&vq->pk.desc[pos].flags), wrap))
		return -ENOENT;
	/* As walk() ends a chain: at an indirect descriptor or one without NEXT. */
	for (n = 1; ; n++) {
		vq_read_packed_desc(&vq->pk.desc[pos], &d);
		if ((d.flags & VRING_DESC_F_INDIRECT) || !(d.flags & VRING_DESC_F_NEXT))
			break;
		if (n == vq->num)
			return -E2BIG;
		if (++pos == vq->num)
			pos = 0;
	}
	*count = n;
	return d.id < vq->num ? d.id : -ERANGE;
}

/* 2.8.1: used when AVAIL and USED both match the wrap counter. */
static bool is_used(uint16_t flags, bool wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) == wrap;
}

bool vq_packed_published(const struct vq *vq, uint16_t pos, bool wrap)
{
	return !!(vq_ld16_acquire(&vq->pk.desc[pos].flags) & F_USED) == wrap;
}

void vq_packed_forget_staged(struct vq *vq, uint16_t pos, bool wrap, uint16_t n)
{
	uint16_t flags;

	while (n--) {
		flags = vq_ld16(&vq->pk.desc[pos].flags);
		/* The previous lap's used flags: the driver waits there. */
		if (is_used(flags, wrap))
			vq_st16(&vq->pk.desc[pos].flags,
				(flags & ~(F_AVAIL | F_USED)) | (wrap ? 0 : F_AVAIL | F_USED));
		if (++pos == vq->num) {
			pos = 0;
			wrap = !wrap;
		}
	}
}
