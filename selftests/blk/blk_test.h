/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the blk tests share: a device on a backend with a real io_uring, one
 * request slot driven the way the worker drives it (req_init, start, then
 * complete per CQE, through a struct be_ctx on the ring), and builders for request chains laid out as a driver
 * may lay them out. A "spy" backend wraps another to count what reaches it
 * and to misbehave on purpose.
 */
#ifndef UVDPA_BLK_TEST_H
#define UVDPA_BLK_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <endian.h>
#include <sys/stat.h>
#include <liburing.h>

#include "dev/blk.h"

#define T_CAPACITY 256			/* sectors */
#define T_SIZE (T_CAPACITY * 512ULL)
#define T_BUF 65536
#define T_STATUS_UNSET 0xa5

enum spy_mode {
	SPY_PASS,
	SPY_ONE_IOV,	/* READ/WRITE reach the kernel with their first iovec only */
	SPY_FAIL,	/* queue() fails with -EIO */
	/* READ/WRITE move at most SPY_SHORT_BYTES, cut inside an iovec */
	SPY_SHORT,
};

#define SPY_SHORT_BYTES 1000
#define SPY_MAX_IOV 64

struct spy {
	struct be_ops ops;
	const struct be_ops *inner;
	enum spy_mode mode;
	unsigned int calls;
	struct iovec iov[SPY_MAX_IOV];
};

struct t_blk {
	struct spy spy;
	struct be be;
	struct blk_dev dev;
	struct io_uring ring;
	struct be_ctx ctx;
	struct dev_req *req;
	uint8_t *buf;			/* data, then room for a status byte */
	uint8_t status;
	struct virtio_blk_outhdr hdr;
	char path[64];
};

static inline struct spy *spy_of(struct be *be)
{
	return (struct spy *)((char *)be->ops - offsetof(struct spy, ops));
}

static inline int spy_submit(struct be *be, struct be_ctx *ctx,
			     const struct be_io *io, uint64_t req)
{
	struct spy *spy = spy_of(be);
	struct be_io one = *io;
	bool rw = io->op == BE_READ || io->op == BE_WRITE;

	spy->calls++;
	if (spy->mode == SPY_FAIL)
		return -EIO;
	if (spy->mode == SPY_ONE_IOV && rw) {
		one.iovcnt = 1;
		one.len = io->iov[0].iov_len;
	}
	if (spy->mode == SPY_SHORT && rw && io->len > SPY_SHORT_BYTES) {
		uint64_t left = SPY_SHORT_BYTES;
		unsigned int i;

		/* The model keeps io->iov alive until the CQE; so does the spy. */
		for (i = 0; left && i < io->iovcnt && i < SPY_MAX_IOV; i++) {
			spy->iov[i] = io->iov[i];
			if (spy->iov[i].iov_len > left)
				spy->iov[i].iov_len = left;
			left -= spy->iov[i].iov_len;
		}
		one.iov = spy->iov;
		one.iovcnt = i;
		one.len = SPY_SHORT_BYTES - left;
	}
	return spy->inner->submit(be, ctx, &one, req);
}

/* A temporary file of @size bytes (0: none) for the file backend. */
static inline int t_mkfile(struct t_blk *t, uint64_t size)
{
	int fd;

	strcpy(t->path, "/tmp/uvdpa-blk-XXXXXX");
	fd = mkstemp(t->path);
	if (fd < 0)
		return -errno;
	if (size && ftruncate(fd, size)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/* Open backend @name through a spy, start the device and a ring. */
static inline int t_open(struct t_blk *t, const char *name,
			 const struct be_opts *opts, const struct blk_opts *bopts)
{
	int ret;

	t->spy.inner = be_find(name);
	if (!t->spy.inner)
		return -ENOENT;
	t->spy.ops = *t->spy.inner;
	t->spy.ops.submit = spy_submit;
	t->spy.mode = SPY_PASS;
	t->spy.calls = 0;
	memset(&t->be, 0, sizeof(t->be));
	t->be.ops = &t->spy.ops;
	ret = t->spy.inner->open(&t->be, opts);
	if (ret)
		return ret;
	ret = blk_dev_init(&t->dev, &t->be, bopts);
	if (ret)
		return ret;
	ret = io_uring_queue_init(16, &t->ring, 0);
	if (ret)
		return ret;
	t->ctx = (struct be_ctx){ .ring = &t->ring };
	ret = t->be.ops->attach(&t->be, &t->ctx);
	if (ret)
		return ret;
	t->req = calloc(1, blk_model.req_size);
	t->buf = aligned_alloc(4096, T_BUF + 4096);
	if (!t->req || !t->buf)
		return -ENOMEM;
	blk_model.req_init(&t->dev, t->req);
	return 0;
}

static inline void t_close(struct t_blk *t)
{
	free(t->req);
	free(t->buf);
	io_uring_queue_exit(&t->ring);
	t->be.ops->close(&t->be);
}

/* Put @nrd device-readable then @nwr device-writable iovecs in the chain. */
static inline void t_chain(struct t_blk *t, const struct iovec *rd,
			   unsigned int nrd, const struct iovec *wr,
			   unsigned int nwr)
{
	struct vq_chain *c = &t->req->chain;
	unsigned int i;

	c->out_num = nrd;
	c->in_num = nwr;
	c->out_len = 0;
	c->in_len = 0;
	c->bad = 0;
	for (i = 0; i < nrd; i++) {
		c->iov[i] = rd[i];
		c->out_len += rd[i].iov_len;
	}
	for (i = 0; i < nwr; i++) {
		c->iov[nrd + i] = wr[i];
		c->in_len += wr[i].iov_len;
	}
}

/*
 * Run the request in the chain as the worker would: start, then one
 * complete() per CQE until it is finished. Returns used_len, or -EPROTO
 * for a CQE of another request, or the ring's error, or start()'s error
 * for a request that cannot be answered.
 */
static inline int t_run(struct t_blk *t)
{
	struct io_uring_cqe *cqe;
	int ret, res;

	t->req->used_len = 0xdeadbeef;
	ret = blk_model.start(&t->dev, t->req, &t->ctx);
	if (ret < 0)
		return ret;
	while (ret == 1) {
		ret = io_uring_submit_and_wait(&t->ring, 1);
		if (ret < 0)
			return ret;
		ret = io_uring_peek_cqe(&t->ring, &cqe);
		if (ret)
			return ret;
		if (cqe->user_data != (uintptr_t)t->req)
			return -EPROTO;
		res = cqe->res;
		io_uring_cqe_seen(&t->ring, cqe);
		ret = blk_model.complete(&t->dev, t->req, res, &t->ctx);
	}
	return t->req->used_len;
}

/* How a request is laid out in iovecs, as a driver is free to. */
struct t_layout {
	unsigned int hdr_pieces;	/* header split in this many iovecs (1..4) */
	unsigned int data_pieces;	/* data split in this many iovecs */
	bool status_in_data;		/* status at the end of the last data iovec */
};

static const struct t_layout t_plain = { 1, 1, false };

/*
 * A request of @type at @sector with @len bytes of data in t->buf, which is
 * device-writable for IN and GET_ID and device-readable otherwise. Returns
 * used_len; the status is in t->status.
 */
static inline int t_req_layout(struct t_blk *t, uint32_t type, uint64_t sector,
			       size_t len, const struct t_layout *l)
{
	static const size_t hdr_cut[4][4] = {
		{ 16 }, { 3, 13 }, { 5, 7, 4 }, { 1, 1, 1, 13 },
	};
	struct iovec rd[4 + 64], wr[64 + 1];
	unsigned int nrd = 0, nwr = 0, i, n = l->data_pieces;
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	uint8_t *h = (uint8_t *)&t->hdr;
	size_t piece = len / n, off = 0;
	int ret;

	t->hdr.type = htole32(type);
	t->hdr.ioprio = 0;
	t->hdr.sector = htole64(sector);
	for (i = 0; i < l->hdr_pieces; h += hdr_cut[l->hdr_pieces - 1][i++])
		rd[nrd++] = (struct iovec){ h, hdr_cut[l->hdr_pieces - 1][i] };
	for (i = 0; len && i < n; i++) {
		size_t plen = i + 1 < n ? piece : len - off;
		struct iovec v = { t->buf + off, plen };

		if (in)
			wr[nwr++] = v;
		else
			rd[nrd++] = v;
		off += plen;
	}
	t->status = T_STATUS_UNSET;
	t->buf[len] = T_STATUS_UNSET;
	if (l->status_in_data && in && nwr)
		wr[nwr - 1].iov_len++;
	else
		wr[nwr++] = (struct iovec){ &t->status, 1 };
	t_chain(t, rd, nrd, wr, nwr);
	ret = t_run(t);
	if (l->status_in_data && in && len)
		t->status = t->buf[len];
	return ret;
}

static inline int t_req(struct t_blk *t, uint32_t type, uint64_t sector,
			size_t len)
{
	return t_req_layout(t, type, sector, len, &t_plain);
}

/* Fill t->buf with @n discard/write-zeroes ranges of @sectors each, @gap apart. */
static inline size_t t_ranges(struct t_blk *t, unsigned int n, uint64_t sector,
			      uint32_t sectors, uint64_t gap, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes *r = (void *)t->buf;
	unsigned int i;

	for (i = 0; i < n; i++) {
		r[i].sector = htole64(sector + i * gap);
		r[i].num_sectors = htole32(sectors);
		r[i].flags = htole32(flags);
	}
	return n * sizeof(*r);
}

static inline void t_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static inline bool t_all(const uint8_t *p, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static inline uint64_t t_blocks(const char *path)
{
	struct stat st;

	return stat(path, &st) ? ~0ULL : (uint64_t)st.st_blocks;
}

/* Whether sectors [@s, @s + @n) of the file at @path are a hole. */
static inline bool t_hole(const char *path, uint64_t s, uint64_t n)
{
	int fd = open(path, O_RDONLY);
	bool hole;

	if (fd < 0)
		return false;
	hole = lseek(fd, s * 512, SEEK_HOLE) == (off_t)(s * 512) &&
	       lseek(fd, s * 512, SEEK_DATA) >= (off_t)((s + n) * 512);
	close(fd);
	return hole;
}

#endif
