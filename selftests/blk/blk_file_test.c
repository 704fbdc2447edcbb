// SPDX-License-Identifier: GPL-2.0
/*
 * The file backend's open() rules, and the model against a kernel that
 * transfers less than asked, a file shorter than the disk, and errors
 * reported at once or through the ring.
 */
#include <signal.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "blk_test.h"

static const struct blk_opts file_bopts = { .num_queues = 1, .queue_size = 64 };

FIXTURE(file) {
	struct t_blk t;
	bool opened;
};

FIXTURE_SETUP(file)
{
	memset(&self->t, 0, sizeof(self->t));
	self->opened = false;
	ASSERT_EQ(0, t_mkfile(&self->t, 0));
}

FIXTURE_TEARDOWN(file)
{
	if (self->opened)
		t_close(&self->t);
	unlink(self->t.path);
}

static int file_open(FIXTURE_DATA(file) *self, uint64_t size, bool direct,
		     bool read_only)
{
	struct be_opts o = { .path = self->t.path, .size = size,
			     .direct = direct, .read_only = read_only };
	int ret = t_open(&self->t, "file", &o, &file_bopts);
	self->opened = !ret;
	return ret;
}

TEST_F(file, open_errors)
{
	struct be_opts o = { .path = self->t.path };
	struct be be;

	/* Empty, and not a whole number of sectors. */
	ASSERT_EQ(-EINVAL, be_file_ops.open(&be, &o));
	ASSERT_EQ(0, truncate(self->t.path, 1000));
	ASSERT_EQ(-EINVAL, be_file_ops.open(&be, &o));
	o.size = 1000;
	ASSERT_EQ(-EINVAL, be_file_ops.open(&be, &o));
	/* Read-only cannot grow the file to the size asked for. */
	o.size = 4096;
	o.read_only = true;
	ASSERT_EQ(-EINVAL, be_file_ops.open(&be, &o));
	o.path = "/tmp/uvdpa-blk-does-not-exist/disk";
	o.read_only = false;
	ASSERT_EQ(-ENOENT, be_file_ops.open(&be, &o));
	o.path = "/tmp";
	ASSERT_EQ(-EISDIR, be_file_ops.open(&be, &o));
	o.path = "/dev/null";
	ASSERT_EQ(-EINVAL, be_file_ops.open(&be, &o));
	o.path = NULL;
	ASSERT_EQ(-EINVAL, be_file_ops.open(&be, &o));
	ASSERT_EQ(-EINVAL, be_null_ops.open(&be, &(struct be_opts){ .size = 0 }));
	ASSERT_EQ(-EINVAL, be_ram_ops.open(&be, &(struct be_opts){ .size = 511 }));
}

TEST_F(file, missing_file_without_size)
{
	unlink(self->t.path);
	ASSERT_EQ(-ENOENT, file_open(self, 0, false, false));
	ASSERT_EQ(-ENOENT, file_open(self, 0, false, true));
}

/* A size creates or extends the file, sparse. */
TEST_F(file, create_sparse)
{
	struct stat st;

	unlink(self->t.path);
	ASSERT_EQ(0, file_open(self, 1 << 20, false, false));
	ASSERT_EQ(0, stat(self->t.path, &st));
	ASSERT_EQ(1 << 20, st.st_size);
	ASSERT_EQ(0, st.st_blocks);
	ASSERT_EQ(1 << 20, self->t.be.size);
	ASSERT_EQ(512, self->t.be.block_size);
	ASSERT_TRUE(self->t.be.discard);
	ASSERT_TRUE(self->t.be.write_zeroes);
	/* Probing fallocate modes left the file as it was. */
	ASSERT_EQ(0, stat(self->t.path, &st));
	ASSERT_EQ(1 << 20, st.st_size);
	ASSERT_EQ(0, st.st_blocks);
	t_close(&self->t);
	self->opened = false;
	ASSERT_EQ(0, file_open(self, 2 << 20, false, false));
	ASSERT_EQ(0, stat(self->t.path, &st));
	ASSERT_EQ(2 << 20, st.st_size);
	/* Without a size, the file's own. */
	t_close(&self->t);
	self->opened = false;
	ASSERT_EQ(0, file_open(self, 0, false, true));
	ASSERT_EQ(2 << 20, self->t.be.size);
	ASSERT_FALSE(self->t.be.discard);
}

/*
 * The kernel moves only the first iovec of each readv/writev: the model
 * must resubmit the rest until all of it is done.
 */
TEST_F(file, short_transfers_resubmitted)
{
	struct t_layout l = { 1, 4, false };
	uint8_t *pat = malloc(16384);

	ASSERT_NE(NULL, pat);
	ASSERT_EQ(0, file_open(self, T_SIZE, false, false));
	self->t.spy.mode = SPY_ONE_IOV;
	t_pattern(pat, 16384, 5);
	memcpy(self->t.buf, pat, 16384);
	ASSERT_EQ(1, t_req_layout(&self->t, VIRTIO_BLK_T_OUT, 8, 16384, &l));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(4, self->t.spy.calls);
	memset(self->t.buf, 0, 16384);
	ASSERT_EQ(16385, t_req_layout(&self->t, VIRTIO_BLK_T_IN, 8, 16384, &l));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(8, self->t.spy.calls);
	ASSERT_EQ(0, memcmp(self->t.buf, pat, 16384));
	ASSERT_EQ(0, self->t.dev.stats.io_errors);
	free(pat);
}

/* The kernel stops inside an iovec: the rest is resubmitted from that byte on. */
TEST_F(file, short_transfers_cut_inside_an_iovec)
{
	struct t_layout l = { 2, 3, false };
	uint8_t *pat = malloc(16384), back[16384];
	int fd;

	ASSERT_NE(NULL, pat);
	ASSERT_EQ(0, file_open(self, T_SIZE, false, false));
	self->t.spy.mode = SPY_SHORT;
	t_pattern(pat, 16384, 9);
	memcpy(self->t.buf, pat, 16384);
	ASSERT_EQ(1, t_req_layout(&self->t, VIRTIO_BLK_T_OUT, 16, 16384, &l));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ((16384 + SPY_SHORT_BYTES - 1) / SPY_SHORT_BYTES, self->t.spy.calls);
	fd = open(self->t.path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(16384, pread(fd, back, sizeof(back), 16 * 512));
	close(fd);
	ASSERT_EQ(0, memcmp(back, pat, 16384));
	memset(self->t.buf, 0, 16384);
	ASSERT_EQ(16385, t_req_layout(&self->t, VIRTIO_BLK_T_IN, 16, 16384, &l));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_EQ(0, memcmp(self->t.buf, pat, 16384));
	ASSERT_EQ(0, self->t.dev.stats.io_errors);
	free(pat);
}

/*
 * A real short write from the kernel (RLIMIT_FSIZE cuts it at the limit),
 * then an error for the rest: IOERR, never success; the next request works.
 */
TEST_F(file, short_write_then_error_is_an_error)
{
	struct rlimit lim = { 65536, 65536 };
	uint8_t back[4096];
	int fd;

	ASSERT_EQ(0, file_open(self, T_SIZE, false, false));
	ASSERT_NE(SIG_ERR, signal(SIGXFSZ, SIG_IGN));
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	memset(self->t.buf, 0x77, 8192);
	/* Sectors 120..135: the limit falls after the first 4 KiB. */
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 120, 8192));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_EQ(2, self->t.spy.calls);
	ASSERT_EQ(1, self->t.dev.stats.io_errors);
	fd = open(self->t.path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4096, pread(fd, back, sizeof(back), 120 * 512));
	close(fd);
	ASSERT_TRUE(t_all(back, sizeof(back), 0x77));
	/* The device keeps serving what it can. */
	memset(self->t.buf, 0x33, 4096);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 0, 4096));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	memset(self->t.buf, 0, 4096);
	ASSERT_EQ(4097, t_req(&self->t, VIRTIO_BLK_T_IN, 0, 4096));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_TRUE(t_all(self->t.buf, 4096, 0x33));
	ASSERT_EQ(1, self->t.dev.stats.io_errors);
	ASSERT_EQ(0, self->t.dev.stats.bad_requests);
}

/* A file cut short under the disk: no zeroes made up, an error. */
TEST_F(file, read_past_end_of_file)
{
	ASSERT_EQ(0, file_open(self, T_SIZE, false, false));
	memset(self->t.buf, 0x5a, 8192);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 56, 8192));
	ASSERT_EQ(0, truncate(self->t.path, 32768));
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, 128, 4096));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_EQ(1, self->t.dev.stats.io_errors);
	/* Half of it is there: reported as written, then the error. */
	ASSERT_EQ(4097, t_req(&self->t, VIRTIO_BLK_T_IN, 56, 8192));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_TRUE(t_all(self->t.buf, 4096, 0x5a));
	ASSERT_EQ(2, self->t.dev.stats.io_errors);
	ASSERT_EQ(0, self->t.dev.stats.bad_requests);
}

/* O_DIRECT refuses a misaligned buffer: -EINVAL in the CQE. */
TEST_F(file, error_from_ring)
{
	struct iovec rd[2] = { { &self->t.hdr, 16 }, { self->t.buf + 1, 4096 } };
	struct iovec wr = { &self->t.status, 1 };

	ASSERT_EQ(0, file_open(self, T_SIZE, true, false));
	self->t.hdr.type = htole32(VIRTIO_BLK_T_OUT);
	self->t.hdr.sector = 0;
	t_chain(&self->t, rd, 2, &wr, 1);
	ASSERT_EQ(1, t_run(&self->t));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_EQ(1, self->t.spy.calls);
	ASSERT_EQ(1, self->t.dev.stats.io_errors);
}

TEST_F(file, error_from_queue)
{
	size_t len;

	ASSERT_EQ(0, file_open(self, T_SIZE, false, false));
	self->t.spy.mode = SPY_FAIL;
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_FLUSH, 0, 0));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_IN, 0, 4096));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	len = t_ranges(&self->t, 2, 0, 8, 8, 0);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_DISCARD, 0, len));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, self->t.status);
	ASSERT_EQ(3, self->t.spy.calls);
	ASSERT_EQ(3, self->t.dev.stats.io_errors);
	/* An error ends that request only. */
	self->t.spy.mode = SPY_PASS;
	memset(self->t.buf, 0x42, 4096);
	ASSERT_EQ(1, t_req(&self->t, VIRTIO_BLK_T_OUT, 8, 4096));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	memset(self->t.buf, 0, 4096);
	ASSERT_EQ(4097, t_req(&self->t, VIRTIO_BLK_T_IN, 8, 4096));
	ASSERT_EQ(VIRTIO_BLK_S_OK, self->t.status);
	ASSERT_TRUE(t_all(self->t.buf, 4096, 0x42));
	ASSERT_EQ(3, self->t.dev.stats.io_errors);
}

TEST(find)
{
	ASSERT_EQ(&be_file_ops, be_find("file"));
	ASSERT_EQ(&be_null_ops, be_find("null"));
	ASSERT_EQ(&be_ram_ops, be_find("ram"));
	ASSERT_EQ(&be_nbd_ops, be_find("nbd"));
	ASSERT_EQ(&be_rbd_ops, be_find("rbd"));
	ASSERT_EQ(NULL, be_find("tape"));
}

TEST_HARNESS_MAIN
