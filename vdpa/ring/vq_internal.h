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
 * Append the buffer [addr, addr + len) to @c, one iovec per contiguous host
 * piece the translator returns.
 */
static inline int vq_chain_add(const struct vq *vq, struct vq_chain *c,
			       uint64_t addr, uint32_t len, bool write)
{
	unsigned int access = write ? IOVA_WRITE : IOVA_READ;

	if (write)
		c->in_len += len;
	else
		c->out_len += len;
	while (len) {
		unsigned int n = c->out_num + c->in_num;
		uint64_t mapped;
		void *hva;
		int err;

		if (n == c->max_iov)
			return -ENOBUFS;
		err = vq->xlate.translate(vq->xlate.ctx, addr, len, access,
					  &hva, &mapped);
		if (err)
			return err;
		if (!mapped || mapped > len)
			return -EFAULT;
		c->iov[n].iov_base = hva;
		c->iov[n].iov_len = mapped;
		if (write)
			c->in_num++;
		else
			c->out_num++;
		addr += mapped;
		len -= mapped;
	}
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
int vq_release(struct vq *vq, uint32_t token);

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

#endif
