// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight log against a crash at every point between its stores: a
 * device pops and pushes chains while logging them, "dies" (its struct vq
 * and its logger are dropped), and a new engine on the same rings resumes
 * from the log. Every request must be answered exactly once, on split and
 * packed rings, whose used elements overwrite chains still in flight.
 */
#include <stdlib.h>
#include <time.h>

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

/* Pop the next chain as the worker does: engine first, then the log. Returns its token. */
static uint32_t pop_logged(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
			   struct vq_logger *l)
{
	ring_serve(_metadata, self, false);
	EXPECT_EQ(0, vq_log_pop(l, &self->vq, &self->c));
	return self->c.token;
}

/*
 * Die inside vq_log_publish() of chains @ids[0, n): after the batch is
 * said (packed; @stage 0), after the publish (1), or after some of the
 * chains are unmarked (2), but before the used position is stored.
 */
static void publish_cut(struct vq_log_vq *v, bool packed, struct vq *vq, const uint16_t *ids,
			unsigned int n, int stage)
{
	struct vq_state st;
	unsigned int i;

	vq_get_state(vq, &st);
	if (packed) {
		for (i = 0; i < n; i++)
			v->done[ids[i] / 64] |= 1ULL << (ids[i] % 64);
		v->next_used = st.used_idx | (st.used_wrap ? VQ_LOG_WRAP : 0);
	}
	if (stage < 1)
		return;
	vq_publish(vq);
	for (i = 0; stage >= 2 && i < n / 2; i++) {
		v->inflight[ids[i] / 64] &= ~(1ULL << (ids[i] % 64));
		v->done[ids[i] / 64] &= ~(1ULL << (ids[i] % 64));
	}
}

/* Answer the chain of @token and publish it: through the log, or dying before it unmarks it. */
static void push_logged(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
			struct vq_logger *l, struct vq *vq, uint32_t token, bool commit)
{
	uint16_t id = token & 0xffff;

	ASSERT_EQ(0, vq_push(vq, token, self->reqs[id].in_len));
	if (commit)
		vq_log_publish(l, vq, &id, 1);
	else
		publish_cut(l->v, self->d.packed, vq, &id, 1, 1);
}

/* A log for the fixture's queue, kept by @l from the start. */
static struct vq_log_vq *log_new(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
				 struct vq_logger *l)
{
	struct vq_log_vq *v = calloc(1, sizeof(*v));
	struct vq_state st;

	if (v) {
		vq_get_state(&self->vq, &st);
		vq_log_reset(v, &self->d.cfg, &st);
		EXPECT_EQ(0, vq_log_start(l, v, &self->vq));
	}
	return v;
}

/*
 * The new daemon: a fresh engine on the same rings, state from the log,
 * chains in flight popped again; answers each with its request's data and
 * keeps its token in @tok (by ID). Returns how many it popped again, or
 * vq_log_recover()'s error.
 */
static int resume(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		  struct vq_log_vq *v, struct vq_logger *l, struct vq *vq, uint32_t *tok)
{
	struct vq_state st;
	int n, id, popped = 0;
	char why[128] = "";

	EXPECT_EQ(0, vq_init(vq, &self->d.cfg, &self->d.xlate));
	n = vq_log_recover(l, v, vq, &st, why, sizeof(why));
	if (n < 0) {
		TH_LOG("recover: %d %s", n, why);
		return n;
	}
	EXPECT_EQ(0, vq_set_state(vq, &st));
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1)) {
		EXPECT_EQ(1, vq_log_pop_again(l, vq, id, &self->c));
		EXPECT_EQ(id, self->c.id);
		EXPECT_EQ(self->reqs[id].in_len, dev_handle(&self->c, self->reqs[id].seq));
		tok[id] = self->c.token;
		popped++;
	}
	EXPECT_EQ(n, popped);
	return popped;
}

/* Out of order: on a packed ring the first push overwrites the head of the first chain. */
TEST_F(ring, resume_pops_chains_in_flight_again)
{
	struct vq_logger l, l2;
	struct vq_log_vq *v = log_new(_metadata, self, &l);
	uint32_t tok[64], t[4];
	struct vq vq2;
	int i, id;

	ASSERT_NE(NULL, v);
	for (i = 0; i < 4; i++)
		submit(_metadata, self, 1, 2, lens, i & 1);
	for (i = 0; i < 4; i++)
		t[i] = pop_logged(_metadata, self, &l);
	push_logged(_metadata, self, &l, &self->vq, t[1], true);
	ASSERT_EQ(1, ring_reap(_metadata, self));

	/* The daemon dies here. */
	vq_log_stop(&l);
	ASSERT_EQ(3, resume(_metadata, self, v, &l2, &vq2, tok));
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1))
		push_logged(_metadata, self, &l2, &vq2, tok[id], true);
	ASSERT_EQ(3, ring_reap(_metadata, self));
	EXPECT_EQ(-1, vq_log_next(v, 0));
	/* New requests flow; none of the old ones comes back. */
	id = submit(_metadata, self, 2, 1, lens, false);
	ASSERT_EQ(1, vq_pop(&vq2, &self->c));
	EXPECT_EQ(id, self->c.id);
	EXPECT_EQ(0, vq_pop(&vq2, &self->c));
	vq_log_stop(&l2);
	vq_fini(&vq2);
	free(v);
}

/* Published, not yet unmarked: done, never answered twice. */
TEST_F(ring, crash_between_publish_and_commit)
{
	struct vq_logger l, l2;
	struct vq_log_vq *v = log_new(_metadata, self, &l);
	uint32_t tok[64], a, b;
	struct vq vq2;

	ASSERT_NE(NULL, v);
	submit(_metadata, self, 1, 1, lens, false);
	submit(_metadata, self, 1, 1, lens, false);
	a = pop_logged(_metadata, self, &l);
	b = pop_logged(_metadata, self, &l);
	push_logged(_metadata, self, &l, &self->vq, b, false);
	push_logged(_metadata, self, &l, &self->vq, a, false);
	vq_log_stop(&l);
	ASSERT_EQ(0, resume(_metadata, self, v, &l2, &vq2, tok));
	ASSERT_EQ(2, ring_reap(_metadata, self));
	EXPECT_EQ(0, vq_pop(&vq2, &self->c));
	vq_log_stop(&l2);
	vq_fini(&vq2);
	free(v);
}

/* Marked in flight, avail position not yet moved: popped once, not twice. */
TEST_F(ring, crash_between_mark_and_avail_position)
{
	struct vq_logger l, l2;
	struct vq_log_vq *v = log_new(_metadata, self, &l);
	uint32_t tok[64];
	uint16_t before;
	struct vq vq2;

	ASSERT_NE(NULL, v);
	submit(_metadata, self, 3, 0, lens, false);
	before = v->avail_idx;
	pop_logged(_metadata, self, &l);
	/* Only the stores before the last one of vq_log_pop() made it. */
	v->avail_idx = before;
	vq_log_stop(&l);
	ASSERT_EQ(1, resume(_metadata, self, v, &l2, &vq2, tok));
	push_logged(_metadata, self, &l2, &vq2, tok[self->c.id], true);
	ASSERT_EQ(1, ring_reap(_metadata, self));
	EXPECT_EQ(0, vq_pop(&vq2, &self->c));
	vq_log_stop(&l2);
	vq_fini(&vq2);
	free(v);
}

/* Nothing in flight: every layout resumes where it was, packed wrap counters included. */
TEST_F(ring, resume_with_nothing_in_flight)
{
	struct vq_logger l, l2;
	struct vq_log_vq *v = log_new(_metadata, self, &l);
	struct vq_state st, st2;
	uint32_t tok[64], t;
	struct vq vq2;
	int i, id;

	ASSERT_NE(NULL, v);
	/* More than a lap, so that packed wrap counters flip. */
	for (i = 0; i < variant->num + 5; i++) {
		id = submit(_metadata, self, 1, 1, lens, false);
		t = pop_logged(_metadata, self, &l);
		ASSERT_EQ(id, t & 0xffff);
		push_logged(_metadata, self, &l, &self->vq, t, true);
		ASSERT_EQ(1, ring_reap(_metadata, self));
	}
	vq_get_state(&self->vq, &st);
	vq_log_stop(&l);
	ASSERT_EQ(0, resume(_metadata, self, v, &l2, &vq2, tok));
	vq_get_state(&vq2, &st2);
	EXPECT_EQ(st.avail_idx, st2.avail_idx);
	EXPECT_EQ(st.avail_wrap, st2.avail_wrap);
	EXPECT_EQ(st.used_idx, st2.used_idx);
	EXPECT_EQ(st.used_wrap, st2.used_wrap);
	id = submit(_metadata, self, 1, 1, lens, false);
	ASSERT_EQ(1, vq_pop(&vq2, &self->c));
	EXPECT_EQ(id, self->c.id);
	vq_log_stop(&l2);
	vq_fini(&vq2);
	free(v);
}

/* A log with garbage beyond the queue size pops nothing that does not exist. */
TEST_F(ring, stale_ids_are_ignored)
{
	struct vq_logger l, l2;
	struct vq_log_vq *v = log_new(_metadata, self, &l);
	uint32_t tok[64];
	struct vq vq2;

	ASSERT_NE(NULL, v);
	vq_log_stop(&l);
	v->inflight[VQ_MAX_SIZE / 64 - 1] = ~0ULL;
	v->inflight[variant->num / 64] |= 1ULL << (variant->num % 64);
	ASSERT_EQ(0, resume(_metadata, self, v, &l2, &vq2, tok));
	EXPECT_EQ(-1, vq_log_next(v, 0));
	vq_log_stop(&l2);
	vq_fini(&vq2);
	free(v);
}

/*
 * A log that lies is refused, never acted on: one for a queue of another
 * size; on a packed ring, a chain of no descriptors, an entry outside the
 * queue, two chains sharing an entry, descriptors that do not add up to
 * the ring positions.
 */
TEST_F(ring, log_that_lies_is_refused)
{
	struct vq_logger l, l2;
	struct vq_log_vq *v = log_new(_metadata, self, &l);
	struct vq_log_chain saved[2];
	uint32_t tok[64], a, b;
	struct vq_state st;
	struct vq vq2;
	char why[128];

	ASSERT_NE(NULL, v);
	submit(_metadata, self, 2, 1, lens, false);
	submit(_metadata, self, 2, 1, lens, false);
	a = pop_logged(_metadata, self, &l);
	b = pop_logged(_metadata, self, &l);
	vq_log_stop(&l);
	ASSERT_EQ(0, vq_init(&vq2, &self->d.cfg, &self->d.xlate));
	v->num--;
	EXPECT_EQ(-EINVAL, vq_log_recover(&l2, v, &vq2, &st, why, sizeof(why)));
	v->num++;
	if (variant->packed) {
		saved[0] = v->chain[a & 0xffff];
		saved[1] = v->chain[b & 0xffff];
		v->chain[a & 0xffff].count = 0;
		EXPECT_EQ(-EBADMSG, vq_log_recover(&l2, v, &vq2, &st, why, sizeof(why)));
		EXPECT_NE(NULL, strstr(why, "0 descriptors")) TH_LOG("%s", why);
		v->chain[a & 0xffff] = saved[0];
		v->chain[b & 0xffff].first = variant->num;
		EXPECT_EQ(-EBADMSG, vq_log_recover(&l2, v, &vq2, &st, why, sizeof(why)));
		EXPECT_NE(NULL, strstr(why, "outside the queue or another chain's"))
			TH_LOG("%s", why);
		v->chain[b & 0xffff].first = saved[0].first;
		EXPECT_EQ(-EBADMSG, vq_log_recover(&l2, v, &vq2, &st, why, sizeof(why)));
		EXPECT_NE(NULL, strstr(why, "another chain's")) TH_LOG("%s", why);
		v->chain[b & 0xffff] = saved[1];
		v->avail_idx++;
		EXPECT_EQ(-EBADMSG, vq_log_recover(&l2, v, &vq2, &st, why, sizeof(why)));
		EXPECT_NE(NULL, strstr(why, "6 descriptors, its ring positions are 7 apart"))
			TH_LOG("%s", why);
		v->avail_idx--;
	}
	vq_fini(&vq2);
	/* Put right again, it resumes. */
	ASSERT_EQ(2, resume(_metadata, self, v, &l2, &vq2, tok));
	push_logged(_metadata, self, &l2, &vq2, tok[b & 0xffff], true);
	push_logged(_metadata, self, &l2, &vq2, tok[a & 0xffff], true);
	ASSERT_EQ(2, ring_reap(_metadata, self));
	vq_log_stop(&l2);
	vq_fini(&vq2);
	free(v);
}

/* The device as uvdpad's worker drives it, for random_crashes_answer_each_request_once. */
struct dev {
	struct vq_logger l;
	uint32_t inflight[64];	/* tokens popped, not pushed */
	unsigned int nr_inflight;
	uint16_t done[64];	/* pushed since the last publish */
	unsigned int nr_done;
};

/* The worker's publish(). */
static void dev_publish(struct dev *dv, struct vq *vq)
{
	vq_log_publish(&dv->l, vq, dv->done, dv->nr_done);
	dv->nr_done = 0;
}

/*
 * Random moves of driver and device (submit, pop, push out of order,
 * publish, reap), a crash after a random one or inside vq_log_pop() or
 * vq_log_publish() between their stores, a new
 * device from the log; over and over, for laps. Every request is answered
 * exactly once, with its data. Seeded: UVDPA_SEED repeats a run.
 */
TEST_F(ring, random_crashes_answer_each_request_once)
{
	unsigned int seed = getenv("UVDPA_SEED") ? atoi(getenv("UVDPA_SEED")) : time(NULL);
	unsigned int answered[4096] = { 0 }, crashes = 0, step, i;
	bool slot_busy[64] = { false };
	unsigned int slot_of[64];
	uint32_t tok[64];
	struct vq_log_vq *v;
	struct dev dv = { 0 };
	uint16_t id;
	uint32_t len;
	int ret, n;

	ksft_print_msg("%s: seed %u (UVDPA_SEED=%u to repeat)\n", variant->packed ? "packed" :
		       "split", seed, seed);
	srand(seed);
	v = log_new(_metadata, self, &dv.l);
	ASSERT_NE(NULL, v);
	for (step = 0; step < 20000 && self->seq_add < 4000; step++) {
		unsigned int op = rand() % 16;

		if (op < 4) {
			/* Submit 1 to 3 segments, direct or indirect, into a free data slot. */
			unsigned int nseg = 1 + rand() % 3, nread = rand() % (nseg + 1), s;
			struct req r;

			for (s = 0; s < variant->num && slot_busy[s]; s++)
				;
			if (s == variant->num)
				continue;
			req_build_at(&self->d, &r, self->seq_add, s, nread, nseg - nread, lens);
			ret = drv_add(&self->d, r.seg, r.nseg, rand() & 1);
			if (ret < 0)
				continue;
			self->reqs[ret] = r;
			slot_busy[s] = true;
			slot_of[ret] = s;
			self->seq_add++;
			drv_kick(&self->d);
		} else if (op < 7) {
			ret = vq_pop(&self->vq, &self->c);
			ASSERT_LE(0, ret);
			if (!ret)
				continue;
			ASSERT_EQ(self->reqs[self->c.id].in_len,
				  dev_handle(&self->c, self->reqs[self->c.id].seq));
			if (rand() % 8) {
				ASSERT_EQ(0, vq_log_pop(&dv.l, &self->vq, &self->c));
			} else {
				/* Dies after marking it, before the avail position. */
				uint16_t before = v->avail_idx;

				ASSERT_EQ(0, vq_log_pop(&dv.l, &self->vq, &self->c));
				v->avail_idx = before;
				goto crash;
			}
			dv.inflight[dv.nr_inflight++] = self->c.token;
		} else if (op < 10) {
			/* Push any chain in flight: out of order. */
			if (!dv.nr_inflight)
				continue;
			i = rand() % dv.nr_inflight;
			id = dv.inflight[i] & 0xffff;
			ASSERT_EQ(0, vq_push(&self->vq, dv.inflight[i], self->reqs[id].in_len));
			dv.done[dv.nr_done++] = id;
			dv.inflight[i] = dv.inflight[--dv.nr_inflight];
		} else if (op < 12) {
			if (rand() % 4) {
				dev_publish(&dv, &self->vq);
			} else {
				/* Dies inside the publish, at one of its stores. */
				publish_cut(v, variant->packed, &self->vq, dv.done, dv.nr_done,
					    rand() % 3);
				goto crash;
			}
		} else if (op < 15) {
			while ((ret = drv_get_used(&self->d, &id, &len)) == 1) {
				EXPECT_TRUE(req_answered(&self->d, &self->reqs[id], len))
					TH_LOG("step %u: id %u len %u", step, id, len);
				answered[self->reqs[id].seq]++;
				slot_busy[slot_of[id]] = false;
			}
			ASSERT_EQ(0, ret) TH_LOG("step %u: an ID answered twice", step);
		} else {
			goto crash;
		}
		continue;
crash:
		/* What the dead daemon staged but did not publish never reaches the driver. */
		crashes++;
		vq_log_stop(&dv.l);
		vq_fini(&self->vq);
		memset(&dv, 0, sizeof(dv));
		n = resume(_metadata, self, v, &dv.l, &self->vq, tok);
		ASSERT_LE(0, n) TH_LOG("step %u", step);
		for (ret = vq_log_next(v, 0); ret >= 0; ret = vq_log_next(v, ret + 1))
			dv.inflight[dv.nr_inflight++] = tok[ret];
		ASSERT_EQ(n, dv.nr_inflight);
	}
	/* Drain: everything in flight answered, every request once. */
	while (dv.nr_inflight) {
		id = dv.inflight[--dv.nr_inflight] & 0xffff;
		ASSERT_EQ(0, vq_push(&self->vq, dv.inflight[dv.nr_inflight],
				     self->reqs[id].in_len));
		dv.done[dv.nr_done++] = id;
	}
	dev_publish(&dv, &self->vq);
	while ((ret = vq_pop(&self->vq, &self->c)) == 1) {
		ASSERT_EQ(0, vq_log_pop(&dv.l, &self->vq, &self->c));
		id = self->c.id;
		ASSERT_EQ(self->reqs[id].in_len, dev_handle(&self->c, self->reqs[id].seq));
		ASSERT_EQ(0, vq_push(&self->vq, self->c.token, self->reqs[id].in_len));
		dv.done[dv.nr_done++] = id;
		dev_publish(&dv, &self->vq);
	}
	ASSERT_EQ(0, ret);
	while ((ret = drv_get_used(&self->d, &id, &len)) == 1) {
		EXPECT_TRUE(req_answered(&self->d, &self->reqs[id], len));
		answered[self->reqs[id].seq]++;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-1, vq_log_next(v, 0));
	for (i = 0; i < self->seq_add; i++)
		EXPECT_EQ(1, answered[i]) TH_LOG("request %u answered %u times", i, answered[i]);
	ksft_print_msg("%s: %u requests, %u crashes, each request answered once\n",
		       variant->packed ? "packed" : "split", self->seq_add, crashes);
	EXPECT_LT(20, crashes);
	vq_log_stop(&dv.l);
	free(v);
}

TEST_HARNESS_MAIN
