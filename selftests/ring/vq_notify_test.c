// SPDX-License-Identifier: GPL-2.0
/*
 * Notification suppression both ways: used buffer notifications the driver
 * asks for (flags, used_event, driver event suppression) and available
 * buffer notifications the device asks for, re-checked on enable.
 */
#include "ring_fixture.h"

static const uint32_t len8 = 8;

static void one(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self)
{
	ring_submit(_metadata, self, 0, 1, &len8, false);
	drv_kick(&self->d);
	ring_serve(_metadata, self, true);
}

TEST_F(ring, interrupt_when_enabled)
{
	drv_set_cb(&self->d, true);
	EXPECT_FALSE(vq_need_interrupt(&self->vq));
	one(_metadata, self);
	EXPECT_TRUE(vq_need_interrupt(&self->vq));
	/* Nothing new since: no second interrupt. */
	EXPECT_FALSE(vq_need_interrupt(&self->vq));
	EXPECT_EQ(1, ring_reap(_metadata, self));
}

TEST_F(ring, no_interrupt_when_disabled)
{
	int i;

	drv_set_cb(&self->d, false);
	for (i = 0; i < 3 * variant->num; i++) {
		one(_metadata, self);
		ASSERT_FALSE(vq_need_interrupt(&self->vq));
		ASSERT_EQ(1, ring_reap(_metadata, self));
	}
	drv_set_cb(&self->d, true);
	one(_metadata, self);
	EXPECT_TRUE(vq_need_interrupt(&self->vq));
}

/*
 * EVENT_IDX: the interrupt comes when the used index passes the driver's
 * event, set two buffers ahead across the wrap of the ring.
 */
TEST_F(ring, interrupt_at_used_event)
{
	uint16_t ev;
	bool wrap;
	int i;

	if (!variant->event_idx)
		SKIP(return, "needs EVENT_IDX");
	for (i = 0; i < variant->num - 1; i++) {
		one(_metadata, self);
		vq_publish(&self->vq);
		ASSERT_EQ(1, ring_reap(_metadata, self));
	}
	vq_need_interrupt(&self->vq);
	if (variant->packed) {
		ev = (self->d.last_used + 2) % variant->num;
		wrap = self->d.used_wrap ^ (ev < self->d.last_used);
	} else {
		ev = self->d.last_used + 2;
		wrap = false;
	}
	drv_set_used_event(&self->d, ev, wrap);
	one(_metadata, self);
	EXPECT_FALSE(vq_need_interrupt(&self->vq));
	one(_metadata, self);
	EXPECT_FALSE(vq_need_interrupt(&self->vq));
	one(_metadata, self);
	EXPECT_TRUE(vq_need_interrupt(&self->vq));
	one(_metadata, self);
	EXPECT_FALSE(vq_need_interrupt(&self->vq));
}

/* Several used buffers published at once cross the event together. */
TEST_F(ring, interrupt_for_batch)
{
	int i;

	if (!variant->event_idx)
		SKIP(return, "needs EVENT_IDX");
	drv_set_used_event(&self->d, 3, self->d.used_wrap);
	for (i = 0; i < 6; i++)
		one(_metadata, self);
	EXPECT_TRUE(vq_need_interrupt(&self->vq));
	EXPECT_EQ(6, ring_reap(_metadata, self));
}

TEST_F(ring, kicks_suppressed)
{
	const uint32_t len = 8;

	vq_disable_notify(&self->vq);
	ring_submit(_metadata, self, 1, 0, &len, false);
	drv_kick(&self->d);
	ring_submit(_metadata, self, 1, 0, &len, false);
	EXPECT_FALSE(drv_kick(&self->d));
	ring_submit(_metadata, self, 1, 0, &len, false);
	EXPECT_FALSE(drv_kick(&self->d));
	/* The re-check on enable finds what arrived while suppressed. */
	EXPECT_EQ(1, vq_enable_notify(&self->vq));
	ring_serve(_metadata, self, true);
	ring_serve(_metadata, self, true);
	ring_serve(_metadata, self, true);
	EXPECT_EQ(0, vq_pop(&self->vq, &self->c));
	ring_submit(_metadata, self, 1, 0, &len, false);
	EXPECT_TRUE(drv_kick(&self->d));
}

TEST_F(ring, enable_with_nothing_pending)
{
	vq_disable_notify(&self->vq);
	EXPECT_EQ(0, vq_enable_notify(&self->vq));
	ring_submit(_metadata, self, 1, 0, &len8, false);
	EXPECT_TRUE(drv_kick(&self->d));
}

/*
 * With EVENT_IDX and kicks enabled, finding the ring empty arms the event:
 * the driver kicks for the next buffer and not for the ones after it until
 * the device looks again.
 */
TEST_F(ring, empty_pop_arms_event)
{
	int i;

	for (i = 0; i < 2 * variant->num + 3; i++) {
		ring_submit(_metadata, self, 1, 0, &len8, false);
		ASSERT_TRUE(drv_kick(&self->d));
		ring_submit(_metadata, self, 1, 0, &len8, false);
		ASSERT_EQ(!variant->event_idx, drv_kick(&self->d));
		ring_serve(_metadata, self, true);
		ring_serve(_metadata, self, true);
		ASSERT_EQ(0, vq_pop(&self->vq, &self->c));
		vq_publish(&self->vq);
		ASSERT_EQ(2, ring_reap(_metadata, self));
	}
}

TEST_HARNESS_MAIN
