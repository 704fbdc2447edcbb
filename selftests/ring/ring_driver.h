/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver side of split and packed rings in plain memory, written from the
 * spec's driver sections (2.7.13, 2.7.14, 2.8.21, 2.8.22), to drive the
 * engine in tests and in the benchmark. Everything lives in one region of
 * IOVA space starting at DRV_IOVA_BASE: rings, one indirect table per buffer
 * ID, then a data area the caller carves buffers from.
 */
#ifndef UVDPA_RING_DRIVER_H
#define UVDPA_RING_DRIVER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "ring/virtqueue.h"

#define DRV_IOVA_BASE 0x40000000ULL
#define DRV_MAX_SEG 64
#define DRV_F_AVAIL (1 << VRING_PACKED_DESC_F_AVAIL)
#define DRV_F_USED (1 << VRING_PACKED_DESC_F_USED)

struct drv_seg {
	uint64_t iova;
	uint32_t len;
	bool write;
};

struct drv {
	uint16_t num;
	bool packed;
	bool event_idx;
	uint8_t *mem;
	uint64_t size;
	struct iova_region region;
	struct iova_table table;
	struct iova_xlate xlate;
	struct vq_config cfg;
	uint64_t ind_iova;
	uint64_t data_iova;
	uint64_t data_size;

	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *drv_event;
	struct vring_packed_desc_event *dev_event;

	uint16_t *free;			/* stack of free descriptors (split) or IDs */
	unsigned int nfree_ids;
	unsigned int num_free;		/* free ring descriptors */
	uint16_t *chain_len;		/* ring descriptors per head / ID */
	uint16_t *next;			/* split: driver's copy of the links */
	bool *busy;

	uint16_t avail_idx;		/* split: free running */
	uint16_t kicked;
	uint16_t last_used;		/* split: free running; packed: position */
	bool used_wrap;
	uint16_t next_avail;		/* packed */
	bool avail_wrap;
	uint16_t kick_pos;
	bool kick_wrap;
};

static inline void *drv_ptr(const struct drv *d, uint64_t iova)
{
	return d->mem + (iova - DRV_IOVA_BASE);
}

static inline uint64_t drv_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline void drv_reset_free(struct drv *d)
{
	unsigned int i;

	d->nfree_ids = d->num;
	d->num_free = d->num;
	for (i = 0; i < d->num; i++) {
		d->free[i] = d->num - 1 - i;
		d->busy[i] = false;
	}
}

/* @features as negotiated; @data_size bytes of buffer space after the rings. */
static inline int drv_init(struct drv *d, uint16_t num, uint64_t features,
			   uint64_t data_size)
{
	uint64_t off, dev_off;

	memset(d, 0, sizeof(*d));
	d->num = num;
	d->packed = features & (1ULL << VIRTIO_F_RING_PACKED);
	d->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	off = 16ULL * num;
	d->cfg.driver_addr = DRV_IOVA_BASE + off;
	off = drv_align(off + 6 + 2ULL * num, 4);
	dev_off = off;
	off = drv_align(off + 6 + 8ULL * num, 64);
	d->ind_iova = DRV_IOVA_BASE + off;
	off += 16ULL * DRV_MAX_SEG * num;
	d->data_iova = DRV_IOVA_BASE + off;
	d->data_size = data_size;
	d->size = drv_align(off + data_size, 4096);
	d->mem = aligned_alloc(4096, d->size);
	d->free = calloc(num, sizeof(*d->free));
	d->chain_len = calloc(num, sizeof(*d->chain_len));
	d->next = calloc(num, sizeof(*d->next));
	d->busy = calloc(num, sizeof(*d->busy));
	if (!d->mem || !d->free || !d->chain_len || !d->next || !d->busy)
		return -ENOMEM;
	memset(d->mem, 0, d->size);
	d->region = (struct iova_region){ DRV_IOVA_BASE, d->size, d->mem,
					  IOVA_READ | IOVA_WRITE };
	d->table = (struct iova_table){ &d->region, 1 };
	d->xlate = (struct iova_xlate){ iova_table_translate, &d->table };
	d->cfg.features = features;
	d->cfg.num = num;
	d->cfg.desc_addr = DRV_IOVA_BASE;
	d->cfg.device_addr = DRV_IOVA_BASE + dev_off;
	d->desc = drv_ptr(d, d->cfg.desc_addr);
	d->avail = drv_ptr(d, d->cfg.driver_addr);
	d->used = drv_ptr(d, d->cfg.device_addr);
	d->pdesc = drv_ptr(d, d->cfg.desc_addr);
	d->drv_event = drv_ptr(d, d->cfg.driver_addr);
	d->dev_event = drv_ptr(d, d->cfg.device_addr);
	d->avail_wrap = true;
	d->used_wrap = true;
	d->kick_wrap = true;
	drv_reset_free(d);
	return 0;
}

static inline void drv_fini(struct drv *d)
{
	free(d->mem);
	free(d->free);
	free(d->chain_len);
	free(d->next);
	free(d->busy);
}

/* Split only: start every index at @idx, as after 65536 - @idx chains. */
static inline void drv_split_start(struct drv *d, uint16_t idx)
{
	d->avail_idx = idx;
	d->kicked = idx;
	d->last_used = idx;
	d->avail->idx = htole16(idx);
	d->used->idx = htole16(idx);
}

static inline uint16_t drv_packed_avail_flags(bool wrap)
{
	return wrap ? DRV_F_AVAIL : DRV_F_USED;
}

static inline int drv_add_split(struct drv *d, const struct drv_seg *s,
				unsigned int n, bool indirect)
{
	unsigned int ndesc = indirect ? 1 : n;
	uint16_t head, cur;
	unsigned int i;

	if (d->num_free < ndesc)
		return -ENOSPC;
	head = d->free[--d->num_free];
	if (indirect) {
		struct vring_desc *t = drv_ptr(d, d->ind_iova +
					       16ULL * DRV_MAX_SEG * head);

		for (i = 0; i < n; i++) {
			t[i].addr = htole64(s[i].iova);
			t[i].len = htole32(s[i].len);
			t[i].flags = htole16((i + 1 < n ? VRING_DESC_F_NEXT : 0) |
					     (s[i].write ? VRING_DESC_F_WRITE : 0));
			t[i].next = htole16(i + 1);
		}
		d->desc[head].addr = htole64(d->ind_iova +
					     16ULL * DRV_MAX_SEG * head);
		d->desc[head].len = htole32(16 * n);
		d->desc[head].flags = htole16(VRING_DESC_F_INDIRECT);
	} else {
		cur = head;
		for (i = 0; i < n; i++) {
			uint16_t flags = s[i].write ? VRING_DESC_F_WRITE : 0;

			d->desc[cur].addr = htole64(s[i].iova);
			d->desc[cur].len = htole32(s[i].len);
			if (i + 1 < n) {
				d->next[cur] = d->free[--d->num_free];
				d->desc[cur].next = htole16(d->next[cur]);
				flags |= VRING_DESC_F_NEXT;
			}
			d->desc[cur].flags = htole16(flags);
			cur = d->next[cur];
		}
	}
	d->chain_len[head] = ndesc;
	d->busy[head] = true;
	d->avail->ring[d->avail_idx & (d->num - 1)] = htole16(head);
	d->avail_idx++;
	return head;
}

static inline int drv_add_packed(struct drv *d, const struct drv_seg *s,
				 unsigned int n, bool indirect)
{
	unsigned int ndesc = indirect ? 1 : n;
	uint16_t id, pos = d->next_avail, head = d->next_avail;
	uint16_t head_flags = 0;
	bool wrap = d->avail_wrap;
	unsigned int i;

	if (d->num_free < ndesc || !d->nfree_ids)
		return -ENOSPC;
	id = d->free[--d->nfree_ids];
	if (indirect) {
		struct vring_packed_desc *t = drv_ptr(d, d->ind_iova +
						      16ULL * DRV_MAX_SEG * id);

		for (i = 0; i < n; i++) {
			t[i].addr = htole64(s[i].iova);
			t[i].len = htole32(s[i].len);
			t[i].id = 0;
			t[i].flags = htole16(s[i].write ? VRING_DESC_F_WRITE : 0);
		}
		d->pdesc[pos].addr = htole64(d->ind_iova +
					     16ULL * DRV_MAX_SEG * id);
		d->pdesc[pos].len = htole32(16 * n);
		d->pdesc[pos].id = htole16(id);
		head_flags = VRING_DESC_F_INDIRECT |
			     drv_packed_avail_flags(wrap);
		if (++pos == d->num) {
			pos = 0;
			wrap = !wrap;
		}
	} else {
		for (i = 0; i < n; i++) {
			uint16_t flags = drv_packed_avail_flags(wrap) |
				(s[i].write ? VRING_DESC_F_WRITE : 0) |
				(i + 1 < n ? VRING_DESC_F_NEXT : 0);

			d->pdesc[pos].addr = htole64(s[i].iova);
			d->pdesc[pos].len = htole32(s[i].len);
			d->pdesc[pos].id = htole16(id);
			if (i)
				d->pdesc[pos].flags = htole16(flags);
			else
				head_flags = flags;
			if (++pos == d->num) {
				pos = 0;
				wrap = !wrap;
			}
		}
	}
	/* 2.8.21: the head's flags go last, with release semantics. */
	__atomic_store_n(&d->pdesc[head].flags, htole16(head_flags),
			 __ATOMIC_RELEASE);
	d->next_avail = pos;
	d->avail_wrap = wrap;
	d->num_free -= ndesc;
	d->chain_len[id] = ndesc;
	d->busy[id] = true;
	return id;
}

/*
 * Make a buffer of @n segments available; returns its head index / buffer
 * ID, or -ENOSPC. Split buffers become visible at drv_kick().
 */
static inline int drv_add(struct drv *d, const struct drv_seg *s,
			  unsigned int n, bool indirect)
{
	return d->packed ? drv_add_packed(d, s, n, indirect) :
			   drv_add_split(d, s, n, indirect);
}

/* Linearise @pos of lap @wrap next to the current (@cur_wrap) lap. */
static inline int drv_lin(uint16_t pos, bool wrap, bool cur_wrap, uint16_t num)
{
	return pos - (wrap != cur_wrap ? num : 0);
}

/* Publish and tell whether the device wants a notification (2.7.13.4). */
static inline bool drv_kick(struct drv *d)
{
	uint16_t flags, ev;

	if (!d->packed) {
		uint16_t old = d->kicked;

		__atomic_store_n(&d->avail->idx, htole16(d->avail_idx),
				 __ATOMIC_RELEASE);
		d->kicked = d->avail_idx;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (d->event_idx) {
			ev = le16toh(__atomic_load_n(
				(uint16_t *)&d->used->ring[d->num],
				__ATOMIC_RELAXED));
			return vring_need_event(ev, d->avail_idx, old);
		}
		return !(le16toh(__atomic_load_n(&d->used->flags,
						 __ATOMIC_RELAXED)) &
			 VRING_USED_F_NO_NOTIFY);
	}
	{
		int old = drv_lin(d->kick_pos, d->kick_wrap, d->avail_wrap,
				  d->num);
		int e;

		d->kick_pos = d->next_avail;
		d->kick_wrap = d->avail_wrap;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		flags = le16toh(__atomic_load_n(&d->dev_event->flags,
						__ATOMIC_RELAXED));
		ev = le16toh(__atomic_load_n(&d->dev_event->off_wrap,
					     __ATOMIC_RELAXED));
		if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
			return false;
		if (flags != VRING_PACKED_EVENT_FLAG_DESC)
			return true;
		e = drv_lin(ev & 0x7fff, ev >> 15, d->avail_wrap, d->num);
		return vring_need_event((uint16_t)e, d->next_avail,
					(uint16_t)old);
	}
}

/* Ask for used buffer notifications at the next used buffer, or none. */
static inline void drv_set_cb(struct drv *d, bool enable)
{
	if (!d->packed) {
		/* An event just behind the used index fires in 2^16. */
		if (d->event_idx)
			__atomic_store_n((uint16_t *)&d->avail->ring[d->num],
					 htole16(d->last_used - !enable),
					 __ATOMIC_RELAXED);
		__atomic_store_n(&d->avail->flags,
				 htole16(enable ? 0 : VRING_AVAIL_F_NO_INTERRUPT),
				 __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&d->drv_event->off_wrap,
				 htole16(d->last_used | d->used_wrap << 15),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&d->drv_event->flags,
				 htole16(!enable ? VRING_PACKED_EVENT_FLAG_DISABLE :
					 d->event_idx ? VRING_PACKED_EVENT_FLAG_DESC :
					 VRING_PACKED_EVENT_FLAG_ENABLE),
				 __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Split with EVENT_IDX: interrupt only once the used index passes @idx;
 * packed: at position @pos of lap @wrap.
 */
static inline void drv_set_used_event(struct drv *d, uint16_t idx, bool wrap)
{
	if (!d->packed) {
		__atomic_store_n((uint16_t *)&d->avail->ring[d->num],
				 htole16(idx), __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&d->drv_event->off_wrap,
				 htole16(idx | wrap << 15), __ATOMIC_RELAXED);
		__atomic_store_n(&d->drv_event->flags,
				 htole16(VRING_PACKED_EVENT_FLAG_DESC),
				 __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Take the next used buffer: 1 with *id and *len, 0 if none, -EPROTO if the
 * device returned an ID that is not outstanding. Like a NAPI poll, callers
 * re-arm notifications with drv_set_cb() once done reaping.
 */
static inline int drv_get_used(struct drv *d, uint16_t *id, uint32_t *len)
{
	uint16_t i, n, cur;

	if (!d->packed) {
		struct vring_used_elem *e;

		if (d->last_used == le16toh(__atomic_load_n(&d->used->idx,
							    __ATOMIC_ACQUIRE)))
			return 0;
		e = &d->used->ring[d->last_used & (d->num - 1)];
		*id = le32toh(e->id);
		*len = le32toh(e->len);
		if (*id >= d->num || !d->busy[*id])
			return -EPROTO;
		d->last_used++;
		n = d->chain_len[*id];
		for (i = 0, cur = *id; i < n; i++) {
			d->free[d->num_free++] = cur;
			cur = d->next[cur];
		}
	} else {
		struct vring_packed_desc *p = &d->pdesc[d->last_used];
		uint16_t f = le16toh(__atomic_load_n(&p->flags,
						     __ATOMIC_ACQUIRE));

		if (!!(f & DRV_F_AVAIL) != d->used_wrap ||
		    !!(f & DRV_F_USED) != d->used_wrap)
			return 0;
		*id = le16toh(p->id);
		*len = f & VRING_DESC_F_WRITE ? le32toh(p->len) : 0;
		if (*id >= d->num || !d->busy[*id])
			return -EPROTO;
		n = d->chain_len[*id];
		d->last_used += n;
		if (d->last_used >= d->num) {
			d->last_used -= d->num;
			d->used_wrap = !d->used_wrap;
		}
		d->num_free += n;
		d->free[d->nfree_ids++] = *id;
	}
	d->busy[*id] = false;
	return 1;
}

#endif
