// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-blk device model (virtio 1.x, section 5.2). A request is a
 * device-readable header, device-readable or -writable data, and one
 * device-writable status byte; none of their boundaries need match the
 * chain's iovecs, so the header and discard ranges are copied out and the
 * data is handed to the backend as a view of the chain's own iovecs.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "dev/blk.h"
#include "util/iov.h"

/* Segments per request; the driver adds the header and the status (5.2.4). */
#define BLK_SEG_MAX 126
/* The longest descriptor served; the config asks for one page (BLK_SEG_BYTES). */
#define BLK_SIZE_MAX (1U << 20)
/*
 * VDUSE bounces every segment the driver maps through one buffer per device
 * (at most 1 GiB), and a mapping that finds it full fails the request's
 * submission, which on 7.3 can deadlock the driver's kernel (see
 * blk_dev_init()). So the config keeps a full ring of the largest requests
 * within the buffer uvdpad asks for: segments of one page, each request at
 * most BLK_REQ_PAGES pages with its header, status and indirect table.
 */
#define BLK_SEG_BYTES 4096U
#define BLK_REQ_PAGES 64U
#define BLK_REQ_OVERHEAD 3U
#define BLK_BOUNCE_MAX (1U << 30)
#define BLK_BOUNCE_ALIGN (1U << 20)
/* Room for every descriptor of a full request to straddle two mappings. */
#define BLK_MAX_IOV (2 * (BLK_SEG_MAX + 2))
/* Ranges per discard or write-zeroes request, and sectors per range. */
#define BLK_DWZ_MAX_SEG 16
#define BLK_DWZ_MAX_SECTORS (1U << 22)
#define BLK_SECTOR 512

struct blk_req {
	struct dev_req dreq;
	uint8_t *status;
	/* The I/O under way: data still to move, or the range to work on. */
	enum be_op op;
	uint64_t offset;
	uint64_t left;
	struct iovec *data;
	unsigned int data_cnt;
	bool to_driver;		/* data moves into the chain: counts in used_len */
	uint64_t written;	/* bytes into the chain, the status byte not counted */
	unsigned int seg;
	unsigned int nseg;
	struct virtio_blk_discard_write_zeroes segs[BLK_DWZ_MAX_SEG];
	struct iovec iov[BLK_MAX_IOV];
};

static void blk_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/*
 * The status byte is the last device-writable byte (5.2.6), alone in its
 * descriptor or at the end of the data's. Cut it off the writable iovecs;
 * NULL when there is none, or it is not in memory the device can reach.
 */
static uint8_t *blk_take_status(struct iovec *wr, unsigned int *wr_cnt)
{
	unsigned int i = *wr_cnt;

	while (i && !wr[i - 1].iov_len)
		i--;
	if (!i || !wr[i - 1].iov_base)
		return NULL;
	wr[i - 1].iov_len--;
	*wr_cnt = wr[i - 1].iov_len ? i : i - 1;
	return (uint8_t *)wr[i - 1].iov_base + wr[i - 1].iov_len;
}

static int blk_finish(struct blk_req *req, uint8_t status)
{
	*req->status = status;
	req->dreq.used_len = req->written + 1;
	return 0;
}

static int blk_reject(struct blk_dev *dev, struct blk_req *req, uint8_t status)
{
	blk_count(&dev->stats.bad_requests);
	return blk_finish(req, status);
}

static int blk_io_error(struct blk_dev *dev, struct blk_req *req)
{
	blk_count(&dev->stats.io_errors);
	return blk_finish(req, VIRTIO_BLK_S_IOERR);
}

static bool blk_range_ok(const struct blk_dev *dev, uint64_t sector,
			 uint64_t sectors)
{
	/* The backend's watch thread stores a new size while we serve. */
	uint64_t capacity = __atomic_load_n(&dev->be->size, __ATOMIC_RELAXED) / BLK_SECTOR;

	return sector <= capacity && sectors <= capacity - sector;
}

static void blk_io(const struct blk_dev *dev, const struct blk_req *req,
		   struct be_io *io)
{
	const struct virtio_blk_discard_write_zeroes *s = &req->segs[req->seg];

	memset(io, 0, sizeof(*io));
	io->op = req->op;
	if (io->op == BE_DISCARD || io->op == BE_WRITE_ZEROES) {
		io->offset = le64toh(s->sector) * BLK_SECTOR;
		io->len = (uint64_t)le32toh(s->num_sectors) * BLK_SECTOR;
		io->unmap = dev->be->discard &&
			    (le32toh(s->flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
		return;
	}
	io->offset = req->offset;
	io->len = req->left;
	io->iov = req->data;
	io->iovcnt = req->data_cnt;
}

/* The backend did @done bytes of the current I/O: whether I/O remains. */
static bool blk_progress(struct blk_req *req, uint64_t done)
{
	if (req->left) {
		iov_take(&req->data, &req->data_cnt, NULL, done);
		req->offset += done;
		req->left -= done;
		if (req->to_driver)
			req->written += done;
		return req->left;
	}
	return ++req->seg < req->nseg;
}

/* Hand the backend the current I/O, and the next ones while they finish at once. */
static int blk_run(struct blk_dev *dev, struct blk_req *req,
		   struct be_ctx *ctx)
{
	struct be_io io;
	int ret;

	do {
		blk_io(dev, req, &io);
		ret = dev->be->ops->submit(dev->be, ctx, &io, (uintptr_t)&req->dreq);
		if (ret > 0)
			return 1;
		if (ret < 0)
			return blk_io_error(dev, req);
	} while (blk_progress(req, io.len));
	return blk_finish(req, VIRTIO_BLK_S_OK);
}

static int blk_rw(struct blk_dev *dev, struct blk_req *req,
		  struct be_ctx *ctx, uint64_t sector, uint64_t len)
{
	if (len % BLK_SECTOR || !blk_range_ok(dev, sector, len / BLK_SECTOR))
		return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
	blk_count(req->op == BE_READ ? &dev->stats.reads : &dev->stats.writes);
	if (!len)
		return blk_finish(req, VIRTIO_BLK_S_OK);
	req->offset = sector * BLK_SECTOR;
	req->left = len;
	return blk_run(dev, req, ctx);
}

/* DISCARD and WRITE_ZEROES: a table of ranges in the readable data (5.2.6). */
static int blk_dwz(struct blk_dev *dev, struct blk_req *req,
		   struct be_ctx *ctx, struct iovec *rd, unsigned int rd_cnt,
		   uint64_t rd_len)
{
	bool discard = req->op == BE_DISCARD;
	uint32_t flags;
	unsigned int i;

	if (dev->be->read_only)
		return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
	if (!(discard ? dev->be->discard : dev->be->write_zeroes))
		return blk_reject(dev, req, VIRTIO_BLK_S_UNSUPP);
	if (!rd_len || rd_len % sizeof(req->segs[0]) || rd_len > sizeof(req->segs))
		return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
	req->nseg = rd_len / sizeof(req->segs[0]);
	iov_take(&rd, &rd_cnt, req->segs, rd_len);
	for (i = 0; i < req->nseg; i++) {
		flags = le32toh(req->segs[i].flags);
		/* 5.2.6.2: unknown flags, and UNMAP on a discard, are UNSUPP. */
		if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
		    (discard && flags))
			return blk_reject(dev, req, VIRTIO_BLK_S_UNSUPP);
	}
	for (i = 0; i < req->nseg; i++) {
		uint32_t n = le32toh(req->segs[i].num_sectors);

		if (!n || n > BLK_DWZ_MAX_SECTORS ||
		    !blk_range_ok(dev, le64toh(req->segs[i].sector), n))
			return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
	}
	blk_count(discard ? &dev->stats.discards : &dev->stats.write_zeroes);
	return blk_run(dev, req, ctx);
}

/* The request types the model serves (5.2.6); any other is UNSUPP. */
static bool blk_known(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return true;
	}
	return false;
}

static int blk_start(void *opaque, struct dev_req *dreq, struct be_ctx *ctx)
{
	struct blk_dev *dev = opaque;
	struct blk_req *req = (struct blk_req *)dreq;
	struct vq_chain *c = &dreq->chain;
	struct iovec *rd = c->iov, *wr = c->iov + c->out_num;
	unsigned int rd_cnt = c->out_num, wr_cnt = c->in_num;
	struct virtio_blk_outhdr hdr;
	uint64_t rd_len, wr_len, sector;

	dreq->used_len = 0;
	req->written = 0;
	req->left = 0;
	req->seg = 0;
	req->nseg = 1;
	req->to_driver = false;
	req->status = blk_take_status(wr, &wr_cnt);
	/*
	 * Nowhere to say what went wrong: handing the chain back would have the
	 * driver read a stale status as the answer, so the queue stops instead.
	 */
	if (!req->status) {
		blk_count(&dev->stats.bad_requests);
		dreq->why = c->in_len ? "status byte not in memory the device can write" :
			    "no device-writable status byte";
		return -EPROTO;
	}
	/*
	 * The header is among the first 17 iovecs, as it has 16 bytes: pieces
	 * beyond max_iov are lost from the middle of the chain only.
	 */
	if (c->out_len < sizeof(hdr) || !iov_mapped(rd, rd_cnt, sizeof(hdr)))
		return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
	iov_take(&rd, &rd_cnt, &hdr, sizeof(hdr));
	rd_len = c->out_len - sizeof(hdr);
	wr_len = c->in_len - 1;
	sector = le64toh(hdr.sector);
	if (c->bad)
		return blk_reject(dev, req, blk_known(le32toh(hdr.type)) ?
				  VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_UNSUPP);
	/*
	 * No more segments than seg_max besides the header's and the status
	 * byte's descriptors (a layout that shares them counts as less), as
	 * the config space says (5.2.4). A segment over its size_max is still
	 * served up to BLK_SIZE_MAX: firmware drivers read with one segment
	 * per request, and the page limit is for VDUSE's bounce buffer only.
	 */
	if (c->desc_max > BLK_SIZE_MAX || c->desc_num > le32toh(dev->config.seg_max) + 2)
		return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);

	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		if (rd_len)
			return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
		req->op = BE_READ;
		req->data = wr;
		req->data_cnt = wr_cnt;
		req->to_driver = true;
		return blk_rw(dev, req, ctx, sector, wr_len);
	case VIRTIO_BLK_T_OUT:
		if (wr_len || dev->be->read_only)
			return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
		req->op = BE_WRITE;
		req->data = rd;
		req->data_cnt = rd_cnt;
		return blk_rw(dev, req, ctx, sector, rd_len);
	case VIRTIO_BLK_T_FLUSH:
		if (rd_len || wr_len)
			return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
		blk_count(&dev->stats.flushes);
		req->op = BE_FLUSH;
		return blk_run(dev, req, ctx);
	case VIRTIO_BLK_T_GET_ID:
		if (rd_len)
			return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
		blk_count(&dev->stats.get_ids);
		req->written = iov_from_buf(wr, wr_cnt, 0, dev->id, sizeof(dev->id));
		return blk_finish(req, VIRTIO_BLK_S_OK);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (wr_len)
			return blk_reject(dev, req, VIRTIO_BLK_S_IOERR);
		req->op = le32toh(hdr.type) == VIRTIO_BLK_T_DISCARD ?
			  BE_DISCARD : BE_WRITE_ZEROES;
		return blk_dwz(dev, req, ctx, rd, rd_cnt, rd_len);
	}
	return blk_reject(dev, req, VIRTIO_BLK_S_UNSUPP);
}

static int blk_complete(void *opaque, struct dev_req *dreq, int res,
			struct be_ctx *ctx)
{
	struct blk_dev *dev = opaque;
	struct blk_req *req = (struct blk_req *)dreq;

	/*
	 * A read or write that moved nothing will move nothing when resubmitted
	 * (a read at the end of a file shorter than the disk): an error, never
	 * zeroes or success.
	 */
	if (res < 0 || (req->left && (!res || (uint64_t)res > req->left)))
		return blk_io_error(dev, req);
	if (!blk_progress(req, res))
		return blk_finish(req, VIRTIO_BLK_S_OK);
	return blk_run(dev, req, ctx);
}

static void blk_req_init(void *opaque, struct dev_req *dreq)
{
	struct blk_req *req = (struct blk_req *)dreq;

	dreq->chain.iov = req->iov;
	dreq->chain.max_iov = BLK_MAX_IOV;
}

static unsigned int blk_log2(uint32_t v)
{
	unsigned int n = 0;

	while (v >>= 1)
		n++;
	return n;
}

static void blk_fill_config(struct blk_dev *dev, const struct blk_opts *opts)
{
	struct virtio_blk_config *cfg = &dev->config;
	const struct be *be = dev->be;
	uint32_t slots = opts->num_queues * opts->queue_size;
	uint32_t pages = BLK_REQ_PAGES;
	uint64_t need;
	uint32_t seg_max;

	/*
	 * Every slot of every queue may hold a request at once, and VDUSE
	 * never hands out the buffer's first page (IOVA 0): the 1 MiB kept
	 * back covers it. Only 64 queues of 1024 need more than 1 GiB at one
	 * segment a request, and come one page short.
	 */
	if ((uint64_t)slots * pages * BLK_SEG_BYTES > BLK_BOUNCE_MAX - BLK_BOUNCE_ALIGN)
		pages = (BLK_BOUNCE_MAX - BLK_BOUNCE_ALIGN) / BLK_SEG_BYTES / slots;
	seg_max = pages > BLK_REQ_OVERHEAD + 1 ? pages - BLK_REQ_OVERHEAD : 1;
	/* Without indirect descriptors a request must fit in the ring. */
	if (opts->queue_size < seg_max + 2)
		seg_max = opts->queue_size > 2 ? opts->queue_size - 2 : 1;
	need = (uint64_t)slots * (seg_max + BLK_REQ_OVERHEAD) * BLK_SEG_BYTES + BLK_SEG_BYTES;
	need = (need + BLK_BOUNCE_ALIGN - 1) & ~(uint64_t)(BLK_BOUNCE_ALIGN - 1);
	dev->bounce_size = need < BLK_BOUNCE_MAX ? need : BLK_BOUNCE_MAX;
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = htole64(be->size / BLK_SECTOR);
	cfg->size_max = htole32(BLK_SEG_BYTES);
	cfg->seg_max = htole32(seg_max);
	cfg->blk_size = htole32(be->block_size);
	cfg->physical_block_exp = blk_log2(be->phys_block_size / be->block_size);
	cfg->min_io_size = htole16(be->phys_block_size / be->block_size);
	cfg->num_queues = htole16(opts->num_queues);
	if (dev->features & 1ULL << VIRTIO_BLK_F_DISCARD) {
		cfg->max_discard_sectors = htole32(BLK_DWZ_MAX_SECTORS);
		cfg->max_discard_seg = htole32(BLK_DWZ_MAX_SEG);
		cfg->discard_sector_alignment =
			htole32(be->phys_block_size / BLK_SECTOR);
	}
	if (dev->features & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES) {
		cfg->max_write_zeroes_sectors = htole32(BLK_DWZ_MAX_SECTORS);
		cfg->max_write_zeroes_seg = htole32(BLK_DWZ_MAX_SEG);
		cfg->write_zeroes_may_unmap = be->discard;
	}
	/* Secure erase and zoned fields follow; they are never offered. */
	dev->config_size = offsetof(struct virtio_blk_config,
				    max_secure_erase_sectors);
}

int blk_dev_init(struct blk_dev *dev, struct be *be, const struct blk_opts *opts)
{
	const char *id = opts->serial ? opts->serial : opts->name;
	uint64_t f;

	if (!opts->num_queues || opts->num_queues > UINT16_MAX ||
	    !opts->queue_size || opts->queue_size > VQ_MAX_SIZE ||
	    (opts->serial && strlen(opts->serial) > sizeof(dev->id)))
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->be = be;
	/*
	 * VDUSE refuses CONFIG_WCE, and needs ACCESS_PLATFORM for its IOTLB.
	 * When virtio_blk cannot add a request it kicks under its queue lock;
	 * 7.3's VDUSE takes the queue's ready_lock in the kick, and its
	 * interrupt work holds ready_lock while virtio_blk's callback takes the
	 * queue lock: both CPUs spin with interrupts off. So no add may fail:
	 * INDIRECT_DESC makes a request one descriptor (as many requests as
	 * slots: the ring never runs out), and the bounce buffer holds them all
	 * (blk_fill_config()). docs/kernel-features.md, "A deadlock in 7.3's VDUSE".
	 */
	f = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM |
	    1ULL << VIRTIO_RING_F_INDIRECT_DESC |
	    1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_BLK_F_FLUSH |
	    1ULL << VIRTIO_BLK_F_TOPOLOGY | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
	    1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_SIZE_MAX;
	if (opts->packed)
		f |= 1ULL << VIRTIO_F_RING_PACKED;
	if (be->read_only)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	if (opts->num_queues > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	if (be->discard && !be->read_only)
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	if (be->write_zeroes && !be->read_only)
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	dev->features = f;
	if (id)
		memcpy(dev->id, id, strnlen(id, sizeof(dev->id)));
	blk_fill_config(dev, opts);
	return 0;
}

const struct dev_model blk_model = {
	.req_size = sizeof(struct blk_req),
	.req_init = blk_req_init,
	.start = blk_start,
	.complete = blk_complete,
};
