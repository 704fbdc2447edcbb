// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-net model's TX and RX chain handling.
 * The input is a script: start the queues with some features, kick RX, let
 * a receive complete (any length, any header, or an error), post a TX chain
 * and complete it, stop the queues. It also lays out every chain the model
 * pops (directions, lengths) and says when the ring has nothing, or fails.
 * The fuzzer plays the worker (pops TX, pushes what the model finishes) and
 * a tap backend that checks what it is handed.
 *
 * Checked: a request is pushed once, only after it was popped, with a used
 * length its chain holds; one receive at a time, into the writable buffers
 * of every RX chain the model holds (each as laid out, the first with room
 * for the header, those the last receive left unused first, one without
 * mergeable buffers) and then the staging buffer; a frame reaches the
 * driver whole, in the buffers its num_buffers says, each filled as far as
 * it holds, the first ones those it was received into, in their order,
 * with a header the negotiated features allow; a frame sent is the chain's
 * bytes after the header, with a valid header; and after a stop, once the
 * backend has answered, every request is back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "dev/net.h"
#include "util/iov.h"
#include "util/log.h"
#include "fuzz_input.h"

#define POOL 8			/* requests per queue: the queue size */
#define REGION 16384		/* guest memory per request */
#define MAX_OPS 96
#define MAX_PIECES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pool {
	struct dev_queue q;
	struct dev_req *reqs[POOL];
	bool out[POOL];		/* popped, not pushed */
	bool broken;		/* pop failed: until the next start */
	unsigned int avail;	/* chains the driver made available since its last kick */
	/* The chains as laid out: the model may trim its own iovecs. */
	struct iovec orig[POOL][2 * MAX_PIECES];
	uint8_t *mem;		/* POOL regions of guest memory */
};

static struct {
	struct input *in;
	struct net_dev dev;
	struct pool rx, tx;
	bool running;
	/* The backend. */
	bool receiving, cancelled;
	uint64_t rx_req;
	const struct iovec *rx_iov;
	unsigned int rx_cnt;
	/*
	 * The chains (slots) the last receive went into, in order, -1 once
	 * pushed; and those of the last frame received.
	 */
	int rx_chains[POOL];
	unsigned int rx_nchains;
	int frame_chains[POOL];
	unsigned int frame_nchains;
	uint64_t tx_inflight[POOL];
	unsigned int nr_tx_inflight;
	/* The last frame received, and the one being checked at the driver. */
	uint8_t frame[NET_HDR_LEN + NET_MAX_FRAME + REGION];
	size_t frame_len;
	uint8_t got[NET_HDR_LEN + NET_MAX_FRAME + REGION];
	size_t got_len;
	unsigned int group_left, group_at;
} fz;

static int slot_of(struct pool *p, struct dev_req *req)
{
	int i;

	for (i = 0; i < POOL; i++)
		if (p->reqs[i] == req)
			return i;
	abort();
}

/* Lay out a chain in the request's own memory: pieces readable, then writable. */
static void make_chain(struct pool *p, int i, bool rx)
{
	struct vq_chain *c = &p->reqs[i]->chain;
	unsigned int nrd, nwr, k;
	size_t off = 0, len;
	uint8_t sel = next(fz.in);

	/* Mostly what each queue should get; sometimes the other direction. */
	nrd = rx ? (sel & 0xe0 ? 0 : 1 + sel % 2) : 1 + sel % MAX_PIECES;
	nwr = rx ? 1 + sel % MAX_PIECES : (sel & 0xe0 ? 0 : 1);
	c->out_num = nrd;
	c->in_num = nwr;
	c->out_len = c->in_len = 0;
	for (k = 0; k < nrd + nwr; k++) {
		len = next16(fz.in) % 4096;
		if (len > REGION - off)
			len = REGION - off;
		c->iov[k] = (struct iovec){ p->mem + i * REGION + off, len };
		p->orig[i][k] = c->iov[k];
		off += len;
		if (k < nrd)
			c->out_len += len;
		else
			c->in_len += len;
	}
	/* Now and then a piece the device cannot reach, as the ring engine makes one (never empty). */
	c->bad = 0;
	k = (sel & 0x18) == 0x18 ? next(fz.in) % (nrd + nwr) : 0;
	if ((sel & 0x18) == 0x18 && c->iov[k].iov_len) {
		c->iov[k].iov_base = NULL;
		p->orig[i][k].iov_base = NULL;
		c->bad = -EFAULT;
	}
	for (k = 0; k < off && fz.in->left; k++)
		p->mem[i * REGION + k] = next(fz.in);
}

static int fake_pop(struct dev_queue *q, struct dev_req **req)
{
	struct pool *p = q == &fz.rx.q ? &fz.rx : &fz.tx;
	uint8_t b;
	int i;

	if (!fz.running)
		abort();
	if (p->broken)
		return -EIO;
	if (!p->avail)
		return 0;
	p->avail--;
	b = next(fz.in);
	if (b == 0xfe) {
		p->broken = true;
		return -EIO;
	}
	for (i = 0; i < POOL && p->out[i]; i++)
		;
	if (i == POOL)
		return 0;
	make_chain(p, i, p == &fz.rx);
	p->out[i] = true;
	*req = p->reqs[i];
	return 1;
}

/* A header the driver may get under @f (5.1.6.4): what net_hdr_from_fd() allows. */
static void check_rx_header(const struct virtio_net_hdr_mrg_rxbuf *h)
{
	struct virtio_net_hdr_mrg_rxbuf want;

	memcpy(&want, fz.frame, NET_HDR_LEN);
	if (net_hdr_from_fd(&want, fz.dev.negotiated))
		abort();
	want.num_buffers = h->num_buffers;
	if (memcmp(&want, h, NET_HDR_LEN))
		abort();
}

static bool listed(const int *slots, unsigned int n, int slot)
{
	while (n--)
		if (slots[n] == slot)
			return true;
	return false;
}

/*
 * RX: the buffers of one frame come back in a row, the head first, each
 * filled as far as it holds: first those the frame was received into, in
 * their order, then chains popped after.
 */
static void check_rx_push(struct dev_req *req)
{
	int slot = slot_of(&fz.rx, req);
	const struct iovec *iov = fz.rx.orig[slot];
	struct vq_chain *c = &req->chain;
	struct virtio_net_hdr_mrg_rxbuf h;
	unsigned int n;
	size_t fill;

	if (!req->used_len) {
		if (fz.group_left)
			abort();
		return;
	}
	if (!fz.group_left) {
		if (req->used_len < NET_HDR_LEN ||
		    iov_to_buf(iov + c->out_num, c->in_num, 0, &h, NET_HDR_LEN) != NET_HDR_LEN)
			abort();
		n = le16toh(h.num_buffers);
		if (!n || n > POOL ||
		    (n > 1 && !(fz.dev.negotiated & 1ULL << VIRTIO_NET_F_MRG_RXBUF)))
			abort();
		check_rx_header(&h);
		fz.group_left = n;
		fz.group_at = 0;
		fz.got_len = 0;
	}
	fill = fz.frame_len - fz.got_len < c->in_len ? fz.frame_len - fz.got_len : c->in_len;
	if (req->used_len != fill ||
	    (fz.group_at < fz.frame_nchains ? slot != fz.frame_chains[fz.group_at] :
	     listed(fz.frame_chains, fz.frame_nchains, slot)))
		abort();
	fz.group_at++;
	if (fz.got_len + req->used_len > sizeof(fz.got))
		abort();
	if (iov_to_buf(iov + c->out_num, c->in_num, 0, fz.got + fz.got_len, req->used_len) !=
	    req->used_len)
		abort();
	fz.got_len += req->used_len;
	if (--fz.group_left)
		return;
	/* The whole frame, as the backend handed it over. */
	if (fz.got_len != fz.frame_len ||
	    memcmp(fz.got + NET_HDR_LEN, fz.frame + NET_HDR_LEN, fz.got_len - NET_HDR_LEN))
		abort();
}

static void fake_push(struct dev_queue *q, struct dev_req *req)
{
	struct pool *p = q == &fz.rx.q ? &fz.rx : &fz.tx;
	int i = slot_of(p, req);
	unsigned int k;

	if (!p->out[i] || req->used_len > req->chain.in_len)
		abort();
	if (p == &fz.rx) {
		check_rx_push(req);
		for (k = 0; k < fz.rx_nchains; k++)
			if (fz.rx_chains[k] == i)
				fz.rx_chains[k] = -1;
	} else if (req->used_len) {
		abort();
	}
	p->out[i] = false;
}

static bool in_region(const struct pool *p, const struct iovec *v)
{
	const uint8_t *b = v->iov_base;

	return b >= p->mem && v->iov_len <= POOL * REGION &&
	       (size_t)(b - p->mem) <= POOL * REGION - v->iov_len;
}

/* TX: the header copy, then the chain's bytes after the driver's header. */
static void check_transmit(const struct be_io *io, uint64_t req)
{
	struct dev_req *dreq = (struct dev_req *)(uintptr_t)req;
	struct vq_chain *c = &dreq->chain;
	static uint8_t want[NET_HDR_LEN + NET_MAX_FRAME], got[NET_HDR_LEN + NET_MAX_FRAME];
	struct virtio_net_hdr_mrg_rxbuf h;
	size_t len = 0, n;
	unsigned int i;

	if (!fz.tx.out[slot_of(&fz.tx, dreq)] || io->iovcnt < 1 ||
	    io->iov[0].iov_len != NET_HDR_LEN || c->in_num)
		abort();
	memcpy(&h, io->iov[0].iov_base, NET_HDR_LEN);
	if (h.hdr.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM || h.num_buffers)
		abort();
	for (i = 1; i < io->iovcnt; i++) {
		if (!in_region(&fz.tx, &io->iov[i]) || len + io->iov[i].iov_len > sizeof(got))
			abort();
		memcpy(got + len, io->iov[i].iov_base, io->iov[i].iov_len);
		len += io->iov[i].iov_len;
	}
	n = iov_to_buf(fz.tx.orig[slot_of(&fz.tx, dreq)], c->out_num, NET_HDR_LEN, want,
		       sizeof(want));
	if (n != len || n != c->out_len - NET_HDR_LEN || memcmp(want, got, n))
		abort();
	if (h.hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE && len > fz.dev.mtu + 14U + 4U)
		abort();
}

/* The RX chain held whose writable pieces, as laid out, are the @n iovecs at @v; or -1. */
static int chain_at(const struct iovec *v, size_t n)
{
	const struct vq_chain *c;
	unsigned int k;
	int i;

	for (i = 0; i < POOL; i++) {
		c = &fz.rx.reqs[i]->chain;
		if (!fz.rx.out[i] || c->in_num > n)
			continue;
		for (k = 0; k < c->in_num; k++)
			if (v[k].iov_base != fz.rx.orig[i][c->out_num + k].iov_base ||
			    v[k].iov_len != fz.rx.orig[i][c->out_num + k].iov_len)
				break;
		if (k == c->in_num)
			return i;
	}
	return -1;
}

/*
 * Where a receive may write: the writable pieces of every RX chain the
 * model holds (it holds no other between frames), none twice, those the
 * last receive left unused first and in their order; then the staging
 * buffer. The request is the first chain's.
 */
static void check_receive(const struct be_io *io, uint64_t req)
{
	const struct iovec *v = io->iov, *end = io->iov + io->iovcnt - 1;
	bool in[POOL] = { false };
	int left[POOL], slot;
	unsigned int nleft = 0, n = 0, i;
	const struct vq_chain *c;

	if (fz.receiving || io->iovcnt < 2 || end->iov_base != fz.dev.rx.staging ||
	    end->iov_len != NET_HDR_LEN + NET_MAX_FRAME)
		abort();
	for (i = 0; i < fz.rx_nchains; i++)
		if (fz.rx_chains[i] >= 0)
			left[nleft++] = fz.rx_chains[i];
	for (; v < end; v += c->in_num) {
		slot = chain_at(v, end - v);
		if (slot < 0 || in[slot] || (n < nleft && slot != left[n]))
			abort();
		c = &fz.rx.reqs[slot]->chain;
		if (c->bad || c->out_num || (!n && c->in_len < NET_HDR_LEN))
			abort();
		in[slot] = true;
		fz.rx_chains[n++] = slot;
	}
	fz.rx_nchains = n;
	if (!n || req != (uintptr_t)fz.rx.reqs[fz.rx_chains[0]] ||
	    (n > 1 && !(fz.dev.negotiated & 1ULL << VIRTIO_NET_F_MRG_RXBUF)))
		abort();
	for (i = 0; i < POOL; i++)
		if (fz.rx.out[i] != in[i])
			abort();
}

static int fake_submit(struct be *be, struct be_ctx *ctx, const struct be_io *io, uint64_t req)
{
	uint8_t b = next(fz.in);

	if (io->op == BE_TRANSMIT) {
		check_transmit(io, req);
		if (b % 4 == 0)
			return b & 4 ? -EIO : 0;
		fz.tx_inflight[fz.nr_tx_inflight++] = req;
		return 1;
	}
	if (io->op != BE_RECEIVE)
		abort();
	check_receive(io, req);
	if (b == 0xff)
		return -ENOBUFS;
	fz.receiving = true;
	fz.cancelled = false;
	fz.rx_req = req;
	fz.rx_iov = io->iov;
	fz.rx_cnt = io->iovcnt;
	return 1;
}

static void fake_cancel(struct be *be, struct be_ctx *ctx, uint64_t req)
{
	if (!fz.receiving || req != fz.rx_req)
		abort();
	fz.cancelled = true;
}

static const struct be_ops fake_ops = {
	.name = "fake",
	.kind = BE_NET,
	.submit = fake_submit,
	.cancel = fake_cancel,
};

/* The driver makes chains available and kicks. */
static void kick(struct pool *p)
{
	p->avail = next(fz.in) % (2 * POOL);
}

/* The worker's part when the model finished a request: push it. */
static void finished(struct pool *p, struct dev_req *req, int ret)
{
	if (ret == 0)
		p->q.push(&p->q, req);
	else if (ret != 1)
		abort();
}

/* The backend answers the receive: a frame of some length, an error, or the cancel. */
static void end_receive(bool stopping)
{
	struct dev_req *req = (struct dev_req *)(uintptr_t)fz.rx_req;
	size_t total = 0, i;
	uint8_t b = next(fz.in);
	int res;

	for (i = 0; i < fz.rx_cnt; i++)
		total += fz.rx_iov[i].iov_len;
	if ((fz.cancelled || stopping) && b & 1) {
		res = -ECANCELED;
	} else if (b % 16 == 2) {
		res = -(int)(1 + next(fz.in) % 133);
	} else {
		res = next32(fz.in) % (total + 1);
		if (b & 0x80 && total >= NET_HDR_LEN + 60)
			res = NET_HDR_LEN + 60 + next16(fz.in) % (total - NET_HDR_LEN - 59);
		for (i = 0; i < (size_t)res; i++)
			fz.frame[i] = next(fz.in);
		/* Mostly a plain header: no flags, no GSO, as a tap without offloads says. */
		if (b & 0x40)
			memset(fz.frame, 0, NET_HDR_LEN < (size_t)res ? NET_HDR_LEN : res);
		fz.frame_len = res;
		iov_from_buf(fz.rx_iov, fz.rx_cnt, 0, fz.frame, res);
		memcpy(fz.frame_chains, fz.rx_chains, sizeof(fz.frame_chains));
		fz.frame_nchains = fz.rx_nchains;
	}
	fz.receiving = false;
	finished(&fz.rx, req, net_model.complete(&fz.dev, req, res, NULL));
}

static void end_transmit(void)
{
	struct dev_req *req;
	unsigned int i = next(fz.in) % fz.nr_tx_inflight;
	int res;

	req = (struct dev_req *)(uintptr_t)fz.tx_inflight[i];
	fz.tx_inflight[i] = fz.tx_inflight[--fz.nr_tx_inflight];
	res = next(fz.in) & 1 ? -EIO : (int)(req->chain.out_len);
	finished(&fz.tx, req, net_model.complete(&fz.dev, req, res, NULL));
}

static void start(void)
{
	static const unsigned int bits[] = {
		VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_TSO4,
		VIRTIO_NET_F_GUEST_TSO6,
	};
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1;
	uint8_t b = next(fz.in);
	unsigned int i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (b & 1 << i)
			f |= 1ULL << bits[i];
	fz.rx.q.features = fz.tx.q.features = f;
	fz.rx.broken = fz.tx.broken = false;
	fz.running = true;
	net_model.queue_start(&fz.dev, &fz.rx.q, NULL);
	net_model.queue_start(&fz.dev, &fz.tx.q, NULL);
}

/* A stop ends once every request is back; the backend answers what is in flight. */
static void stop(void)
{
	unsigned int i;

	net_model.queue_stop(&fz.dev, &fz.rx.q, NULL);
	net_model.queue_stop(&fz.dev, &fz.tx.q, NULL);
	while (fz.receiving)
		end_receive(true);
	while (fz.nr_tx_inflight)
		end_transmit();
	for (i = 0; i < POOL; i++)
		if (fz.rx.out[i] || fz.tx.out[i])
			abort();
	fz.running = false;
}

static void tx(void)
{
	struct dev_req *req;

	if (fake_pop(&fz.tx.q, &req) == 1)
		finished(&fz.tx, req, net_model.start(&fz.dev, req, NULL));
}

static void setup_pool(struct pool *p, unsigned int index)
{
	unsigned int i;

	p->q = (struct dev_queue){ .index = index, .num = POOL, .pop = fake_pop,
				   .push = fake_push };
	p->mem = malloc(POOL * REGION);
	if (!p->mem)
		abort();
	for (i = 0; i < POOL; i++) {
		p->reqs[i] = calloc(1, net_model.req_size);
		if (!p->reqs[i])
			abort();
		net_model.req_init(&fz.dev, p->reqs[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct be be = { .ops = &fake_ops, .fd = -1 };
	static bool ready;
	struct input in = { data, size };
	struct net_opts opts = { .mac = { 0x52, 0x54, 0, 1, 2, 3 } };
	unsigned int n;

	fz.in = &in;
	if (!ready) {
		log_set_quiet(true);
		opts.mtu = 1500;
		if (net_dev_init(&fz.dev, &be, &opts))
			abort();
		setup_pool(&fz.rx, NET_RX_QUEUE);
		setup_pool(&fz.tx, NET_TX_QUEUE);
		ready = true;
	}
	fz.dev.mtu = 68 + next16(&in) % 9000;
	start();
	for (n = 0; n < MAX_OPS && in.left; n++) {
		switch (next(&in) % 8) {
		case 0:
		case 1:
			kick(&fz.rx);
			net_model.kick(&fz.dev, &fz.rx.q, NULL);
			break;
		case 2:
		case 3:
			if (fz.receiving)
				end_receive(false);
			break;
		case 4:
			kick(&fz.tx);
			tx();
			break;
		case 5:
			if (fz.nr_tx_inflight)
				end_transmit();
			break;
		case 6:
			stop();
			start();
			break;
		default:
			/* The worker pops and starts what the driver made available. */
			tx();
			tx();
			break;
		}
	}
	stop();
	return 0;
}
