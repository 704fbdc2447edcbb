// SPDX-License-Identifier: GPL-2.0
/*
 * The model behind real rings: a driver built from the spec puts requests
 * on split and packed rings, the ring engine pops them into the model's
 * own iovecs (req_init), and the used elements carry the model's lengths.
 */
#include "kselftest_harness.h"
#include "../ring/ring_driver.h"
#include "blk_test.h"

#define HDR_OFF 0
#define STATUS_OFF 64
#define DATA_OFF 4096
#define DATA_LEN 32768

FIXTURE(ring) {
	struct drv d;
	struct vq vq;
	struct t_blk t;
};

FIXTURE_VARIANT(ring) {
	bool packed;
	bool indirect;
};

FIXTURE_VARIANT_ADD(ring, split) {
	.packed = false, .indirect = false,
};

FIXTURE_VARIANT_ADD(ring, split_indirect) {
	.packed = false, .indirect = true,
};

FIXTURE_VARIANT_ADD(ring, packed) {
	.packed = true, .indirect = false,
};

FIXTURE_VARIANT_ADD(ring, packed_indirect) {
	.packed = true, .indirect = true,
};

FIXTURE_SETUP(ring)
{
	struct be_opts o = { .size = T_SIZE };
	struct blk_opts b = { .num_queues = 1, .queue_size = 64,
			      .packed = variant->packed, .name = "ring" };
	uint64_t f;

	memset(&self->t, 0, sizeof(self->t));
	ASSERT_EQ(0, t_open(&self->t, "ram", &o, &b));
	/* The driver takes every feature the ring engine implements. */
	f = self->t.dev.features & (1ULL << VIRTIO_F_VERSION_1 |
				    1ULL << VIRTIO_F_RING_PACKED |
				    1ULL << VIRTIO_RING_F_INDIRECT_DESC |
				    1ULL << VIRTIO_RING_F_EVENT_IDX);
	ASSERT_EQ(0, drv_init(&self->d, 64, f, DATA_OFF + 2 * DATA_LEN));
	ASSERT_EQ(0, vq_init(&self->vq, &self->d.cfg, &self->d.xlate));
}

FIXTURE_TEARDOWN(ring)
{
	vq_fini(&self->vq);
	drv_fini(&self->d);
	t_close(&self->t);
}

/*
 * Put a request of @type on the ring, header and status in their own
 * descriptors and the data in @nseg; run it and return the used length
 * the driver sees, or a negative error.
 */
static int ring_req(FIXTURE_DATA(ring) *self, bool indirect, uint32_t type,
		    uint64_t sector, uint32_t len, unsigned int nseg)
{
	struct virtio_blk_outhdr *h = drv_ptr(&self->d, self->d.data_iova + HDR_OFF);
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct drv_seg s[DRV_MAX_SEG];
	unsigned int n = 0, i;
	uint16_t id;
	uint32_t used;
	int ret, head;

	h->type = htole32(type);
	h->ioprio = 0;
	h->sector = htole64(sector);
	s[n++] = (struct drv_seg){ self->d.data_iova + HDR_OFF, 16, false };
	for (i = 0; i < nseg; i++)
		s[n++] = (struct drv_seg){ self->d.data_iova + DATA_OFF +
					   i * (len / nseg), len / nseg, in };
	s[n++] = (struct drv_seg){ self->d.data_iova + STATUS_OFF, 1, true };
	*(uint8_t *)drv_ptr(&self->d, self->d.data_iova + STATUS_OFF) = T_STATUS_UNSET;
	head = drv_add(&self->d, s, n, indirect);
	if (head < 0)
		return head;
	drv_kick(&self->d);
	ret = vq_pop(&self->vq, &self->t.req->chain);
	if (ret != 1)
		return ret < 0 ? ret : -ENODATA;
	ret = t_run(&self->t);
	if (ret < 0)
		return ret;
	ret = vq_push(&self->vq, self->t.req->chain.token, ret);
	if (ret)
		return ret;
	vq_publish(&self->vq);
	if (drv_get_used(&self->d, &id, &used) != 1 || id != head)
		return -EPROTO;
	return used;
}

static uint8_t ring_status(FIXTURE_DATA(ring) *self)
{
	return *(uint8_t *)drv_ptr(&self->d, self->d.data_iova + STATUS_OFF);
}

TEST_F(ring, write_then_read)
{
	uint8_t *data = drv_ptr(&self->d, self->d.data_iova + DATA_OFF);
	uint8_t *pat = malloc(DATA_LEN);

	ASSERT_NE(NULL, pat);
	t_pattern(pat, DATA_LEN, 9);
	memcpy(data, pat, DATA_LEN);
	ASSERT_EQ(1, ring_req(self, variant->indirect, VIRTIO_BLK_T_OUT, 32,
			      DATA_LEN, 8));
	ASSERT_EQ(VIRTIO_BLK_S_OK, ring_status(self));
	ASSERT_EQ(0, memcmp((uint8_t *)self->t.be.priv + 32 * 512, pat, DATA_LEN));
	memset(data, 0, DATA_LEN);
	ASSERT_EQ(DATA_LEN + 1, ring_req(self, variant->indirect,
					 VIRTIO_BLK_T_IN, 32, DATA_LEN, 4));
	ASSERT_EQ(VIRTIO_BLK_S_OK, ring_status(self));
	ASSERT_EQ(0, memcmp(data, pat, DATA_LEN));
	free(pat);
}

/* More requests than the ring has entries: slots come back through used. */
TEST_F(ring, many_requests)
{
	unsigned int i;

	for (i = 0; i < 200; i++) {
		ASSERT_EQ(i % 2 ? 1 : 4097,
			  ring_req(self, variant->indirect,
				   i % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				   i % T_CAPACITY / 8 * 8, 4096, 1 << i % 3));
		ASSERT_EQ(VIRTIO_BLK_S_OK, ring_status(self));
	}
	ASSERT_EQ(21, ring_req(self, variant->indirect, VIRTIO_BLK_T_GET_ID, 0,
			       20, 1));
	ASSERT_EQ(0, memcmp(drv_ptr(&self->d, self->d.data_iova + DATA_OFF),
			    "ring", 5));
	ASSERT_EQ(100, self->t.dev.stats.reads);
	ASSERT_EQ(100, self->t.dev.stats.writes);
}

/*
 * Pop @n segments (header first) as one request and start it: t_run()'s
 * result. The header asks to read @type at sector 0.
 */
static int ring_raw(FIXTURE_DATA(ring) *self, bool indirect, uint32_t type,
		    const struct drv_seg *s, unsigned int n)
{
	struct virtio_blk_outhdr *h = drv_ptr(&self->d, self->d.data_iova + HDR_OFF);
	int ret;

	h->type = htole32(type);
	h->ioprio = 0;
	h->sector = 0;
	*(uint8_t *)drv_ptr(&self->d, self->d.data_iova + STATUS_OFF) = T_STATUS_UNSET;
	if (drv_add(&self->d, s, n, indirect) < 0)
		return -ENOSPC;
	drv_kick(&self->d);
	ret = vq_pop(&self->vq, &self->t.req->chain);
	if (ret != 1)
		return ret < 0 ? ret : -ENODATA;
	return t_run(&self->t);
}

/*
 * Data outside the driver's memory, or running off its end, with a sound
 * header and status: IOERR, used length 1, the backend never reached, and
 * the queue goes on.
 */
TEST_F(ring, data_outside_memory_answered_ioerr)
{
	uint64_t end = DRV_IOVA_BASE + self->d.size;
	struct drv_seg s[3] = {
		{ self->d.data_iova + HDR_OFF, 16, false },
		{ 0x1000, 4096, true },
		{ self->d.data_iova + STATUS_OFF, 1, true },
	};
	uint32_t used;
	uint16_t id;

	ASSERT_EQ(1, ring_raw(self, variant->indirect, VIRTIO_BLK_T_IN, s, 3));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, ring_status(self));
	ASSERT_EQ(0, vq_push(&self->vq, self->t.req->chain.token, 1));
	s[1] = (struct drv_seg){ end - 512, 4096, false };
	ASSERT_EQ(1, ring_raw(self, variant->indirect, VIRTIO_BLK_T_OUT, s, 3));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, ring_status(self));
	ASSERT_EQ(0, vq_push(&self->vq, self->t.req->chain.token, 1));
	vq_publish(&self->vq);
	ASSERT_EQ(1, drv_get_used(&self->d, &id, &used));
	EXPECT_EQ(1, used);
	ASSERT_EQ(1, drv_get_used(&self->d, &id, &used));
	EXPECT_EQ(1, used);
	EXPECT_EQ(0, self->t.spy.calls);
	EXPECT_EQ(2, self->t.dev.stats.bad_requests);
	EXPECT_EQ(0, vq_error(&self->vq));
	/* The queue serves on. */
	ASSERT_EQ(4097, ring_req(self, variant->indirect, VIRTIO_BLK_T_IN, 0, 4096, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, ring_status(self));
}

/*
 * No status byte the device can write: start() refuses the request, which
 * is never completed (the worker stops the queue instead).
 */
TEST_F(ring, unanswerable_refused)
{
	struct drv_seg s[2] = {
		{ self->d.data_iova + HDR_OFF, 16, false },
		{ 0x1000, 1, true },
	};

	ASSERT_EQ(-EPROTO, ring_raw(self, variant->indirect, VIRTIO_BLK_T_FLUSH, s, 1));
	EXPECT_STREQ("no device-writable status byte", self->t.req->why);
	ASSERT_EQ(-EPROTO, ring_raw(self, variant->indirect, VIRTIO_BLK_T_FLUSH, s, 2));
	EXPECT_STREQ("status byte not in memory the device can write", self->t.req->why);
	EXPECT_EQ(2, self->t.dev.stats.bad_requests);
	EXPECT_EQ(0, self->t.spy.calls);
	EXPECT_EQ(2, vq_inflight_count(&self->vq));
}

TEST_HARNESS_MAIN
