// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-net device model (virtio 1.x, section 5.1); see net.h for the
 * shape of TX and RX. The driver's header and the fd's vnet header have the
 * same layout; the model checks every header against the negotiated
 * features before it passes one on, in either direction.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "backend/backend.h"
#include "util/log.h"
#include "dev/net.h"

/* iovecs per chain: virtio_net's longest (MAX_SKB_FRAGS + 2), each split in two. */
#define NET_MAX_IOV 64
/* What a read may bring beyond the first chain. */
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
	/* TX: the header as the fd takes it. */
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

/*
 * Copy @len bytes between @buf and the iovecs, starting @off bytes into
 * them: into the iovecs if @to_iov. Returns the bytes copied.
 */
static size_t net_iov_copy(const struct iovec *iov, unsigned int cnt, size_t off,
			   void *buf, size_t len, bool to_iov)
{
	size_t done = 0, n;
	unsigned int i;

	for (i = 0; i < cnt && done < len; i++) {
		uint8_t *base = iov[i].iov_base;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - off;
		if (n > len - done)
			n = len - done;
		if (to_iov)
			memcpy(base + off, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, base + off, n);
		done += n;
		off = 0;
	}
	return done;
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

/* Drop a TX chain the driver should not have made: counted, never passed on. */
static int net_tx_malformed(struct net_dev *dev)
{
	dev->stats.tx_malformed++;
	return 0;
}

static int net_tx_start(struct net_dev *dev, struct net_req *req, struct io_uring *ring)
{
	struct vq_chain *c = &req->dreq.chain;
	struct iovec *iov = c->iov;
	unsigned int skip = 0;
	size_t left = NET_HDR_LEN;
	uint64_t frame;
	struct io_uring_sqe *sqe;

	req->dreq.used_len = 0;
	if (c->in_num || c->out_len < NET_HDR_LEN + NET_ETH_HLEN)
		return net_tx_malformed(dev);
	frame = c->out_len - NET_HDR_LEN;
	net_iov_copy(iov, c->out_num, 0, &req->hdr, NET_HDR_LEN, false);
	if (frame > NET_MAX_FRAME || net_hdr_to_fd(&req->hdr, dev->negotiated))
		return net_tx_malformed(dev);
	if (req->hdr.hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    frame > dev->mtu + NET_ETH_HLEN + NET_VLAN_HLEN)
		return net_tx_malformed(dev);

	/* Trim the header off the chain and put the copy in its place. */
	while (left) {
		if (iov[skip].iov_len <= left) {
			left -= iov[skip++].iov_len;
			continue;
		}
		iov[skip].iov_base = (uint8_t *)iov[skip].iov_base + left;
		iov[skip].iov_len -= left;
		left = 0;
	}
	req->iov[skip] = (struct iovec){ .iov_base = &req->hdr, .iov_len = NET_HDR_LEN };
	sqe = be_get_sqe(ring);
	if (!sqe) {
		dev->stats.tx_errors++;
		return 0;
	}
	io_uring_prep_writev(sqe, dev->fd, &req->iov[skip], c->out_num - skip + 1, 0);
	io_uring_sqe_set_data(sqe, &req->dreq);
	return 1;
}

static void net_rx_read(struct net_dev *dev, struct io_uring *ring)
{
	struct net_rx *rx = &dev->rx;
	struct vq_chain *c = &rx->head->dreq.chain;
	struct io_uring_sqe *sqe = be_get_sqe(ring);

	if (!sqe)
		return;
	c->iov[c->in_num] = (struct iovec){ .iov_base = rx->staging, .iov_len = NET_STAGING };
	io_uring_prep_readv(sqe, dev->fd, c->iov, c->in_num + 1, 0);
	io_uring_sqe_set_data(sqe, &rx->head->dreq);
	rx->reading = true;
}

static void net_rx_give_back(struct net_rx *rx, struct net_req *req)
{
	req->dreq.used_len = 0;
	rx->q->push(rx->q, &req->dreq);
}

/* Find a chain to read the next frame into, and read, unless one is under way. */
static void net_rx_arm(struct net_dev *dev, struct io_uring *ring)
{
	struct net_rx *rx = &dev->rx;
	struct dev_req *dreq;

	while (!rx->head) {
		if (rx->stopping || rx->q->pop(rx->q, &dreq) <= 0)
			return;
		/* Device-writable only, with room for the header (5.1.6.3.1). */
		if (dreq->chain.out_num || dreq->chain.in_len < NET_HDR_LEN) {
			dev->stats.rx_bad_buffers++;
			net_rx_give_back(rx, (struct net_req *)dreq);
			continue;
		}
		rx->head = (struct net_req *)dreq;
		rx->head->rx = true;
	}
	if (!rx->reading && !rx->len)
		net_rx_read(dev, ring);
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
	if (!keep_head && !rx->nbufs && rx->head)
		net_rx_give_back(rx, rx->head);
	if (!keep_head)
		rx->head = NULL;
	rx->nbufs = 0;
	rx->len = 0;
	dev->stats.rx_dropped++;
}

/* Spread the rest of the frame over more chains, then hand them all over. */
static void net_rx_fill(struct net_dev *dev, struct io_uring *ring)
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
		ret = rx->q->pop(rx->q, &dreq);
		if (ret < 0)
			net_rx_drop(dev, false);
		/* No buffer: the frame waits in the staging buffer for the driver's kick. */
		if (ret <= 0)
			return;
		c = &dreq->chain;
		if (c->out_num || !c->in_len) {
			dev->stats.rx_bad_buffers++;
			net_rx_give_back(rx, (struct net_req *)dreq);
			continue;
		}
		dreq->used_len = net_iov_copy(c->iov, c->in_num, 0,
					      rx->staging + (rx->placed - rx->in_head),
					      rx->len - rx->placed, true);
		rx->placed += dreq->used_len;
		rx->bufs[rx->nbufs++] = (struct net_req *)dreq;
	}
	/* The driver takes num_buffers used elements in a row, the first one first. */
	rx->hdr.num_buffers = htole16(rx->nbufs);
	c = &rx->head->dreq.chain;
	net_iov_copy(c->iov, c->in_num, 0, &rx->hdr, NET_HDR_LEN, true);
	for (i = 0; i < rx->nbufs; i++)
		rx->q->push(rx->q, &rx->bufs[i]->dreq);
	dev->stats.rx_frames++;
	dev->stats.rx_bytes += rx->len - NET_HDR_LEN;
	rx->head = NULL;
	rx->nbufs = 0;
	rx->len = 0;
next:
	net_rx_arm(dev, ring);
}

static int net_rx_complete(struct net_dev *dev, struct net_req *req, int res,
			   struct io_uring *ring)
{
	struct net_rx *rx = &dev->rx;
	struct vq_chain *c = &req->dreq.chain;
	uint32_t len = res;

	rx->reading = false;
	if (rx->stopping || res < 0) {
		if (res < 0 && res != -ECANCELED) {
			dev->stats.rx_errors++;
			log_err("net: reading a frame: %s; reading again at the next kick",
				strerror(-res));
		}
		rx->head = NULL;
		req->dreq.used_len = 0;
		return 0;
	}
	if (len < NET_HDR_LEN + NET_ETH_HLEN || (len > c->in_len && !rx->mrg) ||
	    len >= c->in_len + NET_STAGING)
		goto drop;
	net_iov_copy(c->iov, c->in_num, 0, &rx->hdr, NET_HDR_LEN, false);
	if (net_hdr_from_fd(&rx->hdr, dev->negotiated))
		goto drop;
	rx->len = len;
	rx->in_head = len < c->in_len ? len : c->in_len;
	rx->placed = rx->in_head;
	req->dreq.used_len = rx->in_head;
	rx->bufs[0] = req;
	rx->nbufs = 1;
	net_rx_fill(dev, ring);
	return 1;
drop:
	dev->stats.rx_dropped++;
	net_rx_read(dev, ring);
	return 1;
}

static int net_start(void *opaque, struct dev_req *dreq, struct io_uring *ring)
{
	return net_tx_start(opaque, (struct net_req *)dreq, ring);
}

static int net_complete(void *opaque, struct dev_req *dreq, int res, struct io_uring *ring)
{
	struct net_dev *dev = opaque;
	struct net_req *req = (struct net_req *)dreq;

	if (req->rx)
		return net_rx_complete(dev, req, res, ring);
	if (res < 0) {
		dev->stats.tx_errors++;
	} else {
		dev->stats.tx_frames++;
		dev->stats.tx_bytes += res - NET_HDR_LEN;
	}
	return 0;
}

static void net_queue_start(void *opaque, struct dev_queue *q, struct io_uring *ring)
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
	rx->head = NULL;
	rx->len = 0;
	rx->nbufs = 0;
	if (dev->tap)
		be_tap_set_offload(dev->tap, q->features);
}

static bool net_kick(void *opaque, struct dev_queue *q, struct io_uring *ring)
{
	struct net_dev *dev = opaque;

	if (q->index != NET_RX_QUEUE)
		return false;
	if (dev->rx.len)
		net_rx_fill(dev, ring);
	else
		net_rx_arm(dev, ring);
	return true;
}

static void net_queue_stop(void *opaque, struct dev_queue *q, struct io_uring *ring)
{
	struct net_dev *dev = opaque;
	struct net_rx *rx = &dev->rx;
	struct io_uring_sqe *sqe;

	if (q->index != NET_RX_QUEUE)
		return;
	rx->stopping = true;
	if (rx->reading) {
		/* The read comes back cancelled, and its chain with it. */
		sqe = be_get_sqe(ring);
		if (sqe) {
			io_uring_prep_cancel64(sqe, (uintptr_t)&rx->head->dreq, 0);
			io_uring_sqe_set_data64(sqe, 0);
		}
	} else if (rx->len) {
		net_rx_drop(dev, false);
	} else if (rx->head) {
		/* Popped, but no read went out for it (no SQE). */
		net_rx_give_back(rx, rx->head);
		rx->head = NULL;
	}
}

static void net_req_init(void *opaque, struct dev_req *dreq)
{
	struct net_req *req = (struct net_req *)dreq;

	req->rx = false;
	dreq->chain.iov = req->iov + 1;
	dreq->chain.max_iov = NET_MAX_IOV;
}

int net_dev_init(struct net_dev *dev, int fd, struct be_tap *tap, const struct net_opts *opts)
{
	static const uint8_t zero[6];

	if (opts->mtu < NET_MTU_MIN || opts->mac[0] & 1 || !memcmp(opts->mac, zero, 6))
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->rx.staging = malloc(NET_STAGING);
	if (!dev->rx.staging)
		return -ENOMEM;
	dev->fd = fd;
	dev->tap = tap;
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
	.name = "net",
	.req_size = sizeof(struct net_req),
	.max_iov = NET_MAX_IOV,
	.req_init = net_req_init,
	.start = net_start,
	.complete = net_complete,
	.queue_start = net_queue_start,
	.kick = net_kick,
	.queue_stop = net_queue_stop,
};
