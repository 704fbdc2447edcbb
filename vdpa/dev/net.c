// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-net device model (virtio 1.x, section 5.1); see net.h for the
 * shape of TX and RX. The driver's header and the backend's vnet header have
 * the same layout; the model checks every header against the negotiated
 * features before it passes one on, in either direction.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "dev/net.h"
#include "util/array_size.h"
#include "util/iov.h"
#include "util/log.h"

/* iovecs per chain: virtio_net's longest (MAX_SKB_FRAGS + 2), each split in two. */
#define NET_MAX_IOV 64
/* What a receive may bring beyond the first chain. */
#define NET_STAGING (NET_HDR_LEN + NET_MAX_FRAME)
#define NET_ETH_HLEN 14U
#define NET_VLAN_HLEN 4U
#define NET_MTU_MIN 68

#define NET_FEATURES (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM | \
		      1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_MTU | \
		      1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MRG_RXBUF | \
		      1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM | \
		      1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 | \
		      1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6 | \
		      1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_RING_F_EVENT_IDX)

struct net_req {
	struct dev_req dreq;
	bool rx;
	/* TX: the header as the backend takes it. */
	struct virtio_net_hdr_mrg_rxbuf hdr;
	/*
	 * The chain's iovecs start at iov[1]: TX puts the header copy just
	 * before the first data iovec, RX the staging buffer after the last.
	 */
	struct iovec iov[NET_MAX_IOV + 2];
};

static bool net_has(uint64_t features, unsigned int bit)
{
	return features & 1ULL << bit;
}

/* Relaxed: uvdpactl stats reads the counters from the control thread. */
static void net_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/*
 * The longest frame without GSO the MTU allows, Ethernet and VLAN headers
 * included: a driver MUST NOT send more (5.1.6.2), a device MUST NOT pass
 * more to the driver (5.1.6.3).
 */
static bool net_over_mtu(const struct net_dev *dev, const struct virtio_net_hdr *h,
			 uint64_t frame)
{
	return h->gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	       frame > dev->mtu + NET_ETH_HLEN + NET_VLAN_HLEN;
}

/* The GSO types a direction allows: HOST_* for TX, GUEST_* for RX (5.1.6.2). */
static int net_gso_ok(uint8_t gso_type, uint64_t f, unsigned int tso4, unsigned int tso6)
{
	switch (gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return net_has(f, tso4) ? 0 : -EINVAL;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return net_has(f, tso6) ? 0 : -EINVAL;
	}
	/* UDP, ECN: never offered. */
	return -EINVAL;
}

int net_hdr_to_fd(struct virtio_net_hdr_mrg_rxbuf *h, uint64_t f)
{
	struct virtio_net_hdr *g = &h->hdr;

	if (g->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return -EINVAL;
	if (g->flags && !net_has(f, VIRTIO_NET_F_CSUM))
		return -EINVAL;
	if (net_gso_ok(g->gso_type, f, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6))
		return -EINVAL;
	g->hdr_len = le16toh(g->hdr_len);
	g->gso_size = le16toh(g->gso_size);
	g->csum_start = le16toh(g->csum_start);
	g->csum_offset = le16toh(g->csum_offset);
	h->num_buffers = 0;
	return 0;
}

int net_hdr_from_fd(struct virtio_net_hdr_mrg_rxbuf *h, uint64_t f)
{
	struct virtio_net_hdr *g = &h->hdr;

	g->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	/* 5.1.6.4.1: without GUEST_CSUM the flags are zero and the checksum is complete. */
	if (!net_has(f, VIRTIO_NET_F_GUEST_CSUM)) {
		if (g->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return -EINVAL;
		g->flags = 0;
	}
	if (net_gso_ok(g->gso_type, f, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6))
		return -EINVAL;
	g->hdr_len = htole16(g->hdr_len);
	g->gso_size = htole16(g->gso_size);
	g->csum_start = htole16(g->csum_start);
	g->csum_offset = htole16(g->csum_offset);
	return 0;
}

/* What the backend may hand over: the driver takes partial checksums only with GUEST_CSUM. */
static unsigned int net_offload(uint64_t f)
{
	if (!net_has(f, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	return BE_OFFLOAD_CSUM | (net_has(f, VIRTIO_NET_F_GUEST_TSO4) ? BE_OFFLOAD_TSO4 : 0) |
	       (net_has(f, VIRTIO_NET_F_GUEST_TSO6) ? BE_OFFLOAD_TSO6 : 0);
}

/* Drop a TX chain the driver should not have made: counted, never passed on. */
static int net_tx_malformed(struct net_dev *dev)
{
	net_count(&dev->stats.tx_malformed, 1);
	return 0;
}

static int net_tx_start(struct net_dev *dev, struct net_req *req, struct be_ctx *ctx)
{
	struct vq_chain *c = &req->dreq.chain;
	struct iovec *iov = c->iov;
	unsigned int cnt = c->out_num;
	uint64_t frame;
	int ret;

	req->dreq.used_len = 0;
	if (c->bad || c->in_num || c->out_len < NET_HDR_LEN + NET_ETH_HLEN)
		return net_tx_malformed(dev);
	frame = c->out_len - NET_HDR_LEN;
	iov_to_buf(iov, cnt, 0, &req->hdr, NET_HDR_LEN);
	if (frame > NET_MAX_FRAME || net_hdr_to_fd(&req->hdr, dev->negotiated))
		return net_tx_malformed(dev);
	if (net_over_mtu(dev, &req->hdr.hdr, frame))
		return net_tx_malformed(dev);

	/* Trim the header off the chain and put the copy in its place: req->iov has room. */
	iov_take(&iov, &cnt, NULL, NET_HDR_LEN);
	*--iov = (struct iovec){ .iov_base = &req->hdr, .iov_len = NET_HDR_LEN };
	ret = dev->be->ops->submit(dev->be, ctx, &(struct be_io){
		.op = BE_TRANSMIT,
		.iov = iov,
		.iovcnt = cnt + 1,
	}, (uintptr_t)&req->dreq);
	if (ret > 0)
		return 1;
	if (ret < 0) {
		net_count(&dev->stats.tx_errors, 1);
	} else {
		net_count(&dev->stats.tx_frames, 1);
		net_count(&dev->stats.tx_bytes, frame);
	}
	return 0;
}

/* One receive into every chain popped ahead, then the staging buffer. */
static void net_rx_read(struct net_dev *dev, struct be_ctx *ctx)
{
	struct net_rx *rx = &dev->rx;
	unsigned int i, n = 0;

	for (i = 0; i < rx->nahead; i++) {
		const struct vq_chain *c = &rx->ahead[i]->dreq.chain;

		memcpy(rx->iov + n, c->iov, c->in_num * sizeof(*c->iov));
		n += c->in_num;
	}
	rx->iov[n++] = (struct iovec){ .iov_base = rx->staging, .iov_len = NET_STAGING };
	/* Refused (no SQE): the chains wait for the next kick. */
	rx->reading = dev->be->ops->submit(dev->be, ctx, &(struct be_io){
		.op = BE_RECEIVE,
		.iov = rx->iov,
		.iovcnt = n,
	}, (uintptr_t)&rx->ahead[0]->dreq) > 0;
}

static void net_rx_give_back(struct net_rx *rx, struct net_req *req)
{
	req->dreq.used_len = 0;
	rx->q->push(rx->q, &req->dreq);
}

/* The chains popped ahead go back empty. */
static void net_rx_give_back_ahead(struct net_rx *rx, unsigned int from)
{
	unsigned int i;

	for (i = from; i < rx->nahead; i++)
		net_rx_give_back(rx, rx->ahead[i]);
	rx->nahead = 0;
	rx->ahead_len = 0;
	rx->ahead_iov = 0;
}

/* The next chain to receive into: one a daemon that died had taken, then the ring's. */
static int net_rx_pop(struct net_rx *rx, struct dev_req **dreq)
{
	if (rx->nagain) {
		*dreq = &rx->again[--rx->nagain]->dreq;
		return 1;
	}
	return rx->q->pop(rx->q, dreq);
}

static void net_rx_add_ahead(struct net_rx *rx, struct net_req *req)
{
	req->rx = true;
	rx->ahead[rx->nahead++] = req;
	rx->ahead_len += req->dreq.chain.in_len;
	rx->ahead_iov += req->dreq.chain.in_num;
}

/*
 * Enough chains for the longest frame, or as many as the driver has made
 * available; one without mergeable buffers. Room for the next chain's
 * iovecs, at their most, is kept in rx->iov.
 */
static void net_rx_gather(struct net_dev *dev)
{
	struct net_rx *rx = &dev->rx;
	struct dev_req *dreq;
	struct vq_chain *c;

	while (rx->nahead < (rx->mrg ? NET_RX_MAX_BUFS : 1) &&
	       rx->ahead_len < rx->want &&
	       rx->ahead_iov + NET_MAX_IOV < NET_RX_IOV) {
		if (net_rx_pop(rx, &dreq) <= 0)
			return;
		c = &dreq->chain;
		/*
		 * Device-writable only, with room for the header: the frame
		 * starts in any of them that the one before leaves unused, and
		 * its header goes whole into one buffer, as a driver must make
		 * them (5.1.6.3.1).
		 */
		if (c->bad || c->out_num || c->in_len < NET_HDR_LEN) {
			net_count(&dev->stats.rx_bad_buffers, 1);
			net_rx_give_back(rx, (struct net_req *)dreq);
			continue;
		}
		net_rx_add_ahead(rx, (struct net_req *)dreq);
	}
}

/* Find chains to read the next frame into, and read, unless one is under way. */
static void net_rx_arm(struct net_dev *dev, struct be_ctx *ctx)
{
	struct net_rx *rx = &dev->rx;

	if (rx->stopping || rx->reading || rx->len)
		return;
	net_rx_gather(dev);
	if (rx->nahead)
		net_rx_read(dev, ctx);
}

/*
 * Give up the frame being placed: the chains after the first go back empty
 * (the driver drops them as too short); the first is read into again, or
 * goes back too when the queue stops.
 */
static void net_rx_drop(struct net_dev *dev, bool keep_head)
{
	struct net_rx *rx = &dev->rx;
	unsigned int i;

	for (i = keep_head; i < rx->nbufs; i++)
		net_rx_give_back(rx, rx->bufs[i]);
	if (keep_head)
		net_rx_add_ahead(rx, rx->bufs[0]);
	rx->nbufs = 0;
	rx->len = 0;
	net_count(&dev->stats.rx_dropped, 1);
}

/* Spread the rest of the frame over more chains, then hand them all over. */
static void net_rx_fill(struct net_dev *dev, struct be_ctx *ctx)
{
	struct net_rx *rx = &dev->rx;
	struct dev_req *dreq;
	struct vq_chain *c;
	unsigned int i;
	int ret;

	while (rx->placed < rx->len) {
		/* A frame that needs more chains than the ring can ever hold. */
		if (rx->nbufs == NET_RX_MAX_BUFS || rx->nbufs >= rx->q->num) {
			net_rx_drop(dev, true);
			goto next;
		}
		ret = net_rx_pop(rx, &dreq);
		if (ret < 0)
			net_rx_drop(dev, false);
		/* No buffer: the frame waits in the staging buffer for the driver's kick. */
		if (ret <= 0)
			return;
		c = &dreq->chain;
		if (c->bad || c->out_num || !c->in_len) {
			net_count(&dev->stats.rx_bad_buffers, 1);
			net_rx_give_back(rx, (struct net_req *)dreq);
			continue;
		}
		dreq->used_len = iov_from_buf(c->iov, c->in_num, 0,
					      rx->staging + (rx->placed - rx->in_ahead),
					      rx->len - rx->placed);
		rx->placed += dreq->used_len;
		rx->bufs[rx->nbufs++] = (struct net_req *)dreq;
	}
	/* The driver takes num_buffers used elements in a row, the first one first. */
	rx->hdr.num_buffers = htole16(rx->nbufs);
	c = &rx->bufs[0]->dreq.chain;
	iov_from_buf(c->iov, c->in_num, 0, &rx->hdr, NET_HDR_LEN);
	for (i = 0; i < rx->nbufs; i++)
		rx->q->push(rx->q, &rx->bufs[i]->dreq);
	net_count(&dev->stats.rx_frames, 1);
	net_count(&dev->stats.rx_bytes, rx->len - NET_HDR_LEN);
	rx->nbufs = 0;
	rx->len = 0;
next:
	net_rx_arm(dev, ctx);
}

/*
 * The frame of @len bytes fills the chains read into from the first; those
 * after it stay ahead, for the next receive.
 */
static void net_rx_place(struct net_rx *rx, uint32_t len)
{
	unsigned int i, n;

	for (i = 0; i < rx->nahead && rx->placed < len; i++) {
		struct net_req *req = rx->ahead[i];
		const struct vq_chain *c = &req->dreq.chain;

		n = len - rx->placed < c->in_len ? len - rx->placed : c->in_len;
		req->dreq.used_len = n;
		rx->placed += n;
		rx->ahead_len -= c->in_len;
		rx->ahead_iov -= c->in_num;
		rx->bufs[rx->nbufs++] = req;
	}
	rx->nahead -= i;
	memmove(rx->ahead, rx->ahead + i, rx->nahead * sizeof(*rx->ahead));
	rx->in_ahead = rx->placed;
}

/*
 * Each chain read into costs an iovec to the kernel and to us: pop ahead
 * for the frames that come, not for 64 KiB when they are small. A frame
 * longer than wanted that fit all the same (a chain brought more than was
 * asked for) is wanted next.
 */
static void net_rx_want(struct net_dev *dev, uint32_t len)
{
	struct net_rx *rx = &dev->rx;
	uint32_t floor = NET_HDR_LEN + dev->mtu + NET_ETH_HLEN + NET_VLAN_HLEN;
	uint32_t seen = len > floor ? len : floor;

	if (len > rx->ahead_len)
		rx->want = NET_HDR_LEN + NET_MAX_FRAME;
	else if (rx->want > seen)
		rx->want -= (rx->want - seen) / 8;
	else
		rx->want = seen;
}

static int net_rx_complete(struct net_dev *dev, struct net_req *req, int res,
			   struct be_ctx *ctx)
{
	struct net_rx *rx = &dev->rx;
	struct vq_chain *c = &req->dreq.chain;
	uint32_t len = res;

	rx->reading = false;
	if (rx->stopping || res < 0) {
		if (res < 0 && res != -ECANCELED) {
			net_count(&dev->stats.rx_errors, 1);
			log_err("net: reading a frame: %s; reading again at the next kick",
				strerror(-res));
		}
		/* @req, the first, the worker finishes. */
		net_rx_give_back_ahead(rx, 1);
		req->dreq.used_len = 0;
		return 0;
	}
	if (len < NET_HDR_LEN + NET_ETH_HLEN || (len > c->in_len && !rx->mrg) ||
	    len >= rx->ahead_len + NET_STAGING)
		goto drop;
	iov_to_buf(c->iov, c->in_num, 0, &rx->hdr, NET_HDR_LEN);
	if (net_over_mtu(dev, &rx->hdr.hdr, len - NET_HDR_LEN) ||
	    net_hdr_from_fd(&rx->hdr, dev->negotiated))
		goto drop;
	net_rx_want(dev, len);
	if (len > rx->ahead_len)
		net_count(&dev->stats.rx_staged, 1);
	rx->len = len;
	rx->placed = 0;
	net_rx_place(rx, len);
	net_rx_fill(dev, ctx);
	return 1;
drop:
	net_count(&dev->stats.rx_dropped, 1);
	net_rx_read(dev, ctx);
	return 1;
}

static int net_start(void *opaque, struct dev_req *dreq, struct be_ctx *ctx)
{
	return net_tx_start(opaque, (struct net_req *)dreq, ctx);
}

static int net_complete(void *opaque, struct dev_req *dreq, int res, struct be_ctx *ctx)
{
	struct net_dev *dev = opaque;
	struct net_req *req = (struct net_req *)dreq;

	if (req->rx)
		return net_rx_complete(dev, req, res, ctx);
	if (res < 0) {
		net_count(&dev->stats.tx_errors, 1);
	} else {
		net_count(&dev->stats.tx_frames, 1);
		net_count(&dev->stats.tx_bytes, res - NET_HDR_LEN);
	}
	return 0;
}

static void net_queue_start(void *opaque, struct dev_queue *q, struct be_ctx *ctx)
{
	struct net_dev *dev = opaque;
	struct net_rx *rx = &dev->rx;

	dev->negotiated = q->features;
	if (q->index != NET_RX_QUEUE)
		return;
	rx->q = q;
	rx->mrg = net_has(q->features, VIRTIO_NET_F_MRG_RXBUF);
	rx->stopping = false;
	rx->reading = false;
	rx->nahead = 0;
	rx->ahead_len = 0;
	rx->ahead_iov = 0;
	rx->want = NET_HDR_LEN + NET_MAX_FRAME;
	rx->len = 0;
	rx->nbufs = 0;
	rx->nagain = 0;
	if (dev->be->ops->set_offload)
		dev->be->ops->set_offload(dev->be, net_offload(q->features));
}

static bool net_kick(void *opaque, struct dev_queue *q, struct be_ctx *ctx)
{
	struct net_dev *dev = opaque;

	if (q->index != NET_RX_QUEUE)
		return false;
	if (dev->rx.len)
		net_rx_fill(dev, ctx);
	else
		net_rx_arm(dev, ctx);
	return true;
}

static void net_queue_stop(void *opaque, struct dev_queue *q, struct be_ctx *ctx)
{
	struct net_dev *dev = opaque;
	struct net_rx *rx = &dev->rx;

	if (q->index != NET_RX_QUEUE)
		return;
	rx->stopping = true;
	while (rx->nagain)
		net_rx_give_back(rx, rx->again[--rx->nagain]);
	if (rx->reading) {
		/* The receive comes back cancelled, and its chains with it. */
		if (dev->be->ops->cancel)
			dev->be->ops->cancel(dev->be, ctx, (uintptr_t)&rx->ahead[0]->dreq);
		return;
	}
	if (rx->len)
		net_rx_drop(dev, false);
	/* Popped, but not read into: after a frame, or no read went out (no SQE). */
	net_rx_give_back_ahead(rx, 0);
}

static int net_resumed(void *opaque, struct dev_queue *q, struct dev_req *dreq,
		       struct be_ctx *ctx)
{
	struct net_rx *rx = &((struct net_dev *)opaque)->rx;

	if (q->index != NET_RX_QUEUE)
		return net_start(opaque, dreq, ctx);
	/* More than one frame's worth was never out at once: the rest go back empty. */
	if (rx->nagain == ARRAY_SIZE(rx->again)) {
		dreq->used_len = 0;
		return 0;
	}
	rx->again[rx->nagain++] = (struct net_req *)dreq;
	return 1;
}

static void net_req_init(void *opaque, struct dev_req *dreq)
{
	struct net_req *req = (struct net_req *)dreq;

	req->rx = false;
	dreq->chain.iov = req->iov + 1;
	dreq->chain.max_iov = NET_MAX_IOV;
}

int net_dev_init(struct net_dev *dev, struct be *be, const struct net_opts *opts)
{
	static const uint8_t zero[6];

	if (opts->mtu < NET_MTU_MIN || opts->mac[0] & 1 || !memcmp(opts->mac, zero, 6))
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->rx.staging = malloc(NET_STAGING);
	if (!dev->rx.staging)
		return -ENOMEM;
	dev->be = be;
	dev->mtu = opts->mtu;
	dev->features = NET_FEATURES;
	if (opts->packed)
		dev->features |= 1ULL << VIRTIO_F_RING_PACKED;
	memcpy(dev->config.mac, opts->mac, sizeof(dev->config.mac));
	dev->config.max_virtqueue_pairs = htole16(1);
	dev->config.mtu = htole16(opts->mtu);
	dev->config_size = offsetof(struct virtio_net_config, mtu) + sizeof(dev->config.mtu);
	return 0;
}

void net_dev_fini(struct net_dev *dev)
{
	free(dev->rx.staging);
	dev->rx.staging = NULL;
}

void net_dev_set_link(struct net_dev *dev, bool up, unsigned int *offset, unsigned int *len)
{
	dev->config.status = htole16(up ? VIRTIO_NET_S_LINK_UP : 0);
	*offset = offsetof(struct virtio_net_config, status);
	*len = sizeof(dev->config.status);
}

const struct dev_model net_model = {
	.req_size = sizeof(struct net_req),
	.req_init = net_req_init,
	.start = net_start,
	.complete = net_complete,
	.queue_start = net_queue_start,
	.kick = net_kick,
	.queue_stop = net_queue_stop,
	.resumed = net_resumed,
};
