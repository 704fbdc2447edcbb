// SPDX-License-Identifier: GPL-2.0
/*
 * Every request type end to end against the ram backend and the file
 * backend on a temporary file (buffered and O_DIRECT) with a real io_uring,
 * in the iovec layouts a driver may choose.
 */
#include "kselftest_harness.h"
#include "blk_test.h"

#define IO_LEN 49152

FIXTURE(io) {
	struct t_blk t;
	uint8_t *pat;
};

FIXTURE_VARIANT(io) {
	const char *backend;
	bool direct;
};

FIXTURE_VARIANT_ADD(io, ram) {
	.backend = "ram",
};

FIXTURE_VARIANT_ADD(io, file) {
	.backend = "file",
};

FIXTURE_VARIANT_ADD(io, file_direct) {
	.backend = "file", .direct = true,
};

static int io_open(FIXTURE_DATA(io) *self, const FIXTURE_VARIANT(io) *variant,
		   bool read_only)
{
	struct be_opts o = { .size = T_SIZE, .direct = variant->direct,
			     .read_only = read_only };
	struct blk_opts b = { .num_queues = 1, .queue_size = 128,
			      .serial = "uvdpa-serial-0123456" };

	if (!strcmp(variant->backend, "file")) {
		o.path = self->t.path;
		o.size = 0;
	}
	return t_open(&self->t, variant->backend, &o, &b);
}

FIXTURE_SETUP(io)
{
	memset(&self->t, 0, sizeof(self->t));
	if (!strcmp(variant->backend, "file"))
		ASSERT_EQ(0, t_mkfile(&self->t, T_SIZE));
	ASSERT_EQ(0, io_open(self, variant, false));
	self->pat = malloc(IO_LEN);
	ASSERT_NE(NULL, self->pat);
	t_pattern(self->pat, IO_LEN, 11);
}

FIXTURE_TEARDOWN(io)
{
	free(self->pat);
	t_close(&self->t);
	if (self->t.path[0])
		unlink(self->t.path);
}

static bool is_file(const FIXTURE_VARIANT(io) *variant)
{
	return !strcmp(variant->backend, "file");
}

/* Write the pattern at @sector with @l, and read it back with @l. */
static int io_round_trip(FIXTURE_DATA(io) *self, uint64_t sector,
			 const struct t_layout *l)
{
	memcpy(self->t.buf, self->pat, IO_LEN);
	if (t_req_layout(&self->t, VIRTIO_BLK_T_OUT, sector, IO_LEN, l) != 1 ||
	    self->t.status != VIRTIO_BLK_S_OK)
		return -1;
	memset(self->t.buf, 0, IO_LEN);
	if (t_req_layout(&self->t, VIRTIO_BLK_T_IN, sector, IO_LEN, l) !=
	    IO_LEN + 1 || self->t.status != VIRTIO_BLK_S_OK)
		return -2;
	return memcmp(self->t.buf, self->pat, IO_LEN) ? -3 : 0;
}

TEST_F(io, write_read_back)
{
	ASSERT_EQ(0, io_round_trip(self, 16, &t_plain));
	ASSERT_EQ(1, self->t.dev.stats.writes);
	ASSERT_EQ(1, self->t.dev.stats.reads);
	ASSERT_EQ(0, self->t.dev.stats.bad_requests);
	ASSERT_EQ(0, self->t.dev.stats.io_errors);
}

TEST_F(io, data_in_many_iovecs)
{
	struct t_layout l = { 1, 12, false };

	ASSERT_EQ(0, io_round_trip(self, T_CAPACITY - IO_LEN / 512, &l));
}

TEST_F(io, header_split)
{
	unsigned int pieces;

	for (pieces = 2; pieces <= 4; pieces++) {
		struct t_layout l = { pieces, 3, false };

		t_pattern(self->pat, IO_LEN, pieces);
		ASSERT_EQ(0, io_round_trip(self, 8 * pieces, &l));
	}
}

TEST_F(io, status_at_end_of_data)
{
	struct t_layout l = { 1, 3, true };

	ASSERT_EQ(0, io_round_trip(self, 0, &l));
	l.data_pieces = 1;
	ASSERT_EQ(0, io_round_trip(self, 96, &l));
}

TEST_F(io, flush)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_FLUSH, 0, 0));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(1, self->t.dev.stats.flushes);
}

TEST_F(io, get_id)
{
	struct t_layout l = { 1, 2, true };

	memset(self->t.buf, 0, 64);
	ASSERT_EQ(21, t_req_layout(&self->t, VIRTIO_BLK_T_GET_ID, 0, 20, &l));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(0, memcmp(self->t.buf, "uvdpa-serial-0123456", 20));
	/* A shorter buffer gets what fits. */
	memset(self->t.buf, 0, 64);
	ASSERT_EQ(9, t_req(&self->t, VIRTIO_BLK_T_GET_ID, 0, 8));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(0, memcmp(self->t.buf, "uvdpa-se", 8));
	ASSERT_EQ(T_STATUS_UNSET, self->t.buf[8]);
	ASSERT_EQ(2, self->t.dev.stats.get_ids);
}

/* Fill the whole disk with data, then zero ranges of it. */
static void io_fill(struct __test_metadata *_metadata, FIXTURE_DATA(io) *self)
{
	uint64_t s;

	for (s = 0; s < T_CAPACITY; s += IO_LEN / 512) {
		size_t len = (T_CAPACITY - s) * 512 < IO_LEN ?
			     (T_CAPACITY - s) * 512 : IO_LEN;

		memcpy(self->t.buf, self->pat, len);
		ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, s, len));
		ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	}
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_FLUSH, 0, 0));
}

/* Sectors [@s, @s + @n) read back as zeroes, and the 8 sectors before as data. */
static bool io_zeroed(FIXTURE_DATA(io) *self, uint64_t s, uint64_t n)
{
	if (t_req(&self->t, VIRTIO_BLK_T_IN, s - 8, (n + 8) * 512) !=
	    (int)((n + 8) * 512 + 1) || self->t.status != VIRTIO_BLK_S_OK)
		return false;
	return !t_all(self->t.buf, 4096, 0) &&
	       t_all(self->t.buf + 4096, n * 512, 0);
}

TEST_F(io, discard)
{
	uint64_t before;
	size_t len;

	io_fill(_metadata, self);
	before = t_blocks(self->t.path);
	/* Three ranges, done one after the other. */
	len = t_ranges(&self->t, 3, 16, 16, 32, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(1, self->t.dev.stats.discards);
	ASSERT_TRUE(io_zeroed(self, 16, 16));
	ASSERT_TRUE(io_zeroed(self, 48, 16));
	ASSERT_TRUE(io_zeroed(self, 80, 16));
	ASSERT_FALSE(io_zeroed(self, 104, 8));
	if (is_file(variant)) {
		ASSERT_LT(t_blocks(self->t.path), before);
		ASSERT_TRUE(t_hole(self->t.path, 16, 16));
		ASSERT_TRUE(t_hole(self->t.path, 80, 16));
		ASSERT_FALSE(t_hole(self->t.path, 96, 8));
	}
}

TEST_F(io, write_zeroes)
{
	uint64_t before;
	size_t len;

	io_fill(_metadata, self);
	before = t_blocks(self->t.path);
	len = t_ranges(&self->t, 1, 24, 40, 0, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_TRUE(io_zeroed(self, 24, 40));
	/* Without UNMAP the blocks stay allocated. */
	if (is_file(variant)) {
		ASSERT_GE(t_blocks(self->t.path), before);
	}
	len = t_ranges(&self->t, 2, 128, 32, 64, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_TRUE(io_zeroed(self, 128, 32));
	ASSERT_TRUE(io_zeroed(self, 192, 32));
	if (is_file(variant)) {
		ASSERT_TRUE(t_hole(self->t.path, 128, 32));
		ASSERT_TRUE(t_hole(self->t.path, 192, 32));
		ASSERT_FALSE(t_hole(self->t.path, 160, 32));
	}
	ASSERT_EQ(2, self->t.dev.stats.write_zeroes);
}

/* Reopened read-only: writes refused before the backend, reads served. */
TEST_F(io, read_only)
{
	memcpy(self->t.buf, self->pat, IO_LEN);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 0, IO_LEN));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	t_close(&self->t);
	ASSERT_EQ(0, io_open(self, variant, true));
	ASSERT_TRUE(self->t.be.read_only);
	ASSERT_NE(0, self->t.dev.features & 1ULL << VIRTIO_BLK_F_RO);
	memset(self->t.buf, 0, IO_LEN);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 0, IO_LEN));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_EQ(0, self->t.spy.calls);
	ASSERT_EQ(IO_LEN + 1, t_req(&self->t, VIRTIO_BLK_T_IN, 0, IO_LEN));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	/* The ram disk is new; the file kept what was written. */
	if (is_file(variant)) {
		ASSERT_EQ(0, memcmp(self->t.buf, self->pat, IO_LEN));
	} else {
		ASSERT_TRUE(t_all(self->t.buf, IO_LEN, 0));
	}
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_FLUSH, 0, 0));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
}

TEST_HARNESS_MAIN
