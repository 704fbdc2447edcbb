// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight log (see vq_log.h). Stores are ordered with release
 * semantics: what matters is the order in which they reach the shared
 * mapping, which outlives the process, not when another thread sees them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "ring/vq_internal.h"
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

static void set_bit(uint64_t *map, uint16_t id)
{
	__atomic_fetch_or(&map[id / 64], 1ULL << (id % 64), __ATOMIC_RELEASE);
}

static void clear_bit(uint64_t *map, uint16_t id)
{
	__atomic_fetch_and(&map[id / 64], ~(1ULL << (id % 64)), __ATOMIC_RELEASE);
}

static bool test_bit(const uint64_t *map, uint16_t id)
{
	return __atomic_load_n(&map[id / 64], __ATOMIC_ACQUIRE) & (1ULL << (id % 64));
}

/* A ring position as the log keeps it. */
static uint16_t log_pos(bool packed, uint16_t idx, bool wrap)
{
	return packed && wrap ? idx | VQ_LOG_WRAP : idx;
}

static bool cfg_packed(const struct vq_config *cfg)
{
	return cfg->features & (1ULL << VIRTIO_F_RING_PACKED);
}

void vq_log_reset(struct vq_log_vq *v, const struct vq_config *cfg, const struct vq_state *st)
{
	__atomic_store_n(&v->num, 0, __ATOMIC_RELEASE);
	memset(v->inflight, 0, sizeof(v->inflight));
	memset(v->done, 0, sizeof(v->done));
	if (!cfg)
		return;
	v->desc_addr = cfg->desc_addr;
	v->driver_addr = cfg->driver_addr;
	v->device_addr = cfg->device_addr;
	v->used_idx = log_pos(cfg_packed(cfg), st->used_idx, st->used_wrap);
	v->next_used = v->used_idx;
	v->avail_idx = log_pos(cfg_packed(cfg), st->avail_idx, st->avail_wrap);
	__atomic_store_n(&v->num, cfg->num, __ATOMIC_RELEASE);
}

void vq_log_stop(struct vq_logger *l)
{
	free(l->free);
	free(l->scratch);
	l->free = NULL;
	l->scratch = NULL;
	l->nr_free = 0;
}

int vq_log_start(struct vq_logger *l, struct vq_log_vq *v, const struct vq *vq)
{
	unsigned int i;

	l->v = v;
	l->free = NULL;
	l->scratch = NULL;
	l->nr_free = 0;
	if (!vq->packed)
		return 0;
	l->free = malloc(vq->num * sizeof(*l->free));
	l->scratch = malloc(vq->num * sizeof(*l->scratch));
	if (!l->free || !l->scratch) {
		vq_log_stop(l);
		return -ENOMEM;
	}
	/* Low entries on top: a queue with few chains in flight touches few pages of the file. */
	for (i = 0; i < vq->num; i++)
		l->free[i] = vq->num - 1 - i;
	l->nr_free = vq->num;
	return 0;
}

static struct vq_log_chain load_chain(const struct vq_log_vq *v, uint16_t id)
{
	struct vq_log_chain ch;

	__atomic_load(&v->chain[id], &ch, __ATOMIC_ACQUIRE);
	return ch;
}

/*
 * Copy the ring descriptors packed chain @c took, popped just now and
 * still in place (the device's used elements trail every chain in
 * flight), into entries of the pool; then say where they are.
 */
static int keep_chain(struct vq_logger *l, const struct vq *vq, const struct vq_chain *c)
{
	struct vq_log_vq *v = l->v;
	uint16_t count = c->token >> 16, pos, e, prev = 0;
	struct vq_log_chain ch = { .count = count };
	struct vq_desc d;
	unsigned int k;

	if (count > l->nr_free)
		return -ENOSPC;
	pos = vq->last_avail >= count ? vq->last_avail - count : vq->last_avail + vq->num - count;
	for (k = 0; k < count; k++) {
		e = l->free[--l->nr_free];
		vq_read_packed_desc(&vq->pk.desc[pos], &d);
		v->desc[e] = (struct vq_log_desc){ .addr = d.addr, .len = d.len, .flags = d.flags };
		if (k)
			v->desc[prev].next = e;
		else
			ch.first = e;
		prev = e;
		if (++pos == vq->num)
			pos = 0;
	}
	__atomic_store(&v->chain[c->id], &ch, __ATOMIC_RELEASE);
	return 0;
}

int vq_log_pop(struct vq_logger *l, const struct vq *vq, const struct vq_chain *c)
{
	int err;

	if (vq->packed) {
		err = keep_chain(l, vq, c);
		if (err)
			return err;
	}
	set_bit(l->v->inflight, c->id);
	__atomic_store_n(&l->v->avail_idx, log_pos(vq->packed, vq->last_avail, vq->avail_wrap),
			 __ATOMIC_RELEASE);
	return 0;
}

/* Chain @id's entries back to the pool; bounded, for the log is memory others can map. */
static void free_chain(struct vq_logger *l, uint16_t num, uint16_t id)
{
	struct vq_log_chain ch = load_chain(l->v, id);
	uint16_t e = ch.first;
	unsigned int k;

	for (k = 0; k < ch.count && e < num && l->nr_free < num; k++) {
		l->free[l->nr_free++] = e;
		e = l->v->desc[e].next;
	}
}

void vq_log_publish(struct vq_logger *l, struct vq *vq, const uint16_t *ids, unsigned int n)
{
	struct vq_log_vq *v = l->v;
	unsigned int i;

	/*
	 * Packed: once published, the driver may take the used elements and
	 * make their positions available again, so the ring cannot tell a new
	 * daemon which chains they ended. Say it before publishing: the batch
	 * and the used position after it. Split: the used ring stays the
	 * device's, vq_log_recover() reads it back.
	 */
	if (vq->packed) {
		for (i = 0; i < n; i++)
			set_bit(v->done, ids[i]);
		/* A packed push moves the used position already. */
		__atomic_store_n(&v->next_used, log_pos(true, vq->used_idx, vq->used_wrap),
				 __ATOMIC_RELEASE);
	}
	vq_publish(vq);
	/* A chain's entries stay as they are until the next pop, after this returns. */
	for (i = 0; i < n; i++) {
		if (vq->packed) {
			free_chain(l, vq->num, ids[i]);
			clear_bit(v->done, ids[i]);
		}
		clear_bit(v->inflight, ids[i]);
	}
	__atomic_store_n(&v->used_idx, log_pos(vq->packed, vq->used_idx, vq->used_wrap),
			 __ATOMIC_RELEASE);
}

int vq_log_pop_again(struct vq_logger *l, struct vq *vq, uint16_t id, struct vq_chain *c)
{
	struct vq_log_chain ch;
	unsigned int k;
	uint16_t e;

	if (!vq->packed)
		return vq_pop_id(vq, id, c);
	if (id >= vq->num)
		return -ERANGE;
	ch = load_chain(l->v, id);
	if (ch.count > vq->num)
		return -EBADMSG;
	for (e = ch.first, k = 0; k < ch.count; k++) {
		const struct vq_log_desc *p;

		if (e >= vq->num)
			return -EBADMSG;
		p = &l->v->desc[e];
		l->scratch[k] = (struct vring_packed_desc){
			.addr = htole64(p->addr),
			.len = htole32(p->len),
			.id = htole16(id),
			.flags = htole16(p->flags),
		};
		e = p->next;
	}
	return vq_pop_copy(vq, id, l->scratch, ch.count, c);
}

int vq_log_next(const struct vq_log_vq *v, unsigned int from)
{
	unsigned int id, num = v->num < VQ_MAX_SIZE ? v->num : VQ_MAX_SIZE;

	for (id = from; id < num; id++)
		if (test_bit(v->inflight, id))
			return id;
	return -1;
}

/* Packed position @pw moved on by @n descriptors, its wrap counter flipping at the end. */
static uint16_t advance(uint16_t pw, unsigned int n, uint16_t num)
{
	unsigned int pos = (pw & ~VQ_LOG_WRAP) + n;
	uint16_t wrap = pw & VQ_LOG_WRAP;

	if (pos >= num) {
		pos -= num;
		wrap ^= VQ_LOG_WRAP;
	}
	return pos | wrap;
}

/* Descriptors from packed position @from to @to, or -1 when @to is behind or a lap ahead. */
static int distance(uint16_t from, uint16_t to, uint16_t num)
{
	int d = (int)(to & ~VQ_LOG_WRAP) - (int)(from & ~VQ_LOG_WRAP);

	if ((from ^ to) & VQ_LOG_WRAP)
		d += num;
	return d >= 0 && d <= num ? d : -1;
}

static int untrusted(char *why, size_t whylen, const char *fmt, unsigned int a, unsigned int b)
{
	snprintf(why, whylen, fmt, a, b);
	return -EBADMSG;
}

/*
 * Check the chains in flight against the positions and take their entries
 * out of the pool: a log that lies is refused, never acted on.
 */
static int claim_chains(struct vq_logger *l, uint16_t num, int dist, char *why, size_t whylen)
{
	struct vq_log_vq *v = l->v;
	unsigned int total = 0, k;
	uint8_t *busy = calloc(num, 1);
	int id, e, ret = 0;

	if (!busy)
		return -ENOMEM;
	for (id = vq_log_next(v, 0); id >= 0 && !ret; id = vq_log_next(v, id + 1)) {
		struct vq_log_chain ch = load_chain(v, id);

		if (!ch.count || ch.count > num) {
			ret = untrusted(why, whylen, "buffer ID %u in flight: %u descriptors",
					id, ch.count);
			break;
		}
		for (e = ch.first, k = 0; k < ch.count; k++, e = v->desc[e].next) {
			if (e >= num || busy[e]) {
				ret = untrusted(why, whylen, "buffer ID %u in flight: its entry %u "
						"is outside the queue or another chain's", id, e);
				break;
			}
			busy[e] = 1;
		}
		total += ch.count;
	}
	if (!ret && total != (unsigned int)dist)
		ret = untrusted(why, whylen, "its chains in flight take %u descriptors, its ring "
				"positions are %u apart", total, dist);
	for (e = num - 1; !ret && e >= 0; e--)
		if (!busy[e])
			l->free[l->nr_free++] = e;
	free(busy);
	return ret;
}

static int recover_packed(struct vq_logger *l, struct vq *vq, struct vq_state *st, char *why,
			  size_t whylen)
{
	struct vq_log_vq *v = l->v;
	uint16_t num = vq->num, a = v->avail_idx, u = v->used_idx, nu = v->next_used, count;
	int id, dist, ret;

	l->nr_free = 0;
	if ((a & ~VQ_LOG_WRAP) >= num || (u & ~VQ_LOG_WRAP) >= num ||
	    (nu & ~VQ_LOG_WRAP) >= num)
		return untrusted(why, whylen, "ring position %#x or %#x outside the queue", a,
				 (u & ~VQ_LOG_WRAP) >= num ? u : nu);
	dist = distance(u, a, num);
	if (dist < 0)
		return untrusted(why, whylen, "used position %#x not behind avail position %#x",
				 u, a);
	/*
	 * A batch being published: if its first used element went out, every
	 * chain of it is done. Its USED bit then shows the lap, also once the
	 * driver made that position available again for the next lap; before,
	 * the position holds what the driver made available in this one.
	 */
	if (nu != u) {
		int batch = distance(u, nu, num);

		if (batch <= 0 || batch > dist)
			return untrusted(why, whylen, "used position being published %#x not "
					 "between %#x and the avail position", nu, u);
		if (vq_packed_published(vq, u & ~VQ_LOG_WRAP, u & VQ_LOG_WRAP)) {
			for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1))
				if (test_bit(v->done, id))
					clear_bit(v->inflight, id);
			u = nu;
			dist -= batch;
		}
	}
	/* A chain marked in flight whose pop did not move the avail position yet. */
	id = vq_packed_avail_id(vq, a & ~VQ_LOG_WRAP, a & VQ_LOG_WRAP, &count);
	if (id >= 0 && test_bit(v->inflight, id) && load_chain(v, id).count == count &&
	    dist + count <= num) {
		a = advance(a, count, num);
		dist += count;
	}
	__atomic_store_n(&v->used_idx, u, __ATOMIC_RELEASE);
	__atomic_store_n(&v->next_used, u, __ATOMIC_RELEASE);
	memset(v->done, 0, sizeof(v->done));
	__atomic_store_n(&v->avail_idx, a, __ATOMIC_RELEASE);
	ret = claim_chains(l, num, dist, why, whylen);
	if (ret)
		return ret;
	vq_packed_forget_staged(vq, u & ~VQ_LOG_WRAP, u & VQ_LOG_WRAP, dist);
	st->avail_idx = a & ~VQ_LOG_WRAP;
	st->avail_wrap = a & VQ_LOG_WRAP;
	st->used_idx = u & ~VQ_LOG_WRAP;
	st->used_wrap = u & VQ_LOG_WRAP;
	return 0;
}

static void recover_split(struct vq_log_vq *v, struct vq *vq, struct vq_state *st)
{
	uint16_t pos;
	int id, steps;

	/* Used elements published but not yet committed: those chains are done. */
	pos = v->used_idx;
	for (steps = 0; steps < v->num && (id = vq_used_id(vq, pos)) >= 0; steps++, pos++)
		clear_bit(v->inflight, id);
	__atomic_store_n(&v->used_idx, pos, __ATOMIC_RELEASE);
	/* A chain marked in flight whose pop did not move the avail position yet. */
	id = vq_avail_id(vq, v->avail_idx);
	if (id >= 0 && test_bit(v->inflight, id))
		__atomic_store_n(&v->avail_idx, v->avail_idx + 1, __ATOMIC_RELEASE);
	st->avail_idx = v->avail_idx;
	st->avail_wrap = false;
	st->used_idx = v->used_idx;
	st->used_wrap = false;
}

int vq_log_recover(struct vq_logger *l, struct vq_log_vq *v, struct vq *vq,
		   struct vq_state *st, char *why, size_t whylen)
{
	int id, n = 0, ret;

	if (v->num != vq_size(vq))
		return -EINVAL;
	/* Ids past the queue size are garbage a stale log cannot act on. */
	for (id = v->num; id % 64; id++)
		clear_bit(v->inflight, id);
	memset(&v->inflight[id / 64], 0, sizeof(v->inflight) - id / 64 * sizeof(v->inflight[0]));
	ret = vq_log_start(l, v, vq);
	if (ret)
		return ret;
	if (vq->packed) {
		ret = recover_packed(l, vq, st, why, whylen);
		if (ret) {
			vq_log_stop(l);
			return ret;
		}
	} else {
		recover_split(v, vq, st);
	}
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1))
		n++;
	return n;
}
