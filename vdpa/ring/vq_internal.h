/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the virtqueue engine's files; not for device models.
 * Calls go one way: virtqueue.c dispatches to vq_split.c and vq_packed.c,
 * and all three use vq_inflight.c and the inline helpers here, which call
 * back into none of them.
 *
 * Ring memory is shared with a driver that may change it at any moment, so
 * every field is loaded exactly once into a local (__atomic loads keep the
 * compiler from reloading a value after it was checked) and only the local
 * copy is validated and used.
 */
#ifndef UVDPA_VQ_INTERNAL_H
#define UVDPA_VQ_INTERNAL_H

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "ring/virtqueue.h"

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;		/* next (split) or buffer ID (packed) */
	uint16_t flags;
};

static inline uint16_t vq_ld16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline uint16_t vq_ld16_acquire(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline void vq_st16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void vq_st16_release(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

static inline void vq_st32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

/*
 * Copy a descriptor out of shared memory. memcpy allows the unaligned
 * indirect tables a driver may hand over; the compiler barrier makes the
 * local copy the only one used, so a value cannot change after it was
 * checked.
 */
static inline void vq_read_split_desc(const struct vring_desc *p,
				      struct vq_desc *d)
{
	struct vring_desc s;

	memcpy(&s, p, sizeof(s));
	__asm__ __volatile__("" : : : "memory");
	d->addr = le64toh(s.addr);
	d->len = le32toh(s.len);
	d->id = le16toh(s.next);
	d->flags = le16toh(s.flags);
}

static inline void vq_read_packed_desc(const struct vring_packed_desc *p,
				       struct vq_desc *d)
{
	struct vring_packed_desc s;

	memcpy(&s, p, sizeof(s));
	__asm__ __volatile__("" : : : "memory");
	d->addr = le64toh(s.addr);
	d->len = le32toh(s.len);
	d->id = le16toh(s.id);
	d->flags = le16toh(s.flags);
}

/*
 * Which check a driver failed, for vq_strerror(). The fault's desc is a ring
 * descriptor index (an avail ring position for VQ_FAULT_AVAIL_*), ind the
 * entry of its indirect table or -1; value, limit and addr as each says.
 */
enum vq_fault_kind {
	VQ_FAULT_NONE,
	VQ_FAULT_AVAIL_IDX,		/* value: avail->idx, desc: last seen */
	VQ_FAULT_AVAIL_HEAD,		/* value: the head at avail position desc */
	VQ_FAULT_ID_RANGE,		/* value: head or buffer ID */
	VQ_FAULT_ID_BUSY,		/* value: head or buffer ID */
	VQ_FAULT_LOOP,			/* value: steps allowed */
	VQ_FAULT_TOO_LONG,		/* value: most descriptors allowed */
	VQ_FAULT_NEXT,			/* value: next, limit: table size */
	VQ_FAULT_READ_AFTER_WRITE,
	VQ_FAULT_INDIRECT_FEATURE,
	VQ_FAULT_INDIRECT_NEXT,
	VQ_FAULT_INDIRECT_MIXED,
	VQ_FAULT_INDIRECT_NESTED,
	VQ_FAULT_INDIRECT_LEN,		/* value: len */
	VQ_FAULT_INDIRECT_MAP,		/* addr, value: len */
	VQ_FAULT_RING_SIZE,		/* value: num */
	VQ_FAULT_RING_ALIGN,		/* desc: enum vq_area, addr, limit: align */
	VQ_FAULT_RING_MAP,		/* desc: enum vq_area, addr, value: len */
	VQ_FAULT_LOG_CHAIN,		/* desc: buffer ID, value: descriptors */
	VQ_FAULT_KINDS
};

/* The three areas of a queue, for VQ_FAULT_RING_*. */
enum vq_area {
	VQ_AREA_DESC,
	VQ_AREA_DRIVER,
	VQ_AREA_DEVICE,
};

/*
 * Note what a driver got wrong and return @err; only on an error path, so
 * the hot path pays nothing for the words.
 */
static inline int vq_fault(struct vq *vq, int err, enum vq_fault_kind kind,
			   uint16_t desc, int32_t ind, uint32_t value,
			   uint32_t limit, uint64_t addr)
{
	vq->fault = (struct vq_fault_info){ err, kind, desc, ind, value,
					    limit, addr };
	return err;
}

/* Say where the fault just noted happened, and return @err. */
static inline int vq_fault_at(struct vq *vq, int err, uint16_t desc,
			      int32_t ind)
{
	vq->fault.desc = desc;
	vq->fault.ind = ind;
	return err;
}

/*
 * The piece of @c an iovec for the next piece goes to: a new one while
 * there is room, else the last, which the chain's last piece must end up in.
 */
static inline struct iovec *vq_chain_slot(struct vq_chain *c)
{
	if (c->out_num + c->in_num == c->max_iov) {
		if (!c->bad)
			c->bad = -ENOBUFS;
		if (c->in_num)
			c->in_num--;
		else
			c->out_num--;
	}
	return &c->iov[c->out_num + c->in_num];
}

/*
 * Append the buffer [addr, addr + len) to @c, one iovec per contiguous host
 * piece the translator returns. What cannot be translated is a fault of
 * the data, not of the ring: the rest of the buffer becomes one iovec with
 * iov_base NULL, and c->bad says why.
 */
static inline void vq_chain_add(struct vq *vq, struct vq_chain *c,
				uint64_t addr, uint32_t len, bool write)
{
	unsigned int access = write ? IOVA_WRITE : IOVA_READ;

	if (write)
		c->in_len += len;
	else
		c->out_len += len;
	while (len) {
		struct iovec *v = vq_chain_slot(c);
		uint64_t mapped;
		void *hva;
		int err;

		err = vq->xlate.translate(vq->xlate.ctx, addr, len, access,
					  &hva, &mapped);
		if (!err && (!mapped || mapped > len))
			err = -EFAULT;
		/* Cold: the walk keeps its registers (ringbench: 2-5 fewer instructions a chain). */
		if (__builtin_expect(err, 0)) {
			if (!c->bad)
				c->bad = err;
			hva = NULL;
			mapped = len;
		}
		v->iov_base = hva;
		v->iov_len = mapped;
		if (write)
			c->in_num++;
		else
			c->out_num++;
		addr += mapped;
		len -= mapped;
	}
}

/*
 * Add descriptor @d to @c: the checks every layout makes on a buffer
 * descriptor. *writing turns true at the first device-writable one; a
 * readable one after it is a driver error (2.7.4.2, 2.8.4.2: "MUST place any
 * device-writable descriptor elements after any device-readable descriptor
 * elements"). A fault is noted without its place: the caller adds it with
 * vq_fault_at().
 */
static inline int vq_desc_add(struct vq *vq, struct vq_chain *c,
			      const struct vq_desc *d, bool *writing)
{
	if (d->flags & VRING_DESC_F_WRITE)
		*writing = true;
	else if (*writing)
		return vq_fault(vq, -EILSEQ, VQ_FAULT_READ_AFTER_WRITE, 0, -1,
				0, 0, 0);
	c->desc_num++;
	if (d->len > c->desc_max)
		c->desc_max = d->len;
	vq_chain_add(vq, c, d->addr, d->len, *writing);
	return 0;
}

/* Map a whole area (ring or indirect table) that must be contiguous. */
static inline int vq_map_area(const struct vq *vq, uint64_t iova, uint64_t size,
			      unsigned int access, void **hva)
{
	uint64_t mapped;
	int err;

	err = vq->xlate.translate(vq->xlate.ctx, iova, size, access, hva,
				  &mapped);
	if (err)
		return err;
	return mapped == size ? 0 : -EFAULT;
}

/*
 * In-flight tracking (vq_inflight.c), below both layouts. vq_take() records
 * chain @id as in flight before the ring position moves past it: -ERANGE for
 * an ID outside the queue, -EEXIST for one already in flight.
 * vq_release() ends it for vq_push(): -ENOENT if @token is not in flight,
 * -EINVAL if it is not the oldest one under VIRTIO_F_IN_ORDER.
 */
int vq_inflight_init(struct vq *vq);
void vq_inflight_fini(struct vq *vq);
void vq_inflight_reset(struct vq *vq);
int vq_take(struct vq *vq, uint16_t id, uint32_t token);

static inline bool vq_test_inflight(const struct vq *vq, uint16_t id)
{
	return vq->inflight[id / 64] & (1ULL << (id % 64));
}

/* Inline: vq_push() is on the hot path. */
static inline int vq_release(struct vq *vq, uint32_t token)
{
	uint16_t id = token & 0xffff;
	uint16_t count = token >> 16;

	if (id >= vq->num || !vq_test_inflight(vq, id) ||
	    (vq->packed && (!count || count > vq->num)))
		return -ENOENT;
	if (vq->in_order) {
		if (vq->order[vq->push_seq] != token)
			return -EINVAL;
		if (++vq->push_seq == vq->num)
			vq->push_seq = 0;
	}
	vq->inflight[id / 64] &= ~(1ULL << (id % 64));
	vq->inflight_count--;
	return 0;
}

int vq_split_pop(struct vq *vq, struct vq_chain *c);
int vq_split_pop_id(struct vq *vq, uint16_t id, struct vq_chain *c);
int vq_split_avail_id(struct vq *vq, uint16_t idx);
int vq_split_used_id(struct vq *vq, uint16_t idx);
void vq_split_push(struct vq *vq, uint16_t id, uint32_t len);
void vq_split_publish(struct vq *vq);
bool vq_split_need_interrupt(struct vq *vq);
void vq_split_disable_notify(struct vq *vq);
int vq_split_enable_notify(struct vq *vq);

int vq_packed_pop(struct vq *vq, struct vq_chain *c);
void vq_packed_push(struct vq *vq, uint16_t id, uint16_t count, uint32_t len);
void vq_packed_publish(struct vq *vq);
bool vq_packed_need_interrupt(struct vq *vq);
void vq_packed_disable_notify(struct vq *vq);
int vq_packed_enable_notify(struct vq *vq);

/*
 * For the in-flight log (vq_log.c), which knows packed positions with
 * their wrap counter. vq_packed_pop_copy(): take chain @id again from a
 * copy of its @count ring descriptors, as vq_pop_id() does on a split
 * ring. vq_packed_avail_id(): the buffer ID and *count of ring descriptors
 * of the chain the driver made available at @pos in lap @wrap, -ENOENT if
 * none. vq_packed_published(): whether the USED flag at @pos, which the
 * device holds, shows lap @wrap. vq_packed_forget_staged(): make the @n
 * positions from @pos not look used, where a daemon that died may have
 * staged used elements it never published (only the first of a batch is
 * held back, 2.8.21).
 */
int vq_packed_pop_copy(struct vq *vq, uint16_t id, const struct vring_packed_desc *descs,
		       uint16_t count, struct vq_chain *c);
/* vq_packed_pop_copy() with vq_pop()'s sticky error (virtqueue.c). */
int vq_pop_copy(struct vq *vq, uint16_t id, const struct vring_packed_desc *descs,
		uint16_t count, struct vq_chain *chain);
int vq_packed_avail_id(struct vq *vq, uint16_t pos, bool wrap, uint16_t *count);
bool vq_packed_published(const struct vq *vq, uint16_t pos, bool wrap);
void vq_packed_forget_staged(struct vq *vq, uint16_t pos, bool wrap, uint16_t n);

#endif
