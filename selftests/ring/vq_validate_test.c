// SPDX-License-Identifier: GPL-2.0
/*
 * One test per rule a hostile driver can break, each asserting the exact
 * errno, that the error sticks, that nothing was written back, and the
 * words vq_strerror() finds for it.
 */
#include "ring_fixture.h"

static const uint32_t len16 = 16;

/* Where tests build their own indirect tables and buffers. */
#define TABLE_OFF 0
#define BUF_OFF (REQ_SLOT / 2)

static uint64_t buf_iova(FIXTURE_DATA(ring) *self)
{
	return self->d.data_iova + BUF_OFF;
}

static uint64_t table_iova(FIXTURE_DATA(ring) *self)
{
	return self->d.data_iova + TABLE_OFF;
}

/* Add a one-segment readable buffer; returns its ring slot. */
static uint16_t add1(struct __test_metadata *_metadata,
		     FIXTURE_DATA(ring) *self)
{
	uint16_t slot = self->d.next_avail;
	struct drv_seg s = { buf_iova(self), 16, false };
	int id = drv_add(&self->d, &s, 1, false);

	EXPECT_LE(0, id);
	return self->d.packed ? slot : id;
}

/* Rewrite the descriptor in @slot; packed keeps its avail bits and ID. */
static void set_desc(FIXTURE_DATA(ring) *self, uint16_t slot, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	if (self->d.packed) {
		struct vring_packed_desc *p = &self->d.pdesc[slot];

		p->addr = htole64(addr);
		p->len = htole32(len);
		p->flags = htole16((le16toh(p->flags) &
				    (DRV_F_AVAIL | DRV_F_USED)) | flags);
	} else {
		struct vring_desc *p = &self->d.desc[slot];

		p->addr = htole64(addr);
		p->len = htole32(len);
		p->flags = htole16(flags);
		p->next = htole16(next);
	}
}

static void set_entry(FIXTURE_DATA(ring) *self, unsigned int i,
		      uint64_t addr, uint32_t len, uint16_t flags,
		      uint16_t next)
{
	if (self->d.packed) {
		struct vring_packed_desc *t = drv_ptr(&self->d,
						      table_iova(self));

		t[i] = (struct vring_packed_desc){ htole64(addr), htole32(len),
						   0, htole16(flags) };
	} else {
		struct vring_desc *t = drv_ptr(&self->d, table_iova(self));

		t[i] = (struct vring_desc){ htole64(addr), htole32(len),
					    htole16(flags), htole16(next) };
	}
}

/* A one-buffer ring whose descriptor is an indirect table of @n entries. */
static void add_indirect(struct __test_metadata *_metadata,
			 FIXTURE_DATA(ring) *self, unsigned int n)
{
	uint16_t slot = add1(_metadata, self);

	set_desc(self, slot, table_iova(self), 16 * n, VRING_DESC_F_INDIRECT,
		 0);
}

/* vq_strerror() says @words (a part of its line) about @err. */
static void expect_words(struct __test_metadata *_metadata, const struct vq *vq,
			 int err, const char *words)
{
	char buf[160];

	vq_strerror(vq, err, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, words)) TH_LOG("\"%s\" is not in \"%s\"", words, buf);
}

/*
 * Pop fails with @err, keeps failing, no used element appears, and
 * vq_strerror() names the fault with @words.
 */
static void expect_broken(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ring) *self, int err, const char *words)
{
	uint32_t len;
	uint16_t id;

	drv_kick(&self->d);
	EXPECT_EQ(err, vq_pop(&self->vq, &self->c));
	EXPECT_EQ(err, vq_pop(&self->vq, &self->c));
	EXPECT_EQ(err, vq_error(&self->vq));
	EXPECT_EQ(err, vq_push(&self->vq, 0, 0));
	EXPECT_EQ(err, vq_enable_notify(&self->vq));
	EXPECT_FALSE(vq_need_interrupt(&self->vq));
	EXPECT_EQ(0, drv_get_used(&self->d, &id, &len));
	EXPECT_EQ(0, vq_inflight_count(&self->vq));
	expect_words(_metadata, &self->vq, err, words);
}

/*
 * Data the device cannot reach is the request's fault, not the ring's: the
 * chain is popped with @err in c.bad and its last piece (@len bytes) as a
 * NULL iovec, so the device can answer it; the queue goes on.
 */
static void expect_bad_data(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ring) *self, int err, size_t len)
{
	struct vq_chain *c = &self->c;
	struct iovec *last;
	uint32_t used_len;
	uint16_t id;

	drv_kick(&self->d);
	ASSERT_EQ(1, vq_pop(&self->vq, c));
	EXPECT_EQ(err, c->bad);
	last = &c->iov[c->out_num + c->in_num - 1];
	EXPECT_EQ(NULL, last->iov_base);
	EXPECT_EQ(len, last->iov_len);
	EXPECT_EQ(0, vq_error(&self->vq));
	ASSERT_EQ(0, vq_push(&self->vq, c->token, 0));
	vq_publish(&self->vq);
	EXPECT_EQ(1, drv_get_used(&self->d, &id, &used_len));
	/* The next chain is whole again. */
	add1(_metadata, self);
	drv_kick(&self->d);
	ASSERT_EQ(1, vq_pop(&self->vq, c));
	EXPECT_EQ(0, c->bad);
	EXPECT_NE(NULL, c->iov[0].iov_base);
}

TEST_F(ring, unmapped_buffer)
{
	uint16_t slot = add1(_metadata, self);

	set_desc(self, slot, 0x1000, 16, 0, 0);
	expect_bad_data(_metadata, self, -EFAULT, 16);
}

/* A buffer running off the end of the only mapping: its first 8 bytes are there. */
TEST_F(ring, buffer_past_mapping)
{
	uint16_t slot = add1(_metadata, self);

	set_desc(self, slot, DRV_IOVA_BASE + self->d.size - 8, 16, 0, 0);
	expect_bad_data(_metadata, self, -EFAULT, 8);
}

TEST_F(ring, unmapped_indirect_table)
{
	uint16_t slot = add1(_metadata, self);

	set_desc(self, slot, 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EFAULT, "indirect table 0x1000+32 not mapped");
}

/* The device must not write into memory the driver mapped read-only. */
TEST_F(ring, wrong_access)
{
	static uint8_t ro[4096];
	struct iova_region regs[2] = {
		self->d.region,
		{ DRV_IOVA_BASE + self->d.size, sizeof(ro), ro, IOVA_READ },
	};
	struct iova_table t = { regs, 2 };
	struct iova_xlate x = { iova_table_translate, &t };
	struct drv_seg s = { regs[1].iova, 64, true };

	vq_fini(&self->vq);
	ASSERT_EQ(0, vq_init(&self->vq, &self->d.cfg, &x));
	ASSERT_LE(0, drv_add(&self->d, &s, 1, false));
	expect_bad_data(_metadata, self, -EACCES, 64);
}

TEST_F(ring, chain_longer_than_queue)
{
	unsigned int i, n = variant->num + 1;

	for (i = 0; i < n; i++)
		set_entry(self, i, buf_iova(self), 1,
			  i + 1 < n ? VRING_DESC_F_NEXT : 0, i + 1);
	add_indirect(_metadata, self, n);
	expect_broken(_metadata, self, -E2BIG, "chain longer than");
}

/* Packed: NEXT on every descriptor walks the whole ring back to the head. */
TEST_F(ring, chain_around_the_ring)
{
	unsigned int i;

	if (!variant->packed)
		SKIP(return, "packed layout");
	for (i = 0; i < variant->num; i++)
		set_desc(self, add1(_metadata, self), buf_iova(self), 1,
			 VRING_DESC_F_NEXT, 0);
	expect_broken(_metadata, self, -E2BIG, "chain longer than 60 descriptors");
}

TEST_F(ring, loop)
{
	struct drv_seg s[2] = { { buf_iova(self), 8, false },
				{ buf_iova(self), 8, false } };
	int head;

	if (variant->packed)
		SKIP(return, "packed chains cannot loop");
	head = drv_add(&self->d, s, 2, false);
	ASSERT_LE(0, head);
	self->d.desc[self->d.next[head]].flags = htole16(VRING_DESC_F_NEXT);
	self->d.desc[self->d.next[head]].next = htole16(head);
	expect_broken(_metadata, self, -ELOOP, "the chain loops");
}

TEST_F(ring, loop_in_indirect)
{
	if (variant->packed)
		SKIP(return, "packed chains cannot loop");
	set_entry(self, 0, buf_iova(self), 8, VRING_DESC_F_NEXT, 1);
	set_entry(self, 1, buf_iova(self), 8, VRING_DESC_F_NEXT, 2);
	set_entry(self, 2, buf_iova(self), 8, VRING_DESC_F_NEXT, 0);
	add_indirect(_metadata, self, 3);
	expect_broken(_metadata, self, -ELOOP, "indirect entry 0: the chain loops");
}

TEST_F(ring, indirect_in_indirect)
{
	set_entry(self, 0, buf_iova(self), 8, VRING_DESC_F_NEXT, 1);
	set_entry(self, 1, table_iova(self), 32, VRING_DESC_F_INDIRECT, 0);
	add_indirect(_metadata, self, 2);
	expect_broken(_metadata, self, -EMLINK,
		      "indirect entry 1: INDIRECT inside an indirect table");
}

TEST_F(ring, indirect_len_zero)
{
	add_indirect(_metadata, self, 0);
	expect_broken(_metadata, self, -EBADMSG, "indirect table of 0 bytes");
}

TEST_F(ring, indirect_len_not_multiple)
{
	uint16_t slot = add1(_metadata, self);

	set_entry(self, 0, buf_iova(self), 8, 0, 0);
	set_desc(self, slot, table_iova(self), 24, VRING_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EBADMSG, "indirect table of 24 bytes");
}

TEST_F(ring, next_out_of_range)
{
	if (variant->packed)
		SKIP(return, "packed chains have no next index");
	set_desc(self, add1(_metadata, self), buf_iova(self), 8,
		 VRING_DESC_F_NEXT, variant->num);
	expect_broken(_metadata, self, -ERANGE, "next 64 outside the table (size 64)");
}

TEST_F(ring, next_out_of_indirect_table)
{
	if (variant->packed)
		SKIP(return, "packed chains have no next index");
	set_entry(self, 0, buf_iova(self), 8, VRING_DESC_F_NEXT, 2);
	set_entry(self, 1, buf_iova(self), 8, 0, 0);
	add_indirect(_metadata, self, 2);
	expect_broken(_metadata, self, -ERANGE,
		      "indirect entry 0: next 2 outside the table (size 2)");
}

/* Split: head index in the avail ring; packed: buffer ID. */
TEST_F(ring, id_out_of_range)
{
	uint16_t slot = add1(_metadata, self);

	if (variant->packed)
		self->d.pdesc[slot].id = htole16(variant->num);
	else
		self->d.avail->ring[0] = htole16(variant->num);
	expect_broken(_metadata, self, -ERANGE, "outside the queue");
}

TEST_F(ring, writable_before_readable)
{
	struct drv_seg s[2] = { { buf_iova(self), 8, true },
				{ buf_iova(self), 8, false } };

	ASSERT_LE(0, drv_add(&self->d, s, 2, false));
	expect_broken(_metadata, self, -EILSEQ, ": readable after writable");
}

TEST_F(ring, writable_before_readable_indirect)
{
	struct drv_seg s[2] = { { buf_iova(self), 8, true },
				{ buf_iova(self), 8, false } };
	uint16_t slot = self->d.next_avail;
	char want[64];
	int id;

	id = drv_add(&self->d, s, 2, true);
	ASSERT_LE(0, id);
	/* The whole line: the ring descriptor, then the entry of its table. */
	snprintf(want, sizeof(want), "descriptor %u, indirect entry 1: readable after writable",
		 self->d.packed ? slot : id);
	expect_broken(_metadata, self, -EILSEQ, want);
}

TEST_F(ring, avail_index_jump)
{
	if (variant->packed)
		SKIP(return, "split layout");
	add1(_metadata, self);
	self->d.avail_idx = variant->num + 1;
	expect_broken(_metadata, self, -EOVERFLOW,
		      "avail index 65: more than the queue size 64 ahead of 0");
}

TEST_F(ring, avail_index_backwards)
{
	if (variant->packed)
		SKIP(return, "split layout");
	add1(_metadata, self);
	self->d.avail_idx = 0xffff;
	expect_broken(_metadata, self, -EOVERFLOW,
		      "avail index 65535: more than the queue size 64 ahead of 0");
}

/* The driver reuses the ID of a buffer the device has not completed. */
TEST_F(ring, id_in_flight)
{
	uint16_t slot;

	ring_submit(_metadata, self, 1, 0, &len16, false);
	drv_kick(&self->d);
	ring_serve(_metadata, self, false);
	slot = add1(_metadata, self);
	if (variant->packed)
		self->d.pdesc[slot].id = htole16(self->c.id);
	else
		self->d.avail->ring[1] = htole16(self->c.id);
	drv_kick(&self->d);
	EXPECT_EQ(-EEXIST, vq_pop(&self->vq, &self->c));
	EXPECT_EQ(-EEXIST, vq_error(&self->vq));
	expect_words(_metadata, &self->vq, -EEXIST, "made available again while in flight");
}

TEST_F(ring, indirect_with_next)
{
	uint16_t slot = add1(_metadata, self);

	set_entry(self, 0, buf_iova(self), 8, 0, 0);
	set_desc(self, slot, table_iova(self), 16,
		 VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0);
	expect_broken(_metadata, self, -EINVAL, "INDIRECT together with NEXT");
}

TEST_F(ring, indirect_not_negotiated)
{
	struct vq_config cfg = self->d.cfg;

	cfg.features &= ~(1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq_fini(&self->vq);
	ASSERT_EQ(0, vq_init(&self->vq, &cfg, &self->d.xlate));
	set_entry(self, 0, buf_iova(self), 8, 0, 0);
	add_indirect(_metadata, self, 1);
	expect_broken(_metadata, self, -EINVAL,
		      "INDIRECT without VIRTIO_RING_F_INDIRECT_DESC");
}

/* 2.8.7: a packed list is all direct or one indirect descriptor. */
TEST_F(ring, packed_indirect_after_direct)
{
	struct drv_seg s[2] = { { buf_iova(self), 8, false },
				{ buf_iova(self), 8, false } };
	uint16_t slot = self->d.next_avail;

	if (!variant->packed)
		SKIP(return, "packed layout");
	ASSERT_LE(0, drv_add(&self->d, s, 2, false));
	set_entry(self, 0, buf_iova(self), 8, 0, 0);
	set_desc(self, slot + 1, table_iova(self), 16, VRING_DESC_F_INDIRECT,
		 0);
	expect_broken(_metadata, self, -EINVAL,
		      "INDIRECT after direct descriptors of the same chain");
}

/* Rings themselves: size, alignment, mapping and access, and their words. */
TEST_F(ring, bad_ring_config)
{
	static uint8_t ro[65536] __attribute__((aligned(4096)));
	struct iova_region regs[2] = {
		self->d.region,
		{ 0x1000000, sizeof(ro), ro, IOVA_READ },
	};
	struct iova_table t = { regs, 2 };
	struct iova_xlate x = { iova_table_translate, &t };
	struct vq_config cfg;
	struct vq vq;

	cfg = self->d.cfg;
	cfg.num = 0;
	EXPECT_EQ(-EINVAL, vq_init(&vq, &cfg, &x));
	expect_words(_metadata, &vq, -EINVAL, "queue size 0: not ");
	cfg.num = VQ_MAX_SIZE + 1;
	EXPECT_EQ(-EINVAL, vq_init(&vq, &cfg, &x));
	cfg = self->d.cfg;
	cfg.desc_addr += 8;
	EXPECT_EQ(-EINVAL, vq_init(&vq, &cfg, &x));
	expect_words(_metadata, &vq, -EINVAL, ": not aligned to 16 bytes");
	cfg = self->d.cfg;
	cfg.desc_addr = 0x2000000;
	EXPECT_EQ(-EFAULT, vq_init(&vq, &cfg, &x));
	expect_words(_metadata, &vq, -EFAULT, "descriptor area 0x2000000+");
	expect_words(_metadata, &vq, -EFAULT, " not mapped in one piece");
	cfg = self->d.cfg;
	cfg.device_addr = 0x1000000;
	EXPECT_EQ(-EACCES, vq_init(&vq, &cfg, &x));
	expect_words(_metadata, &vq, -EACCES, "device area 0x1000000+");
	expect_words(_metadata, &vq, -EACCES, " mapped without the access the device needs");
	cfg = self->d.cfg;
	cfg.desc_addr = DRV_IOVA_BASE + self->d.size - 16;
	EXPECT_EQ(-EFAULT, vq_init(&vq, &cfg, &x));
	if (!variant->packed) {
		cfg = self->d.cfg;
		cfg.num = 48;
		EXPECT_EQ(-EINVAL, vq_init(&vq, &cfg, &x));
	}
}

TEST_HARNESS_MAIN
