// SPDX-License-Identifier: GPL-2.0
/*
 * Every request the model must refuse, one test each: the exact status and
 * used length, the counter bumped, and the backend never reached.
 */
#include "kselftest_harness.h"
#include "blk_test.h"

FIXTURE(val) {
	struct t_blk t;
	uint8_t *disk;		/* the ram backend's memory */
	uint8_t *ref;		/* what it holds */
};

static int val_open(FIXTURE_DATA(val) *self, bool read_only)
{
	struct be_opts o = { .size = T_SIZE, .read_only = read_only };
	struct blk_opts b = { .num_queues = 1, .queue_size = 128, .name = "val" };
	int ret;

	memset(&self->t, 0, sizeof(self->t));
	ret = t_open(&self->t, "ram", &o, &b);
	if (ret)
		return ret;
	self->disk = self->t.be.priv;
	t_pattern(self->disk, T_SIZE, 3);
	memcpy(self->ref, self->disk, T_SIZE);
	return 0;
}

FIXTURE_SETUP(val)
{
	self->ref = malloc(T_SIZE);
	ASSERT_NE(NULL, self->ref);
	ASSERT_EQ(0, val_open(self, false));
}

FIXTURE_TEARDOWN(val)
{
	t_close(&self->t);
	free(self->ref);
}

/* Refused with status @st, the backend never reached, the disk as it was. */
#define ASSERT_REFUSED(st) do {					\
	ASSERT_EQ(st, self->t.status);				\
	ASSERT_EQ(0, self->t.spy.calls);				\
	ASSERT_EQ(1, self->t.dev.stats.bad_requests);			\
	ASSERT_EQ(0, self->t.dev.stats.io_errors);			\
	ASSERT_EQ(0, memcmp(self->disk, self->ref, T_SIZE));		\
} while (0)

/*
 * A request of @type with @rd_len device-readable bytes after the header and
 * @wr_len device-writable bytes before the status, each in its own iovec.
 */
static int val_placed(FIXTURE_DATA(val) *self, uint32_t type, size_t rd_len,
		      size_t wr_len)
{
	struct iovec rd[2] = { { &self->t.hdr, 16 }, { self->t.buf, rd_len } };
	struct iovec wr[2] = { { self->t.buf + 4096, wr_len },
			       { &self->t.status, 1 } };

	self->t.hdr.type = htole32(type);
	self->t.hdr.sector = 0;
	self->t.status = T_STATUS_UNSET;
	t_chain(&self->t, rd, 2, wr, 2);
	return t_run(&self->t);
}

/* The header is cut short, but the last byte says so: IOERR, used length 1. */
TEST_F(val, header_too_short)
{
	struct iovec rd = { &self->t.hdr, 15 }, wr = { &self->t.status, 1 };

	self->t.status = T_STATUS_UNSET;
	t_chain(&self->t, &rd, 1, &wr, 1);
	ASSERT_EQ(1, t_run(&self->t));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

/*
 * No status byte to answer in: the request cannot be completed without the
 * driver reading a stale status, so start() refuses it (the queue stops).
 */
TEST_F(val, no_writable_status)
{
	struct iovec rd = { &self->t.hdr, 16 };

	self->t.hdr.type = htole32(VIRTIO_BLK_T_FLUSH);
	self->t.status = T_STATUS_UNSET;
	t_chain(&self->t, &rd, 1, NULL, 0);
	ASSERT_EQ(-EPROTO, t_run(&self->t));
	ASSERT_REFUSED(T_STATUS_UNSET);
	EXPECT_STREQ("no device-writable status byte", self->t.req->why);
}

TEST_F(val, empty_writable_iovec)
{
	struct iovec rd = { &self->t.hdr, 16 }, wr = { &self->t.status, 0 };

	self->t.hdr.type = htole32(VIRTIO_BLK_T_FLUSH);
	self->t.status = T_STATUS_UNSET;
	t_chain(&self->t, &rd, 1, &wr, 1);
	ASSERT_EQ(-EPROTO, t_run(&self->t));
	ASSERT_REFUSED(T_STATUS_UNSET);
}

/* A status byte the device cannot reach (the ring engine's NULL piece). */
TEST_F(val, status_not_in_memory)
{
	struct iovec rd = { &self->t.hdr, 16 }, wr = { NULL, 1 };

	self->t.hdr.type = htole32(VIRTIO_BLK_T_FLUSH);
	t_chain(&self->t, &rd, 1, &wr, 1);
	self->t.req->chain.bad = -EFAULT;
	ASSERT_EQ(-EPROTO, t_run(&self->t));
	ASSERT_EQ(0, self->t.spy.calls);
	ASSERT_EQ(1, self->t.dev.stats.bad_requests);
	EXPECT_STREQ("status byte not in memory the device can write", self->t.req->why);
}

/*
 * Data the device cannot reach, header and status sound: IOERR (UNSUPP
 * for an unknown type), nothing moved, whichever side the data is on.
 */
static void bad_data(struct __test_metadata *_metadata, FIXTURE_DATA(val) *self,
		     uint32_t type, bool in, int bad, uint8_t st)
{
	struct iovec rd[2] = { { &self->t.hdr, 16 }, { NULL, 4096 } };
	struct iovec wr[2] = { { NULL, 4096 }, { &self->t.status, 1 } };

	self->t.hdr.type = htole32(type);
	self->t.hdr.sector = 0;
	self->t.status = T_STATUS_UNSET;
	if (in)
		t_chain(&self->t, rd, 1, wr, 2);
	else
		t_chain(&self->t, rd, 2, &wr[1], 1);
	self->t.req->chain.bad = bad;
	ASSERT_EQ(1, t_run(&self->t));
	ASSERT_REFUSED(st);
}

TEST_F(val, read_into_unmapped_data)
{
	bad_data(_metadata, self, VIRTIO_BLK_T_IN, true, -EFAULT, VIRTIO_BLK_S_IOERR);
}

TEST_F(val, write_from_unmapped_data)
{
	bad_data(_metadata, self, VIRTIO_BLK_T_OUT, false, -EFAULT, VIRTIO_BLK_S_IOERR);
}

TEST_F(val, read_into_read_only_data)
{
	bad_data(_metadata, self, VIRTIO_BLK_T_IN, true, -EACCES, VIRTIO_BLK_S_IOERR);
}

TEST_F(val, more_pieces_than_the_device_keeps)
{
	bad_data(_metadata, self, VIRTIO_BLK_T_OUT, false, -ENOBUFS, VIRTIO_BLK_S_IOERR);
}

TEST_F(val, unknown_type_with_unmapped_data)
{
	bad_data(_metadata, self, 0x7777, false, -EFAULT, VIRTIO_BLK_S_UNSUPP);
}

/* The header itself outside memory, with a good status byte: IOERR. */
TEST_F(val, header_not_in_memory)
{
	struct iovec rd[2] = { { &self->t.hdr, 8 }, { NULL, 8 } };
	struct iovec wr = { &self->t.status, 1 };

	self->t.status = T_STATUS_UNSET;
	t_chain(&self->t, rd, 2, &wr, 1);
	self->t.req->chain.bad = -EFAULT;
	ASSERT_EQ(1, t_run(&self->t));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, read_at_capacity)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, T_CAPACITY, 512));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, read_across_capacity)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, T_CAPACITY - 1, 1024));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, sector_overflow)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, UINT64_MAX, 512));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, read_not_sector_multiple)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, 0, 1000));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, write_not_sector_multiple)
{
	memset(self->t.buf, 0, 513);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 0, 513));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, write_across_capacity)
{
	memset(self->t.buf, 0, 4096);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, T_CAPACITY - 4, 4096));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, in_with_readable_data)
{
	ASSERT_EQ(1, val_placed(self, VIRTIO_BLK_T_IN, 512, 512));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, out_with_writable_data)
{
	ASSERT_EQ(1, val_placed(self, VIRTIO_BLK_T_OUT, 512, 512));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, flush_with_data)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_FLUSH, 0, 512));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, get_id_with_readable_data)
{
	ASSERT_EQ(1, val_placed(self, VIRTIO_BLK_T_GET_ID, 4, 20));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, unknown_type)
{
	static const uint32_t types[] = {
		2 /* SCSI_CMD */, 10 /* GET_LIFETIME */, 14 /* SECURE_ERASE */,
		VIRTIO_BLK_T_IN | VIRTIO_BLK_T_BARRIER, 0xffffffff,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		ASSERT_EQ(1, t_req(&self->t, types[i], 0, 0));
		ASSERT_EQ(VIRTIO_BLK_S_UNSUPP, self->t.status);
	}
	ASSERT_EQ(0, self->t.spy.calls);
	ASSERT_EQ(i, self->t.dev.stats.bad_requests);
}

/* A read-only disk refuses every write-like request before looking further. */
TEST_F(val, write_on_read_only)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
	};
	unsigned int i;

	t_close(&self->t);
	ASSERT_EQ(0, val_open(self, true));
	for (i = 0; i < 3; i++) {
		size_t len = t_ranges(&self->t, 1, 0, 8, 0, 0);

		ASSERT_EQ(1, t_req(&self->t, types[i], 0, len));
		ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	}
	ASSERT_EQ(0, self->t.spy.calls);
	ASSERT_EQ(3, self->t.dev.stats.bad_requests);
	ASSERT_EQ(0, memcmp(self->disk, self->ref, T_SIZE));
}

TEST_F(val, discard_no_range)
{
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, 0));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, discard_partial_range)
{
	size_t len = t_ranges(&self->t, 2, 0, 8, 8, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len - 4));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, discard_too_many_ranges)
{
	uint32_t max = le32toh(self->t.dev.config.max_discard_seg);
	size_t len = t_ranges(&self->t, max + 1, 0, 1, 1, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, write_zeroes_too_many_ranges)
{
	uint32_t max = le32toh(self->t.dev.config.max_write_zeroes_seg);
	size_t len = t_ranges(&self->t, max + 1, 0, 1, 1, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, discard_unmap_flag)
{
	size_t len = t_ranges(&self->t, 1, 0, 8, 0, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_UNSUPP);
}

TEST_F(val, write_zeroes_unknown_flag)
{
	size_t len = t_ranges(&self->t, 1, 0, 8, 0, 2);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_UNSUPP);
}

/* A bad second range refuses the whole request: the first is not done either. */
TEST_F(val, discard_range_beyond_capacity)
{
	size_t len = t_ranges(&self->t, 2, 0, 8, T_CAPACITY - 4, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, write_zeroes_sector_overflow)
{
	size_t len = t_ranges(&self->t, 1, UINT64_MAX - 3, 8, 0, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, discard_too_many_sectors)
{
	uint32_t max = le32toh(self->t.dev.config.max_discard_sectors);
	size_t len = t_ranges(&self->t, 1, 0, max + 1, 0, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, write_zeroes_empty_range)
{
	size_t len = t_ranges(&self->t, 1, 0, 0, 0, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

TEST_F(val, discard_with_writable_data)
{
	t_ranges(&self->t, 1, 0, 8, 0, 0);
	ASSERT_EQ(1, val_placed(self, VIRTIO_BLK_T_DISCARD, 16, 16));
	ASSERT_REFUSED(VIRTIO_BLK_S_IOERR);
}

/* A backend without discard: the feature is not offered, the request UNSUPP. */
TEST_F(val, discard_not_offered)
{
	size_t len;

	self->t.be.discard = false;
	self->t.be.write_zeroes = false;
	ASSERT_EQ(0, blk_dev_init(&self->t.dev, &self->t.be,
				  &(struct blk_opts){ .num_queues = 1,
						      .queue_size = 128 }));
	ASSERT_EQ(0, self->t.dev.features & 1ULL << VIRTIO_BLK_F_DISCARD);
	len = t_ranges(&self->t, 1, 0, 8, 0, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_EQ(VIRTIO_BLK_S_UNSUPP, self->t.status);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_WRITE_ZEROES, 0, len));
	ASSERT_EQ(VIRTIO_BLK_S_UNSUPP, self->t.status);
	ASSERT_EQ(0, self->t.spy.calls);
	ASSERT_EQ(2, self->t.dev.stats.bad_requests);
}

/* The edges that are valid: the last sector, and an empty read. */
TEST_F(val, last_sector_and_empty_read)
{
	ASSERT_EQ(513, t_req(&self->t, VIRTIO_BLK_T_IN, T_CAPACITY - 1, 512));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(0, memcmp(self->t.buf, self->disk + T_SIZE - 512, 512));
	ASSERT_EQ(1, self->t.spy.calls);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, T_CAPACITY, 0));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(1, self->t.spy.calls);
	ASSERT_EQ(0, self->t.dev.stats.bad_requests);
	ASSERT_EQ(2, self->t.dev.stats.reads);
}

TEST_HARNESS_MAIN
