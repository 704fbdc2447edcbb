/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests with known payloads for the ring tests: the driver fills what the
 * device reads with a pattern keyed by the request's sequence number, the
 * device checks it and answers with another pattern the driver checks.
 */
#ifndef UVDPA_RING_CHECK_H
#define UVDPA_RING_CHECK_H

#include "ring_driver.h"

#define REQ_SEG_MAX 256
#define REQ_SLOT (DRV_MAX_SEG * REQ_SEG_MAX)

struct req {
	unsigned int seq;
	unsigned int nseg;
	unsigned int nread;
	struct drv_seg seg[DRV_MAX_SEG];
	uint32_t in_len;
};

static inline uint8_t pattern(unsigned int seq, uint64_t off)
{
	return (uint8_t)(seq * 131 + off * 7 + (off >> 8));
}

static inline uint64_t req_data_size(uint16_t num)
{
	return (uint64_t)num * REQ_SLOT;
}

/*
 * Request @seq in data slot @slot: @nread readable then @nwrite writable
 * segments of lens[i] bytes each.
 */
static inline void req_build_at(struct drv *d, struct req *r, unsigned int seq,
				unsigned int slot, unsigned int nread,
				unsigned int nwrite, const uint32_t *lens)
{
	uint64_t iova = d->data_iova + (uint64_t)slot * REQ_SLOT;
	uint64_t out = 0;
	unsigned int i, j;

	r->seq = seq;
	r->nseg = nread + nwrite;
	r->nread = nread;
	r->in_len = 0;
	for (i = 0; i < r->nseg; i++) {
		uint8_t *p = drv_ptr(d, iova);

		r->seg[i] = (struct drv_seg){ iova, lens[i], i >= nread };
		for (j = 0; j < lens[i]; j++)
			p[j] = i < nread ? pattern(seq, out++) : 0;
		if (i >= nread)
			r->in_len += lens[i];
		iova += lens[i];
	}
}

/* Slots by sequence number, for tests that complete at most num in order. */
static inline void req_build(struct drv *d, struct req *r, unsigned int seq,
			     unsigned int nread, unsigned int nwrite,
			     const uint32_t *lens)
{
	req_build_at(d, r, seq, seq % d->num, nread, nwrite, lens);
}

/*
 * Device side: check the readable iovecs carry request @seq, fill the
 * writable ones, return the length written or -EBADMSG.
 */
static inline int dev_handle(const struct vq_chain *c, unsigned int seq)
{
	uint64_t off = 0, woff = 0;
	unsigned int i;
	size_t j;

	for (i = 0; i < c->out_num; i++)
		for (j = 0; j < c->iov[i].iov_len; j++)
			if (((uint8_t *)c->iov[i].iov_base)[j] !=
			    pattern(seq, off++))
				return -EBADMSG;
	for (; i < c->out_num + c->in_num; i++)
		for (j = 0; j < c->iov[i].iov_len; j++)
			((uint8_t *)c->iov[i].iov_base)[j] =
				pattern(seq ^ 0x5a5a, woff++);
	return (int)woff;
}

/* Driver side: whether the device wrote @len bytes of its answer to @r. */
static inline bool req_answered(const struct drv *d, const struct req *r,
				uint32_t len)
{
	uint64_t woff = 0;
	unsigned int i, j;

	if (len != r->in_len)
		return false;
	for (i = r->nread; i < r->nseg; i++) {
		const uint8_t *p = drv_ptr(d, r->seg[i].iova);

		for (j = 0; j < r->seg[i].len; j++)
			if (p[j] != pattern(r->seq ^ 0x5a5a, woff++))
				return false;
	}
	return true;
}

#endif
