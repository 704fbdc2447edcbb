/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture most ring tests share: a driver and the engine on the same
 * ring, in the four combinations of layout and EVENT_IDX.
 */
#ifndef UVDPA_RING_FIXTURE_H
#define UVDPA_RING_FIXTURE_H

#include "kselftest_harness.h"
#include "ring_check.h"

#define RING_FEATURES (1ULL << VIRTIO_F_VERSION_1 | \
		       1ULL << VIRTIO_RING_F_INDIRECT_DESC)

FIXTURE(ring) {
	struct drv d;
	struct vq vq;
	struct iovec iov[2 * DRV_MAX_SEG];
	struct vq_chain c;
	struct req reqs[64];
	unsigned int seq_add;
	unsigned int seq_pop;
};

FIXTURE_VARIANT(ring) {
	bool packed;
	bool event_idx;
	uint16_t num;
};

FIXTURE_VARIANT_ADD(ring, split) {
	.packed = false, .event_idx = false, .num = 64,
};

FIXTURE_VARIANT_ADD(ring, split_event_idx) {
	.packed = false, .event_idx = true, .num = 64,
};

/* Not a power of two: packed rings allow any size. */
FIXTURE_VARIANT_ADD(ring, packed) {
	.packed = true, .event_idx = false, .num = 60,
};

FIXTURE_VARIANT_ADD(ring, packed_event_idx) {
	.packed = true, .event_idx = true, .num = 60,
};

static inline uint64_t ring_features(const FIXTURE_VARIANT(ring) *v)
{
	return RING_FEATURES |
	       (v->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
	       (v->event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0);
}

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, drv_init(&self->d, variant->num, ring_features(variant),
			      req_data_size(variant->num)));
	ASSERT_EQ(0, vq_init(&self->vq, &self->d.cfg, &self->d.xlate));
	self->c.iov = self->iov;
	self->c.max_iov = 2 * DRV_MAX_SEG;
	self->seq_add = 0;
	self->seq_pop = 0;
}

FIXTURE_TEARDOWN(ring)
{
	vq_fini(&self->vq);
	drv_fini(&self->d);
}

/* Make a request available; returns its ID. */
static inline int ring_submit(struct __test_metadata *_metadata,
			      FIXTURE_DATA(ring) *self, unsigned int nread,
			      unsigned int nwrite, const uint32_t *lens,
			      bool indirect)
{
	struct req r;
	int id;

	req_build(&self->d, &r, self->seq_add, nread, nwrite, lens);
	id = drv_add(&self->d, r.seg, r.nseg, indirect);
	EXPECT_LE(0, id);
	if (id >= 0) {
		self->reqs[id] = r;
		self->seq_add++;
	}
	return id;
}

/* Pop one chain, check it, answer it; returns its token. */
static inline uint32_t ring_serve(struct __test_metadata *_metadata,
				  FIXTURE_DATA(ring) *self, bool push)
{
	int len;

	EXPECT_EQ(1, vq_pop(&self->vq, &self->c));
	len = dev_handle(&self->c, self->seq_pop++);
	EXPECT_LE(0, len);
	EXPECT_EQ(self->c.in_len, (uint64_t)len);
	if (push)
		EXPECT_EQ(0, vq_push(&self->vq, self->c.token, len));
	return self->c.token;
}

/* Reap every used buffer, checking each answer; returns how many. */
static inline unsigned int ring_reap(struct __test_metadata *_metadata,
				     FIXTURE_DATA(ring) *self)
{
	unsigned int n = 0;
	uint32_t len;
	uint16_t id;
	int ret;

	while ((ret = drv_get_used(&self->d, &id, &len)) == 1) {
		EXPECT_TRUE(req_answered(&self->d, &self->reqs[id], len))
			TH_LOG("id %u len %u", id, len);
		n++;
	}
	EXPECT_EQ(0, ret);
	return n;
}

#endif
