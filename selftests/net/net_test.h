/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the net model tests share: the model behind two real rings (RX and
 * TX, driven from the spec's driver side), a real io_uring, and the tap
 * backend's ops on a SOCK_SEQPACKET socket pair standing in for the tap,
 * since it keeps frame boundaries the way a tap does (no offloads to set). The queues are driven the way the worker
 * drives them: queue_start, kick, start/complete per CQE, pop/push through
 * struct dev_queue.
 */
#ifndef UVDPA_NET_TEST_H
#define UVDPA_NET_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <sys/socket.h>
#include <unistd.h>
#include <liburing.h>

#include "dev/net.h"
#include "../ring/ring_driver.h"

#define T_DATA (512 * 1024)
#define T_FEATURES (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM | \
		    1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_NET_F_CSUM | \
		    1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 | \
		    1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_TSO4 | \
		    1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_RING_F_EVENT_IDX | \
		    1ULL << VIRTIO_RING_F_INDIRECT_DESC)

struct t_queue {
	struct dev_queue dq;	/* first: the model's handle */
	struct drv d;
	struct vq vq;
	char *slots;
	struct dev_req **free;
	unsigned int nr_free;
	unsigned int inflight;
	unsigned int pushed;
	uint64_t data_next;	/* bump allocator in the driver's data area */
	uint64_t iova_of[256];	/* by buffer ID: where its first segment is */
};

struct t_net {
	struct t_queue q[NET_NR_QUEUES];
	struct net_dev dev;
	struct be_ops ops;
	struct be be;
	struct io_uring ring;
	struct be_ctx ctx;
	int sock[2];		/* sock[0]: the device's fd; sock[1]: the host's end */
	bool started;
};

static inline int t_pop(struct dev_queue *dq, struct dev_req **req)
{
	struct t_queue *q = (struct t_queue *)dq;
	int ret;

	if (!q->nr_free)
		return 0;
	ret = vq_pop(&q->vq, &q->free[q->nr_free - 1]->chain);
	if (ret <= 0)
		return ret;
	*req = q->free[--q->nr_free];
	(*req)->owner = q;
	q->inflight++;
	return 1;
}

static inline void t_push(struct dev_queue *dq, struct dev_req *req)
{
	struct t_queue *q = (struct t_queue *)dq;

	vq_push(&q->vq, req->chain.token, req->used_len);
	vq_publish(&q->vq);
	q->free[q->nr_free++] = req;
	q->inflight--;
	q->pushed++;
}

/* A device on a socket pair, queues of @num entries, started with @features. */
static inline int t_open(struct t_net *t, uint64_t features, uint16_t num, uint16_t mtu)
{
	struct net_opts o = { .mac = { 2, 0, 0, 0, 0, 1 }, .mtu = mtu };
	unsigned int i, j;
	int ret;

	memset(t, 0, sizeof(*t));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->sock))
		return -errno;
	ret = io_uring_queue_init(64, &t->ring, 0);
	if (ret)
		return ret;
	t->ctx = (struct be_ctx){ .ring = &t->ring };
	t->ops = be_tap_ops;
	t->ops.set_offload = NULL;
	t->be = (struct be){ .ops = &t->ops, .fd = t->sock[0] };
	ret = net_dev_init(&t->dev, &t->be, &o);
	if (ret)
		return ret;
	for (i = 0; i < NET_NR_QUEUES; i++) {
		struct t_queue *q = &t->q[i];

		ret = drv_init(&q->d, num, features, T_DATA);
		if (!ret)
			ret = vq_init(&q->vq, &q->d.cfg, &q->d.xlate);
		if (ret)
			return ret;
		q->slots = calloc(num, net_model.req_size);
		q->free = calloc(num, sizeof(*q->free));
		if (!q->slots || !q->free)
			return -ENOMEM;
		for (j = 0; j < num; j++) {
			q->free[j] = (struct dev_req *)(q->slots + j * net_model.req_size);
			net_model.req_init(&t->dev, q->free[j]);
		}
		q->nr_free = num;
		q->dq = (struct dev_queue){ .index = i, .num = num, .features = features,
					    .pop = t_pop, .push = t_push };
		q->data_next = q->d.data_iova;
	}
	for (i = 0; i < NET_NR_QUEUES; i++)
		net_model.queue_start(&t->dev, &t->q[i].dq, &t->ctx);
	t->started = true;
	return 0;
}

static inline void t_close(struct t_net *t)
{
	unsigned int i;

	for (i = 0; i < NET_NR_QUEUES; i++) {
		vq_fini(&t->q[i].vq);
		drv_fini(&t->q[i].d);
		free(t->q[i].slots);
		free(t->q[i].free);
	}
	net_dev_fini(&t->dev);
	if (t->started)
		io_uring_queue_exit(&t->ring);
	close(t->sock[0]);
	close(t->sock[1]);
}

/* Driver memory for @len bytes: its IOVA. */
static inline uint64_t t_alloc(struct t_queue *q, uint32_t len)
{
	uint64_t iova = q->data_next;

	q->data_next = drv_align(q->data_next + len, 64);
	return iova;
}

/* The worker's kick: the model serves RX itself, TX is popped and started here. */
static inline void t_kick(struct t_net *t, unsigned int qi)
{
	struct t_queue *q = &t->q[qi];
	struct dev_req *req;

	drv_kick(&q->d);
	if (net_model.kick(&t->dev, &q->dq, &t->ctx))
		return;
	while (t_pop(&q->dq, &req) > 0)
		if (net_model.start(&t->dev, req, &t->ctx) == 0)
			t_push(&q->dq, req);
}

/*
 * Submit, then handle the completions that come within a deadline (the
 * operations under test are local and finish at once): the number handled.
 */
static inline int t_step(struct t_net *t)
{
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	ret = io_uring_submit_and_wait_timeout(&t->ring, &cqe, 1, &ts, NULL);
	if (ret < 0)
		return ret;
	io_uring_for_each_cqe(&t->ring, head, cqe) {
		struct dev_req *req = (struct dev_req *)(uintptr_t)cqe->user_data;

		n++;
		if (req && net_model.complete(&t->dev, req, cqe->res, &t->ctx) == 0)
			t_push(req->owner, req);
	}
	io_uring_cq_advance(&t->ring, n);
	io_uring_submit(&t->ring);
	return n;
}

/* Give the RX queue @n buffers of @len bytes: the head of the first. */
static inline int t_rx_buffers(struct t_net *t, unsigned int n, uint32_t len)
{
	struct t_queue *q = &t->q[NET_RX_QUEUE];
	int head = -1, h;

	while (n--) {
		struct drv_seg s = { t_alloc(q, len), len, true };

		h = drv_add(&q->d, &s, 1, false);
		if (h < 0)
			return h;
		q->iova_of[h] = s.iova;
		if (head < 0)
			head = h;
	}
	return head;
}

/* The next used RX buffer: its length and where it is, or -1 if none. */
static inline int t_rx_used(struct t_net *t, uint8_t **buf)
{
	struct t_queue *q = &t->q[NET_RX_QUEUE];
	uint32_t len;
	uint16_t id;

	*buf = NULL;
	if (drv_get_used(&q->d, &id, &len) != 1)
		return -1;
	*buf = drv_ptr(&q->d, q->iova_of[id]);
	return len;
}

static inline void t_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

#endif
