/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-net device model (virtio 1.x spec, section 5.1): one queue pair
 * (VDUSE refuses VIRTIO_NET_F_CTRL_VQ, so there is no control queue to
 * configure more), frames moved between the driver's buffers and a net
 * backend (a tap) whose frames carry a 12-byte virtio-net header.
 *
 * TX (queue 1) is request-shaped: the worker pops a chain, the model hands
 * it to the backend as one frame, the chain goes back when it is sent. RX
 * (queue 0) is not: the model pops chains itself, only while a receive is
 * wanted. One receive is in flight at a time. With VIRTIO_NET_F_MRG_RXBUF
 * it reads into as many chains as the largest frame needs (those the driver
 * has made available, up to NET_RX_MAX_BUFS), followed by a staging buffer:
 * a frame lands in the driver's buffers directly, and the chains it leaves
 * unused wait for the next one. Only what overflows them is copied from the
 * staging buffer into chains popped later. Without it, a receive goes into
 * one chain, and staging catches what does not fit, to drop it.
 * With no buffer from the driver, nothing is received until the next kick.
 *
 * Taking over from a daemon that died (--reconnect), TX chains it had taken
 * are sent again (the peer may see a frame twice, as any network may show
 * it), and RX chains are buffers to receive into again, whatever was in them.
 */
#ifndef UVDPA_NET_H
#define UVDPA_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "backend/backend.h"
#include "worker/device.h"

#define NET_RX_QUEUE 0
#define NET_TX_QUEUE 1
#define NET_NR_QUEUES 2
/* The header of every frame, with VIRTIO_F_VERSION_1 (5.1.6). */
#define NET_HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* Largest frame without the header: an IP packet of 64 KiB, Ethernet and VLAN headers. */
#define NET_MAX_FRAME (65535 + 14 + 4)
/* Chains one received frame may spread over. */
#define NET_RX_MAX_BUFS 64
/* iovecs of one receive: the chains read into, then the staging buffer (UIO_MAXIOV). */
#define NET_RX_IOV 1024

struct net_opts {
	uint8_t mac[6];
	uint16_t mtu;
	bool packed;		/* offer VIRTIO_F_RING_PACKED */
};

struct net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_malformed;	/* chains dropped: short, header only, oversize, bad header */
	uint64_t tx_errors;	/* frames the backend refused (e.g. the tap is down) */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_dropped;	/* frames that fit no buffer the driver gave, or over the MTU */
	uint64_t rx_bad_buffers; /* RX chains unusable (device-readable, too short) */
	uint64_t rx_errors;	/* failed reads */
	uint64_t rx_staged;	/* frames longer than the chains read into: partly copied */
};

struct net_req;

/* The RX queue's state, on the worker's thread. */
struct net_rx {
	struct dev_queue *q;	/* while it runs */
	bool mrg;		/* VIRTIO_NET_F_MRG_RXBUF negotiated */
	bool stopping;
	bool reading;		/* a receive is in flight into ahead[] */
	/* Chains popped for the next receive, in order: the frame starts in the first. */
	struct net_req *ahead[NET_RX_MAX_BUFS];
	unsigned int nahead;
	uint64_t ahead_len;	/* their device-writable bytes: a chain's may pass 4 GiB */
	/*
	 * Bytes to pop ahead for: the longest frame on a miss, decaying
	 * towards the frames seen, down to one frame of the MTU.
	 */
	uint32_t want;
	unsigned int ahead_iov;	/* and iovecs */
	struct iovec iov[NET_RX_IOV];	/* the receive's */
	uint32_t len;		/* frame being placed, with its header; 0: none */
	uint32_t in_ahead;	/* of which the bytes the receive put in chains */
	uint32_t placed;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct net_req *bufs[NET_RX_MAX_BUFS];
	unsigned int nbufs;
	uint8_t *staging;
	/* Chains a daemon that died had taken (--reconnect): filled before the ring's. */
	struct net_req *again[NET_RX_MAX_BUFS + 1];
	unsigned int nagain;
};

struct net_dev {
	struct be *be;		/* frames with a 12-byte vnet header; offloads follow the driver */
	uint64_t features;	/* offered */
	uint64_t negotiated;
	uint16_t mtu;
	struct virtio_net_config config;	/* little-endian, as the driver reads it */
	unsigned int config_size;
	struct net_rx rx;
	struct net_stats stats;
};

/*
 * Offer features and fill the config space for the net backend @be: 0,
 * -EINVAL for a bad MTU or MAC (multicast, zero), -ENOMEM.
 */
int net_dev_init(struct net_dev *dev, struct be *be, const struct net_opts *opts);
void net_dev_fini(struct net_dev *dev);
/*
 * Set VIRTIO_NET_S_LINK_UP in the config space; the caller hands the
 * changed bytes (offset, length) to the transport and raises a config
 * interrupt.
 */
void net_dev_set_link(struct net_dev *dev, bool up, unsigned int *offset, unsigned int *len);

/*
 * Header mapping between the driver and the backend, in place: 0, or
 * -EINVAL for a header the negotiated @features do not allow (dropped,
 * never passed on). to_fd: a TX header becomes the backend's (host-endian,
 * num_buffers cleared). from_fd: an RX header from the backend becomes the
 * driver's, checksum flags cleared without GUEST_CSUM; num_buffers is the
 * caller's.
 */
int net_hdr_to_fd(struct virtio_net_hdr_mrg_rxbuf *h, uint64_t features);
int net_hdr_from_fd(struct virtio_net_hdr_mrg_rxbuf *h, uint64_t features);

/* The dev_model of virtio-net; its "dev" argument is a struct net_dev. */
extern const struct dev_model net_model;

#endif
