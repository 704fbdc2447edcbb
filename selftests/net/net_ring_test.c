// SPDX-License-Identifier: GPL-2.0
/*
 * Frames through the model behind real rings: TX chains written to the fd
 * with the header as the tap takes it, malformed TX chains dropped and
 * counted, RX frames placed in the driver's buffers and spread over several
 * with VIRTIO_NET_F_MRG_RXBUF, and the fd left alone while the driver gives
 * no buffers.
 */
#include "kselftest_harness.h"
#include "net_test.h"

#define MTU 1500
#define QSIZE 64
#define BUF 1536

FIXTURE(net) {
	struct t_net t;
	uint8_t frame[NET_HDR_LEN + 70000];
	uint8_t got[NET_HDR_LEN + 70000];
};

FIXTURE_VARIANT(net) {
	bool packed;
};

FIXTURE_VARIANT_ADD(net, split) {
	.packed = false,
};

FIXTURE_VARIANT_ADD(net, packed) {
	.packed = true,
};

static uint64_t features(const FIXTURE_VARIANT(net) *variant)
{
	return T_FEATURES | (variant->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
}

FIXTURE_SETUP(net)
{
	ASSERT_EQ(0, t_open(&self->t, features(variant), QSIZE, MTU));
}

FIXTURE_TEARDOWN(net)
{
	t_close(&self->t);
}

/* A frame of @len bytes after a header with @flags and @gso. */
static void make_frame(uint8_t *f, size_t len, uint8_t flags, uint8_t gso, unsigned int seed)
{
	struct virtio_net_hdr_mrg_rxbuf *h = (void *)f;

	memset(h, 0, sizeof(*h));
	h->hdr.flags = flags;
	h->hdr.gso_type = gso;
	t_pattern(f + NET_HDR_LEN, len, seed);
}

/*
 * Put @total bytes of @src on the TX ring cut at @cuts (ascending offsets),
 * with one device-writable byte at the end if @writable; kick and run.
 */
static int tx(FIXTURE_DATA(net) *self, const uint8_t *src, size_t total,
	      const size_t *cuts, unsigned int ncuts, bool writable)
{
	struct t_queue *q = &self->t.q[NET_TX_QUEUE];
	struct drv_seg s[DRV_MAX_SEG];
	unsigned int n = 0, i;
	size_t at = 0, end;
	uint64_t iova;

	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : total;
		iova = t_alloc(q, end - at);
		memcpy(drv_ptr(&q->d, iova), src + at, end - at);
		s[n++] = (struct drv_seg){ iova, end - at, false };
		at = end;
	}
	if (writable)
		s[n++] = (struct drv_seg){ t_alloc(q, 1), 1, true };
	if (drv_add(&q->d, s, n, false) < 0)
		return -ENOSPC;
	t_kick(&self->t, NET_TX_QUEUE);
	/* A write in flight completes at once on a socket with room. */
	while (q->inflight)
		if (t_step(&self->t) <= 0)
			return -ETIME;
	return 0;
}

/* Two TX frames outside the driver's memory, whole and in the second descriptor. */
static int tx_outside_memory(FIXTURE_DATA(net) *self)
{
	struct t_queue *q = &self->t.q[NET_TX_QUEUE];
	struct drv_seg s[2] = { { 0x1000, NET_HDR_LEN + 100, false } };

	make_frame(self->frame, 100, 0, 0, 3);
	if (drv_add(&q->d, s, 1, false) < 0)
		return -ENOSPC;
	s[0] = (struct drv_seg){ t_alloc(q, NET_HDR_LEN), NET_HDR_LEN, false };
	memcpy(drv_ptr(&q->d, s[0].iova), self->frame, NET_HDR_LEN);
	s[1] = (struct drv_seg){ DRV_IOVA_BASE + q->d.size - 50, 100, false };
	if (drv_add(&q->d, s, 2, false) < 0)
		return -ENOSPC;
	t_kick(&self->t, NET_TX_QUEUE);
	while (q->inflight)
		if (t_step(&self->t) <= 0)
			return -ETIME;
	return vq_error(&q->vq);
}

static ssize_t host_recv(FIXTURE_DATA(net) *self)
{
	return recv(self->t.sock[1], self->got, sizeof(self->got), MSG_DONTWAIT);
}

static void drain_tx_used(FIXTURE_DATA(net) *self)
{
	uint16_t id;
	uint32_t len;

	while (drv_get_used(&self->t.q[NET_TX_QUEUE].d, &id, &len) == 1)
		;
}

TEST_F(net, tx_frame_reaches_the_fd_whole)
{
	/* The header straddles two descriptors; the frame spans three. */
	const size_t cuts[] = { 5, 40, 700 };
	const size_t len = 1000;
	struct virtio_net_hdr_mrg_rxbuf *h = (void *)self->frame;
	uint16_t id;
	uint32_t used;

	make_frame(self->frame, len, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 1);
	h->hdr.csum_start = htole16(34);
	h->hdr.csum_offset = htole16(16);
	h->num_buffers = htole16(3);
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + len, cuts, 3, false));
	ASSERT_EQ(NET_HDR_LEN + len, host_recv(self));
	EXPECT_EQ(0, memcmp(self->got + NET_HDR_LEN, self->frame + NET_HDR_LEN, len));
	h = (void *)self->got;
	EXPECT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, h->hdr.flags);
	EXPECT_EQ(34, h->hdr.csum_start);
	EXPECT_EQ(16, h->hdr.csum_offset);
	EXPECT_EQ(0, h->num_buffers);
	/* The chain comes back with nothing written. */
	ASSERT_EQ(1, drv_get_used(&self->t.q[NET_TX_QUEUE].d, &id, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(1, self->t.dev.stats.tx_frames);
	EXPECT_EQ(len, self->t.dev.stats.tx_bytes);
	EXPECT_EQ(0, self->t.dev.stats.tx_malformed);
}

TEST_F(net, tx_gso_frame_larger_than_the_mtu)
{
	const size_t len = 20000;

	make_frame(self->frame, len, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 2);
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + len, NULL, 0, false));
	ASSERT_EQ(NET_HDR_LEN + len, host_recv(self));
	EXPECT_EQ(0, memcmp(self->got, self->frame, NET_HDR_LEN + len));
}

TEST_F(net, malformed_tx_chains_dropped_and_counted)
{
	struct net_stats *st = &self->t.dev.stats;
	const size_t cut[] = { 6 };

	make_frame(self->frame, 66000, 0, 0, 3);
	/* Short header. */
	ASSERT_EQ(0, tx(self, self->frame, 8, NULL, 0, false));
	/* Header only, in one descriptor and in two. */
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN, NULL, 0, false));
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN, cut, 1, false));
	/* Shorter than an Ethernet header. */
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + 13, NULL, 0, false));
	/* Oversize: beyond the MTU without GSO, beyond 64 KiB with it. */
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + MTU + 19, NULL, 0, false));
	make_frame(self->frame, 66000, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 3);
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + NET_MAX_FRAME + 1, NULL, 0, false));
	/* A device-writable descriptor in a TX chain. */
	make_frame(self->frame, 100, 0, 0, 3);
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + 100, NULL, 0, true));
	/* A header the features do not allow (UDP segmentation). */
	make_frame(self->frame, 100, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 3);
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + 100, NULL, 0, false));
	ASSERT_EQ(0, tx_outside_memory(self));

	EXPECT_EQ(10, st->tx_malformed);
	EXPECT_EQ(0, st->tx_frames);
	EXPECT_EQ(-1, host_recv(self));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(10, self->t.q[NET_TX_QUEUE].pushed);

	/* The queue still works: frames up to the MTU and its VLAN tag go. */
	drain_tx_used(self);
	make_frame(self->frame, MTU + 18, 0, 0, 4);
	ASSERT_EQ(0, tx(self, self->frame, NET_HDR_LEN + MTU + 18, NULL, 0, false));
	EXPECT_EQ(NET_HDR_LEN + MTU + 18, host_recv(self));
	EXPECT_EQ(1, st->tx_frames);
}

/*
 * The host sends @len bytes of frame after a header with @flags: 0 or -1.
 * A frame over the MTU goes as TCPv4 GSO, as a tap with TSO hands one over.
 */
static int host_send(FIXTURE_DATA(net) *self, size_t len, uint8_t flags, unsigned int seed)
{
	make_frame(self->frame, len, flags,
		   len > MTU + 18 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_NONE, seed);
	return send(self->t.sock[1], self->frame, NET_HDR_LEN + len, 0) ==
	       (ssize_t)(NET_HDR_LEN + len) ? 0 : -1;
}

/* Run until the RX queue has pushed @n more buffers. */
static int rx_wait(FIXTURE_DATA(net) *self, unsigned int n)
{
	unsigned int want = self->t.q[NET_RX_QUEUE].pushed + n;

	while (self->t.q[NET_RX_QUEUE].pushed < want)
		if (t_step(&self->t) <= 0)
			return -ETIME;
	return 0;
}

TEST_F(net, rx_frame_into_one_buffer)
{
	struct virtio_net_hdr_mrg_rxbuf *h;
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, 4, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, host_send(self, 100, VIRTIO_NET_HDR_F_DATA_VALID, 5));
	ASSERT_EQ(0, rx_wait(self, 1));
	ASSERT_EQ(NET_HDR_LEN + 100, t_rx_used(&self->t, &buf));
	h = (void *)buf;
	EXPECT_EQ(1, le16toh(h->num_buffers));
	EXPECT_EQ(VIRTIO_NET_HDR_F_DATA_VALID, h->hdr.flags);
	EXPECT_EQ(0, memcmp(buf + NET_HDR_LEN, self->frame + NET_HDR_LEN, 100));
	EXPECT_EQ(1, self->t.dev.stats.rx_frames);
	EXPECT_EQ(100, self->t.dev.stats.rx_bytes);
	/* The next read is armed on the next buffer. */
	EXPECT_TRUE(self->t.dev.rx.reading);
}

TEST_F(net, rx_large_frame_spreads_over_merged_buffers)
{
	const size_t len = 5000;
	uint8_t *buf, *all = self->got;
	size_t at = 0;
	int n, i;

	ASSERT_LE(0, t_rx_buffers(&self->t, 8, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, host_send(self, len, 0, 6));
	ASSERT_EQ(0, rx_wait(self, 4));
	for (i = 0; i < 4; i++) {
		n = t_rx_used(&self->t, &buf);
		ASSERT_EQ(i < 3 ? BUF : NET_HDR_LEN + len - 3 * BUF, n);
		memcpy(all + at, buf, n);
		at += n;
	}
	EXPECT_EQ(-1, t_rx_used(&self->t, &buf));
	EXPECT_EQ(4, le16toh(((struct virtio_net_hdr_mrg_rxbuf *)all)->num_buffers));
	EXPECT_EQ(0, memcmp(all + NET_HDR_LEN, self->frame + NET_HDR_LEN, len));
	/* Read into the buffers themselves, none of it through the staging buffer. */
	EXPECT_EQ(0, self->t.dev.stats.rx_staged);
}

/* The buffers a frame leaves unused are read into by the next one. */
TEST_F(net, rx_buffers_left_over_take_the_next_frame)
{
	uint8_t *buf;
	int i;

	ASSERT_LE(0, t_rx_buffers(&self->t, 6, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, host_send(self, 4000, 0, 14));
	ASSERT_EQ(0, rx_wait(self, 3));
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, t_rx_used(&self->t, &buf));
	ASSERT_EQ(0, host_send(self, 3500, 0, 15));
	ASSERT_EQ(0, rx_wait(self, 3));
	ASSERT_EQ(BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(3, le16toh(((struct virtio_net_hdr_mrg_rxbuf *)buf)->num_buffers));
	EXPECT_EQ(0, memcmp(buf + NET_HDR_LEN, self->frame + NET_HDR_LEN, BUF - NET_HDR_LEN));
	ASSERT_EQ(BUF, t_rx_used(&self->t, &buf));
	ASSERT_EQ(NET_HDR_LEN + 3500 - 2 * BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, memcmp(buf, self->frame + 2 * BUF, NET_HDR_LEN + 3500 - 2 * BUF));
	EXPECT_EQ(2, self->t.dev.stats.rx_frames);
	EXPECT_EQ(0, self->t.dev.stats.rx_staged);
	/* All six used: nothing to read into until the driver gives more. */
	EXPECT_FALSE(self->t.dev.rx.reading);
	EXPECT_EQ(0, self->t.q[NET_RX_QUEUE].inflight);
}

/* After small frames, a read goes into a buffer or two, not into 64 KiB of them. */
TEST_F(net, rx_pops_ahead_for_the_frames_that_come)
{
	uint8_t *buf;
	int i;

	ASSERT_LE(0, t_rx_buffers(&self->t, 62, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	EXPECT_LT(40, self->t.dev.rx.nahead);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, host_send(self, 100, 0, i));
		ASSERT_EQ(0, rx_wait(self, 1));
		ASSERT_EQ(NET_HDR_LEN + 100, t_rx_used(&self->t, &buf));
	}
	EXPECT_GE(2, self->t.dev.rx.nahead);
	EXPECT_EQ(0, self->t.dev.stats.rx_staged);
	/* Longer than wanted, but it fit the buffers taken: wanted next, and no more. */
	ASSERT_LT(self->t.dev.rx.want, NET_HDR_LEN + 2000);
	ASSERT_EQ(0, host_send(self, 2000, 0, 17));
	ASSERT_EQ(0, rx_wait(self, 2));
	ASSERT_EQ(BUF, t_rx_used(&self->t, &buf));
	ASSERT_EQ(NET_HDR_LEN + 2000 - BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(NET_HDR_LEN + 2000, self->t.dev.rx.want);
	EXPECT_EQ(2, self->t.dev.rx.nahead);
	EXPECT_EQ(0, self->t.dev.stats.rx_staged);
	/* A long frame then comes partly through the staging buffer, and the next read is long. */
	ASSERT_EQ(0, host_send(self, 5000, 0, 16));
	ASSERT_EQ(0, rx_wait(self, 4));
	EXPECT_EQ(1, self->t.dev.stats.rx_staged);
	EXPECT_EQ(6, self->t.dev.rx.nahead);
}

/*
 * A buffer too short for a header is not read into: a frame may start in
 * any buffer the one before left over, and its header goes whole into it.
 */
TEST_F(net, rx_frame_never_starts_in_a_buffer_short_of_a_header)
{
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, 1, BUF));
	ASSERT_LE(0, t_rx_buffers(&self->t, 1, 8));
	ASSERT_LE(0, t_rx_buffers(&self->t, 1, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	EXPECT_EQ(1, self->t.dev.stats.rx_bad_buffers);
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	ASSERT_EQ(0, host_send(self, 100, 0, 18));
	ASSERT_EQ(0, rx_wait(self, 1));
	ASSERT_EQ(NET_HDR_LEN + 100, t_rx_used(&self->t, &buf));
	ASSERT_EQ(0, host_send(self, 200, 0, 19));
	ASSERT_EQ(0, rx_wait(self, 1));
	ASSERT_EQ(NET_HDR_LEN + 200, t_rx_used(&self->t, &buf));
	EXPECT_EQ(1, le16toh(((struct virtio_net_hdr_mrg_rxbuf *)buf)->num_buffers));
	EXPECT_EQ(0, memcmp(buf + NET_HDR_LEN, self->frame + NET_HDR_LEN, 200));
	EXPECT_EQ(2, self->t.dev.stats.rx_frames);
}

TEST_F(net, rx_waits_for_more_buffers_mid_frame)
{
	const size_t len = 5000;
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, 2, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, host_send(self, len, 0, 7));
	/* Two buffers taken, the rest of the frame waits: nothing used yet. */
	ASSERT_EQ(1, t_step(&self->t));
	EXPECT_EQ(-1, t_rx_used(&self->t, &buf));
	EXPECT_FALSE(self->t.dev.rx.reading);
	EXPECT_EQ(2, self->t.q[NET_RX_QUEUE].inflight);

	ASSERT_LE(0, t_rx_buffers(&self->t, 3, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(4, le16toh(((struct virtio_net_hdr_mrg_rxbuf *)buf)->num_buffers));
	EXPECT_EQ(BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(NET_HDR_LEN + len - 3 * BUF, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, memcmp(buf, self->frame + 3 * BUF, NET_HDR_LEN + len - 3 * BUF));
	/* What did not fit the two buffers read into came through the staging buffer. */
	EXPECT_EQ(1, self->t.dev.stats.rx_staged);
	/* The fifth buffer waits for the next frame. */
	EXPECT_TRUE(self->t.dev.rx.reading);
}

TEST_F(net, rx_reads_nothing_without_buffers)
{
	uint8_t *buf;

	t_kick(&self->t, NET_RX_QUEUE);
	EXPECT_FALSE(self->t.dev.rx.reading);
	ASSERT_EQ(0, host_send(self, 200, 0, 8));
	EXPECT_EQ(0, io_uring_submit(&self->t.ring));
	/* The frame stays with the host until the driver gives a buffer. */
	EXPECT_EQ(NET_HDR_LEN + 200, recv(self->t.sock[0], self->got, sizeof(self->got),
					   MSG_PEEK | MSG_DONTWAIT));
	ASSERT_LE(0, t_rx_buffers(&self->t, 1, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, rx_wait(self, 1));
	EXPECT_EQ(NET_HDR_LEN + 200, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, memcmp(buf + NET_HDR_LEN, self->frame + NET_HDR_LEN, 200));
	EXPECT_FALSE(self->t.dev.rx.reading);
}

TEST_F(net, rx_frame_too_large_for_the_ring_dropped)
{
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, QSIZE, 1000));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, host_send(self, 66000, 0, 9));
	/* The whole ring, 64 buffers of 1000 bytes, holds less: dropped, not stuck. */
	ASSERT_EQ(1, t_step(&self->t));
	EXPECT_EQ(1, self->t.dev.stats.rx_dropped);
	EXPECT_EQ(0, self->t.dev.stats.rx_frames);
	/* The chains after the first come back empty; the first is read into again. */
	EXPECT_EQ(QSIZE - 1, self->t.q[NET_RX_QUEUE].pushed);
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_TRUE(self->t.dev.rx.reading);
}

/* 5.1.6.3: a frame over the MTU without GSO never reaches the driver. */
TEST_F(net, rx_frame_over_the_mtu_dropped)
{
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, 2, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	make_frame(self->frame, MTU + 19, 0, VIRTIO_NET_HDR_GSO_NONE, 12);
	ASSERT_EQ(NET_HDR_LEN + MTU + 19, send(self->t.sock[1], self->frame,
					       NET_HDR_LEN + MTU + 19, 0));
	ASSERT_EQ(1, t_step(&self->t));
	EXPECT_EQ(1, self->t.dev.stats.rx_dropped);
	EXPECT_EQ(0, self->t.dev.stats.rx_frames);
	EXPECT_EQ(-1, t_rx_used(&self->t, &buf));
	/* Up to the MTU with a VLAN tag passes, into the same buffer. */
	ASSERT_EQ(0, host_send(self, MTU + 18, 0, 13));
	ASSERT_EQ(0, rx_wait(self, 1));
	EXPECT_EQ(NET_HDR_LEN + MTU + 18, t_rx_used(&self->t, &buf));
	EXPECT_EQ(1, self->t.dev.stats.rx_frames);
}

TEST_F(net, rx_bad_buffers_returned_empty)
{
	struct t_queue *q = &self->t.q[NET_RX_QUEUE];
	struct drv_seg ro = { t_alloc(q, BUF), BUF, false };
	struct drv_seg outside = { 0x1000, BUF, true };
	uint8_t *buf;

	/* Device-readable, too short for a header, outside memory, then a good one. */
	ASSERT_LE(0, drv_add(&q->d, &ro, 1, false));
	ASSERT_LE(0, t_rx_buffers(&self->t, 1, 8));
	ASSERT_LE(0, drv_add(&q->d, &outside, 1, false));
	ASSERT_LE(0, t_rx_buffers(&self->t, 1, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	EXPECT_EQ(3, self->t.dev.stats.rx_bad_buffers);
	ASSERT_EQ(0, host_send(self, 300, 0, 10));
	ASSERT_EQ(0, rx_wait(self, 1));
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_EQ(NET_HDR_LEN + 300, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, vq_error(&q->vq));
}

TEST(rx_without_mrg_drops_what_does_not_fit)
{
	struct t_net t;
	uint8_t frame[NET_HDR_LEN + 5000] = { 0 }, *buf;

	ASSERT_EQ(0, t_open(&t, T_FEATURES & ~(1ULL << VIRTIO_NET_F_MRG_RXBUF), QSIZE, MTU));
	ASSERT_LE(0, t_rx_buffers(&t, 2, BUF));
	t_kick(&t, NET_RX_QUEUE);
	/* GSO: what is too long for one buffer, not for the MTU. */
	((struct virtio_net_hdr_mrg_rxbuf *)frame)->hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	ASSERT_EQ(sizeof(frame), send(t.sock[1], frame, sizeof(frame), 0));
	ASSERT_EQ(1, t_step(&t));
	EXPECT_EQ(1, t.dev.stats.rx_dropped);
	EXPECT_EQ(0, t.q[NET_RX_QUEUE].pushed);
	/* The same buffer takes the next frame that fits. */
	ASSERT_EQ(NET_HDR_LEN + 100, send(t.sock[1], frame, NET_HDR_LEN + 100, 0));
	ASSERT_EQ(1, t_step(&t));
	ASSERT_EQ(NET_HDR_LEN + 100, t_rx_used(&t, &buf));
	EXPECT_EQ(1, le16toh(((struct virtio_net_hdr_mrg_rxbuf *)buf)->num_buffers));
	t_close(&t);
}

TEST_F(net, stop_cancels_the_read_and_returns_its_buffer)
{
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, 2, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_LE(0, io_uring_submit(&self->t.ring));
	ASSERT_TRUE(self->t.dev.rx.reading);
	net_model.queue_stop(&self->t.dev, &self->t.q[NET_RX_QUEUE].dq, &self->t.ctx);
	while (self->t.q[NET_RX_QUEUE].inflight)
		ASSERT_LT(0, t_step(&self->t));
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_FALSE(self->t.dev.rx.reading);
	/* Stopped: a kick pops nothing more. */
	t_kick(&self->t, NET_RX_QUEUE);
	EXPECT_EQ(0, self->t.q[NET_RX_QUEUE].inflight);
}

TEST_F(net, stop_mid_frame_returns_every_buffer)
{
	uint8_t *buf;

	ASSERT_LE(0, t_rx_buffers(&self->t, 2, BUF));
	t_kick(&self->t, NET_RX_QUEUE);
	ASSERT_EQ(0, host_send(self, 5000, 0, 11));
	ASSERT_EQ(1, t_step(&self->t));
	ASSERT_EQ(2, self->t.q[NET_RX_QUEUE].inflight);
	net_model.queue_stop(&self->t.dev, &self->t.q[NET_RX_QUEUE].dq, &self->t.ctx);
	EXPECT_EQ(0, self->t.q[NET_RX_QUEUE].inflight);
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_EQ(0, t_rx_used(&self->t, &buf));
	EXPECT_EQ(1, self->t.dev.stats.rx_dropped);
}

TEST_HARNESS_MAIN
