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

/* A request the model cannot answer still goes back, with nothing written. */
TEST_F(ring, unanswerable_returned)
{
	struct drv_seg s = { self->d.data_iova + HDR_OFF, 16, false };
	uint16_t id;
	uint32_t used = 7;
	int head;

	head = drv_add(&self->d, &s, 1, variant->indirect);
	ASSERT_LE(0, head);
	drv_kick(&self->d);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->t.req->chain));
	ASSERT_EQ(0, t_run(&self->t));
	ASSERT_EQ(0, vq_push(&self->vq, self->t.req->chain.token, 0));
	vq_publish(&self->vq);
	ASSERT_EQ(1, drv_get_used(&self->d, &id, &used));
	ASSERT_EQ(head, id);
	ASSERT_EQ(0, used);
	ASSERT_EQ(1, self->t.dev.stats.bad_requests);
}

TEST_HARNESS_MAIN
