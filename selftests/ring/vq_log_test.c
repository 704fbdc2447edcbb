// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight log against a crash at every point between its stores: a
 * device pops and pushes chains while logging them, "dies" (its struct vq
 * is dropped), and a new engine on the same rings resumes from the log.
 * Every request must be answered exactly once.
 */
#include <stdlib.h>

#include "ring_fixture.h"
#include "ring/vq_log.h"

static const uint32_t lens[] = { 100, 300, 64 };

static int submit(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		  unsigned int nread, unsigned int nwrite, const uint32_t *l, bool indirect)
{
	int id = ring_submit(_metadata, self, nread, nwrite, l, indirect);

	drv_kick(&self->d);
	return id;
}

/* Pop the next chain as the worker does: engine first, then the log. */
static uint16_t pop_logged(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
			   struct vq_log_vq *v)
{
	struct vq_state st;

	ring_serve(_metadata, self, false);
	vq_get_state(&self->vq, &st);
	vq_log_pop(v, self->c.id, &st);
	return self->c.id;
}

/* Answer chain @id (@token from its pop), publish, and unmark it in the log. */
static void push_logged(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
			struct vq_log_vq *v, struct vq *vq, uint32_t token, uint16_t id,
			bool commit)
{
	struct vq_state st;

	ASSERT_EQ(0, vq_push(vq, token, self->reqs[id].in_len));
	vq_publish(vq);
	if (!commit)
		return;
	vq_get_state(vq, &st);
	vq_log_commit(v, &id, 1, &st);
}

static struct vq_log_vq *log_new(FIXTURE_DATA(ring) *self)
{
	struct vq_log_vq *v = calloc(1, sizeof(*v));
	struct vq_state st;

	if (v) {
		vq_get_state(&self->vq, &st);
		vq_log_reset(v, &self->d.cfg, &st);
	}
	return v;
}

/*
 * The new daemon: a fresh engine on the same rings, state from the log,
 * chains in flight popped again; answers each with its request's data.
 * Returns how many it popped again.
 */
static int resume(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		  struct vq_log_vq *v, struct vq *vq)
{
	struct vq_state st;
	int n, id, popped = 0;

	EXPECT_EQ(0, vq_init(vq, &self->d.cfg, &self->d.xlate));
	n = vq_log_recover(v, vq, &st);
	if (n < 0)
		return n;
	EXPECT_EQ(0, vq_set_state(vq, &st));
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1)) {
		EXPECT_EQ(1, vq_pop_id(vq, id, &self->c));
		EXPECT_EQ(self->reqs[id].in_len, dev_handle(&self->c, self->reqs[id].seq));
		popped++;
	}
	EXPECT_EQ(n, popped);
	return popped;
}

TEST_F(ring, resume_pops_chains_in_flight_again)
{
	struct vq_log_vq *v = log_new(self);
	uint16_t ids[4];
	struct vq vq2;
	int i, id;

	ASSERT_NE(NULL, v);
	for (i = 0; i < 4; i++)
		submit(_metadata, self, 1, 2, lens, i & 1);
	for (i = 0; i < 4; i++)
		ids[i] = pop_logged(_metadata, self, v);
	if (variant->packed) {
		/* Its used elements overwrite descriptors of chains in flight: refused. */
		ASSERT_EQ(-EOPNOTSUPP, resume(_metadata, self, v, &vq2));
		vq_fini(&vq2);
		free(v);
		return;
	}
	push_logged(_metadata, self, v, &self->vq, ids[1], ids[1], true);
	ASSERT_EQ(1, ring_reap(_metadata, self));

	/* The daemon dies here. */
	ASSERT_EQ(3, resume(_metadata, self, v, &vq2));
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1))
		push_logged(_metadata, self, v, &vq2, id, id, true);
	ASSERT_EQ(3, ring_reap(_metadata, self));
	EXPECT_EQ(-1, vq_log_next(v, 0));
	/* New requests flow; none of the old ones comes back. */
	id = submit(_metadata, self, 2, 1, lens, false);
	ASSERT_EQ(1, vq_pop(&vq2, &self->c));
	EXPECT_EQ(id, self->c.id);
	EXPECT_EQ(0, vq_pop(&vq2, &self->c));
	vq_fini(&vq2);
	free(v);
}

/* Published, not yet unmarked: done, never answered twice. */
TEST_F(ring, crash_between_publish_and_commit)
{
	struct vq_log_vq *v = log_new(self);
	uint16_t a, b;
	struct vq vq2;

	ASSERT_NE(NULL, v);
	submit(_metadata, self, 1, 1, lens, false);
	submit(_metadata, self, 1, 1, lens, false);
	a = pop_logged(_metadata, self, v);
	b = pop_logged(_metadata, self, v);
	if (variant->packed) {
		/* Still marked in flight: refused rather than risk answering twice. */
		push_logged(_metadata, self, v, &self->vq, self->c.token, b, false);
		EXPECT_EQ(-EOPNOTSUPP, resume(_metadata, self, v, &vq2));
		vq_fini(&vq2);
		free(v);
		return;
	}
	push_logged(_metadata, self, v, &self->vq, a, a, false);
	push_logged(_metadata, self, v, &self->vq, b, b, false);
	ASSERT_EQ(0, resume(_metadata, self, v, &vq2));
	ASSERT_EQ(2, ring_reap(_metadata, self));
	EXPECT_EQ(0, vq_pop(&vq2, &self->c));
	vq_fini(&vq2);
	free(v);
}

/* Marked in flight, avail position not yet moved: popped once, not twice. */
TEST_F(ring, crash_between_mark_and_avail_position)
{
	struct vq_log_vq *v = log_new(self);
	struct vq_state before;
	struct vq vq2;

	ASSERT_NE(NULL, v);
	submit(_metadata, self, 1, 1, lens, false);
	vq_get_state(&self->vq, &before);
	ring_serve(_metadata, self, false);
	/* Only the first of vq_log_pop()'s stores made it. */
	vq_log_pop(v, self->c.id, &before);
	if (variant->packed) {
		EXPECT_EQ(-EOPNOTSUPP, resume(_metadata, self, v, &vq2));
		vq_fini(&vq2);
		free(v);
		return;
	}
	ASSERT_EQ(1, resume(_metadata, self, v, &vq2));
	push_logged(_metadata, self, v, &vq2, self->c.id, self->c.id, true);
	ASSERT_EQ(1, ring_reap(_metadata, self));
	EXPECT_EQ(0, vq_pop(&vq2, &self->c));
	vq_fini(&vq2);
	free(v);
}

/* Nothing in flight: every layout resumes where it was, packed wrap counters included. */
TEST_F(ring, resume_with_nothing_in_flight)
{
	struct vq_log_vq *v = log_new(self);
	struct vq_state st, st2;
	struct vq vq2;
	int i, id;

	ASSERT_NE(NULL, v);
	/* More than a lap, so that packed wrap counters flip. */
	for (i = 0; i < variant->num + 5; i++) {
		id = submit(_metadata, self, 1, 1, lens, false);
		ASSERT_EQ(id, pop_logged(_metadata, self, v));
		push_logged(_metadata, self, v, &self->vq, self->c.token, id, true);
		ASSERT_EQ(1, ring_reap(_metadata, self));
	}
	vq_get_state(&self->vq, &st);
	ASSERT_EQ(0, resume(_metadata, self, v, &vq2));
	vq_get_state(&vq2, &st2);
	EXPECT_EQ(st.avail_idx, st2.avail_idx);
	EXPECT_EQ(st.avail_wrap, st2.avail_wrap);
	EXPECT_EQ(st.used_idx, st2.used_idx);
	EXPECT_EQ(st.used_wrap, st2.used_wrap);
	id = submit(_metadata, self, 1, 1, lens, false);
	ASSERT_EQ(1, vq_pop(&vq2, &self->c));
	EXPECT_EQ(id, self->c.id);
	vq_fini(&vq2);
	free(v);
}

/* A log with garbage beyond the queue size pops nothing that does not exist. */
TEST_F(ring, stale_ids_are_ignored)
{
	struct vq_log_vq *v = log_new(self);
	struct vq vq2;

	ASSERT_NE(NULL, v);
	v->inflight[VQ_MAX_SIZE / 64 - 1] = ~0ULL;
	v->inflight[variant->num / 64] |= 1ULL << (variant->num % 64);
	ASSERT_EQ(0, resume(_metadata, self, v, &vq2));
	EXPECT_EQ(-1, vq_log_next(v, 0));
	vq_fini(&vq2);
	free(v);
}

TEST_HARNESS_MAIN
