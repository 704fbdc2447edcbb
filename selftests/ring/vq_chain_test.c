// SPDX-License-Identifier: GPL-2.0
/*
 * Chains through the engine on both layouts: single descriptors, long
 * chains, indirect tables, mixed directions, index wrap-around, batched and
 * out-of-order completion, restart state.
 */
#include "ring_fixture.h"

static const uint32_t lens[DRV_MAX_SEG] = {
	1, 256, 17, 4, 100, 3, 200, 64, 8, 9, 255, 31, 2, 7, 128, 1,
	5, 6, 90, 12, 33, 44, 55, 66, 77, 88, 99, 11, 22, 13, 14, 15,
	16, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 32, 34, 35,
	36, 37, 38, 39, 40, 41, 42, 43, 45, 46, 47, 48, 49, 50, 51, 52,
};

TEST_F(ring, single_readable)
{
	int id = ring_submit(_metadata, self, 1, 0, lens + 1, false);

	drv_kick(&self->d);
	ring_serve(_metadata, self, true);
	EXPECT_EQ(1, self->c.out_num);
	EXPECT_EQ(0, self->c.in_num);
	EXPECT_EQ(256, self->c.out_len);
	EXPECT_EQ(id, self->c.id);
	vq_publish(&self->vq);
	EXPECT_EQ(1, ring_reap(_metadata, self));
	EXPECT_EQ(0, vq_pop(&self->vq, &self->c));
}

TEST_F(ring, single_writable)
{
	uint32_t len;
	uint16_t id;

	ring_submit(_metadata, self, 0, 1, lens + 4, false);
	drv_kick(&self->d);
	ring_serve(_metadata, self, true);
	EXPECT_EQ(0, self->c.out_num);
	EXPECT_EQ(1, self->c.in_num);
	EXPECT_EQ(100, self->c.in_len);
	vq_publish(&self->vq);
	ASSERT_EQ(1, drv_get_used(&self->d, &id, &len));
	EXPECT_EQ(100, len);
	EXPECT_TRUE(req_answered(&self->d, &self->reqs[id], len));
}

/* A chain as long as the queue: the largest a driver may build. */
TEST_F(ring, long_chain)
{
	unsigned int n = variant->num;

	ring_submit(_metadata, self, n / 2, n - n / 2, lens, false);
	drv_kick(&self->d);
	ring_serve(_metadata, self, true);
	EXPECT_EQ(n / 2, self->c.out_num);
	EXPECT_EQ(n - n / 2, self->c.in_num);
	EXPECT_EQ(0, vq_pop(&self->vq, &self->c));
	vq_publish(&self->vq);
	EXPECT_EQ(1, ring_reap(_metadata, self));
}

TEST_F(ring, indirect)
{
	ring_submit(_metadata, self, 20, 28, lens, true);
	ring_submit(_metadata, self, 1, 0, lens, true);
	ring_submit(_metadata, self, 0, 1, lens + 7, true);
	drv_kick(&self->d);
	ring_serve(_metadata, self, true);
	EXPECT_EQ(20, self->c.out_num);
	EXPECT_EQ(28, self->c.in_num);
	ring_serve(_metadata, self, true);
	ring_serve(_metadata, self, true);
	vq_publish(&self->vq);
	EXPECT_EQ(3, ring_reap(_metadata, self));
	EXPECT_EQ(0, vq_inflight_count(&self->vq));
}

TEST_F(ring, mixed_directions)
{
	unsigned int r, w, ind;

	for (ind = 0; ind < 2; ind++)
		for (r = 0; r < 5; r++)
			for (w = 0; w < 5; w++) {
				if (!r && !w)
					continue;
				ring_submit(_metadata, self, r, w, lens + r,
					    ind);
				drv_kick(&self->d);
				ring_serve(_metadata, self, true);
				EXPECT_EQ(r, self->c.out_num);
				EXPECT_EQ(w, self->c.in_num);
				vq_publish(&self->vq);
				EXPECT_EQ(1, ring_reap(_metadata, self));
			}
}

/*
 * Enough chains, in batches of varying size, for the split indexes to wrap
 * past 65535 and the packed wrap counters to flip many times.
 */
TEST_F(ring, wrap_around)
{
	unsigned int done = 0, i, k;

	while (done < 70000) {
		unsigned int batch = 1 + done % 7;

		for (i = 0; i < batch; i++) {
			unsigned int n = 1 + (done + i) % 3;

			ring_submit(_metadata, self, n - 1, 1,
				    lens + (done + i) % 16, (done + i) % 5 == 0);
		}
		drv_kick(&self->d);
		for (i = 0; i < batch; i++)
			ring_serve(_metadata, self, true);
		vq_publish(&self->vq);
		k = ring_reap(_metadata, self);
		ASSERT_EQ(batch, k);
		done += batch;
	}
	EXPECT_EQ(0, vq_error(&self->vq));
}

/* Used elements stay invisible until one publish makes them all visible. */
TEST_F(ring, batch_publish)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		ring_submit(_metadata, self, 1, 1, lens + i, i & 1);
	drv_kick(&self->d);
	for (i = 0; i < 10; i++)
		ring_serve(_metadata, self, true);
	EXPECT_EQ(0, ring_reap(_metadata, self));
	vq_publish(&self->vq);
	EXPECT_EQ(10, ring_reap(_metadata, self));
}

/* Completion in reverse order; packed must skip each chain's length. */
TEST_F(ring, out_of_order)
{
	static const unsigned int nseg[] = { 3, 1, 2, 4 };
	uint32_t tok[4], len;
	uint16_t id, ids[4];
	int i;

	for (i = 0; i < 4; i++)
		ids[i] = ring_submit(_metadata, self, nseg[i] - 1, 1, lens + i,
				     false);
	drv_kick(&self->d);
	for (i = 0; i < 4; i++)
		tok[i] = ring_serve(_metadata, self, false);
	for (i = 3; i >= 0; i--)
		EXPECT_EQ(0, vq_push(&self->vq, tok[i],
				     self->reqs[ids[i]].in_len));
	vq_publish(&self->vq);
	for (i = 3; i >= 0; i--) {
		ASSERT_EQ(1, drv_get_used(&self->d, &id, &len));
		EXPECT_EQ(ids[i], id);
		EXPECT_TRUE(req_answered(&self->d, &self->reqs[id], len));
	}
	EXPECT_EQ(-ENOENT, vq_push(&self->vq, tok[0], 0));
	/* The ring keeps working after the skips. */
	for (i = 0; i < 3 * variant->num; i++) {
		ring_submit(_metadata, self, 2, 1, lens, false);
		drv_kick(&self->d);
		ring_serve(_metadata, self, true);
		vq_publish(&self->vq);
		ASSERT_EQ(1, ring_reap(_metadata, self));
	}
}

/* A second engine picks the ring up where the first one stopped. */
TEST_F(ring, restart_state)
{
	struct vq_state st;
	struct vq vq2;
	unsigned int i;

	for (i = 0; i < 2 * variant->num + 5; i++) {
		ring_submit(_metadata, self, 1, 1, lens + i % 8, false);
		drv_kick(&self->d);
		ring_serve(_metadata, self, true);
		vq_publish(&self->vq);
		ASSERT_EQ(1, ring_reap(_metadata, self));
	}
	ring_submit(_metadata, self, 1, 2, lens, false);
	drv_kick(&self->d);
	vq_get_state(&self->vq, &st);
	ASSERT_EQ(0, vq_init(&vq2, &self->d.cfg, &self->d.xlate));
	ASSERT_EQ(0, vq_set_state(&vq2, &st));
	vq_fini(&self->vq);
	self->vq = vq2;
	ring_serve(_metadata, self, true);
	vq_publish(&self->vq);
	EXPECT_EQ(1, ring_reap(_metadata, self));
}

/* Split indexes starting just below 65536, restored through vq_set_state. */
TEST(split_index_start)
{
	struct vq_state st = { .avail_idx = 65530 };
	struct iovec iov[4];
	struct vq_chain c = { .iov = iov, .max_iov = 4 };
	struct req r;
	struct drv d;
	struct vq vq;
	uint32_t len;
	uint16_t id;
	int i;

	ASSERT_EQ(0, drv_init(&d, 8, RING_FEATURES, req_data_size(8)));
	drv_split_start(&d, 65530);
	ASSERT_EQ(0, vq_init(&vq, &d.cfg, &d.xlate));
	ASSERT_EQ(0, vq_set_state(&vq, &st));
	for (i = 0; i < 20; i++) {
		req_build(&d, &r, i, 1, 1, lens + i);
		ASSERT_LE(0, drv_add(&d, r.seg, 2, false));
		drv_kick(&d);
		ASSERT_EQ(1, vq_pop(&vq, &c));
		ASSERT_EQ(r.in_len, dev_handle(&c, i));
		ASSERT_EQ(0, vq_push(&vq, c.token, r.in_len));
		vq_publish(&vq);
		ASSERT_EQ(1, drv_get_used(&d, &id, &len));
		EXPECT_TRUE(req_answered(&d, &r, len));
	}
	vq_get_state(&vq, &st);
	EXPECT_EQ(14, st.avail_idx);
	EXPECT_EQ(14, st.used_idx);
	vq_fini(&vq);
	drv_fini(&d);
}

/*
 * A buffer crossing from one mapping into another becomes two iovecs; with
 * too few iovecs the chain comes with -ENOBUFS and its last piece kept.
 */
TEST(two_mappings)
{
	static uint8_t second[4096];
	struct iovec iov[4];
	struct vq_chain c = { .iov = iov, .max_iov = 4 };
	struct iova_region regs[2];
	struct iova_table t = { regs, 2 };
	struct iova_xlate x = { iova_table_translate, &t };
	struct drv_seg s;
	struct drv d;
	struct vq vq;

	ASSERT_EQ(0, drv_init(&d, 8, RING_FEATURES, 4096));
	regs[0] = d.region;
	regs[1] = (struct iova_region){ DRV_IOVA_BASE + d.size, sizeof(second),
					second, IOVA_READ | IOVA_WRITE };
	ASSERT_EQ(0, vq_init(&vq, &d.cfg, &x));
	s = (struct drv_seg){ DRV_IOVA_BASE + d.size - 100, 300, true };
	ASSERT_LE(0, drv_add(&d, &s, 1, false));
	ASSERT_LE(0, drv_add(&d, &s, 1, false));
	drv_kick(&d);
	ASSERT_EQ(1, vq_pop(&vq, &c));
	ASSERT_EQ(2, c.in_num);
	EXPECT_EQ(drv_ptr(&d, s.iova), iov[0].iov_base);
	EXPECT_EQ(100, iov[0].iov_len);
	EXPECT_EQ((void *)second, iov[1].iov_base);
	EXPECT_EQ(200, iov[1].iov_len);
	c.max_iov = 1;
	ASSERT_EQ(1, vq_pop(&vq, &c));
	EXPECT_EQ(-ENOBUFS, c.bad);
	ASSERT_EQ(1, c.in_num);
	EXPECT_EQ((void *)second, iov[0].iov_base);
	EXPECT_EQ(200, iov[0].iov_len);
	EXPECT_EQ(300, c.in_len);
	EXPECT_EQ(0, vq_error(&vq));
	vq_fini(&vq);
	drv_fini(&d);
}

/* VIRTIO_F_IN_ORDER: the engine refuses completions out of pop order. */
TEST(in_order)
{
	uint64_t f[2] = { RING_FEATURES | 1ULL << VIRTIO_F_IN_ORDER,
			  RING_FEATURES | 1ULL << VIRTIO_F_IN_ORDER |
			  1ULL << VIRTIO_F_RING_PACKED };
	struct iovec iov[8];
	struct vq_chain c = { .iov = iov, .max_iov = 8 };
	uint32_t tok[3], len;
	struct req r;
	struct drv d;
	struct vq vq;
	uint16_t id;
	int l, i, round;

	for (l = 0; l < 2; l++) {
		ASSERT_EQ(0, drv_init(&d, 8, f[l], req_data_size(8)));
		ASSERT_EQ(0, vq_init(&vq, &d.cfg, &d.xlate));
		for (round = 0; round < 10; round++) {
			for (i = 0; i < 3; i++) {
				req_build(&d, &r, i, 1, 1, lens + i);
				ASSERT_LE(0, drv_add(&d, r.seg, 2, false));
			}
			drv_kick(&d);
			for (i = 0; i < 3; i++) {
				ASSERT_EQ(1, vq_pop(&vq, &c));
				tok[i] = c.token;
			}
			EXPECT_EQ(-EINVAL, vq_push(&vq, tok[1], 1));
			for (i = 0; i < 3; i++)
				EXPECT_EQ(0, vq_push(&vq, tok[i], i));
			vq_publish(&vq);
			for (i = 0; i < 3; i++) {
				ASSERT_EQ(1, drv_get_used(&d, &id, &len));
				EXPECT_EQ(tok[i] & 0xffff, id);
				EXPECT_EQ(i, len);
			}
		}
		vq_fini(&vq);
		drv_fini(&d);
	}
}

TEST_HARNESS_MAIN
