// SPDX-License-Identifier: GPL-2.0
/*
 * The per-completion fast path of the notification policy (vdpa/nf.c)
 * against a fake clock: when it interrupts, defers, fires on a deadline,
 * runs the program, polls, and what a swap of programs keeps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "policy/nf.h"

#define US 1000ULL
/* A start far from zero: the clock is not assumed to start anywhere. */
#define T0 (1ULL << 40)

/* A program in C: counts its runs and answers with a fixed decision. */
struct fake {
	struct nf_prog prog;
	struct uvdpa_nf_decision answer;
	int ret;
	unsigned int runs;
	struct uvdpa_nf_run last;
	struct uvdpa_nf_ctx seen;
};

static int fake_run(struct nf_prog *p, const struct uvdpa_nf_run *run)
{
	struct fake *f = (struct fake *)p;

	f->runs++;
	f->last = *run;
	f->seen = p->shm->vq[run->vq].ctx;
	if (f->ret)
		return f->ret;
	p->shm->vq[run->vq].dec = f->answer;
	return 0;
}

static void fake_free(struct nf_prog *p)
{
	free(p->shm);
}

static void fake_init(struct fake *f, const struct uvdpa_nf_decision *answer)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->prog.name, sizeof(f->prog.name), "fake");
	f->prog.shm = calloc(1, sizeof(*f->prog.shm));
	f->prog.run = fake_run;
	f->prog.free = fake_free;
	f->answer = *answer;
}

/*
 * @n completions pushed, @inflight left: what the fast path says, as the
 * worker asks it: the interrupt by the decision in force (sent at once when
 * it says so), then the program's sample.
 */
static enum nf_act batch(struct nf_vq *v, unsigned int n, unsigned int inflight, uint64_t now)
{
	enum nf_act act, after;

	while (n--)
		nf_completion(v);
	act = nf_complete(v, inflight, now);
	if (act == NF_FIRE)
		nf_fired(v, true, false, now);
	after = nf_sample(v, inflight, now);
	if (after == NF_FIRE)
		nf_fired(v, true, false, now);
	if (act == NF_FIRE || after == NF_FIRE)
		return NF_FIRE;
	return after != NF_NONE ? after : act;
}

/* A queue under the built-in policy, then told to defer by hand. */
static void deferring(struct nf_vq *v, uint32_t frames, uint32_t usecs, uint32_t flags)
{
	nf_vq_init(v, 0, NULL, 0, T0);
	v->dec.defer_frames = frames;
	v->dec.defer_us = usecs;
	v->dec.flags = flags;
}

TEST(builtin_interrupts_every_batch)
{
	struct uvdpa_nf_stats s;
	struct nf_vq v;
	int i;

	nf_vq_init(&v, 0, NULL, 0, T0);
	for (i = 0; i < 10; i++) {
		for (int j = 0; j < 1 + i % 3; j++)
			nf_completion(&v);
		ASSERT_EQ(NF_FIRE, nf_complete(&v, 5, T0 + i * US));
		nf_fired(&v, i != 3, false, T0 + i * US);
		EXPECT_EQ(NF_NONE, nf_sample(&v, 5, T0 + i * US));
	}
	EXPECT_EQ(NF_NONE, nf_complete(&v, 5, T0 + 20 * US));
	nf_vq_stats(&v, &s);
	EXPECT_EQ(19, s.completions);
	EXPECT_EQ(10, s.batches);
	EXPECT_EQ(9, s.irqs);
	EXPECT_EQ(1, s.driver_suppressed);
	EXPECT_EQ(0, s.deferred);
	EXPECT_EQ(0, s.filter_runs);
}

TEST(defers_until_enough_frames)
{
	struct nf_vq v;

	deferring(&v, 4, 100, 0);
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0));
	EXPECT_EQ(T0 + 100 * US, v.deadline);
	EXPECT_EQ(NF_DEFER, batch(&v, 2, 10, T0 + 10 * US));
	/* The deadline counts from the first deferred completion. */
	EXPECT_EQ(T0 + 100 * US, v.deadline);
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 10, T0 + 20 * US));
	EXPECT_EQ(0, v.pending);
	EXPECT_EQ(0, v.deadline);
	EXPECT_EQ(2, v.stats.deferred);
	EXPECT_EQ(1, v.stats.irqs);
}

TEST(deadline_fires_the_deferred_interrupt)
{
	struct nf_vq v;

	deferring(&v, 8, 100, 0);
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0));
	/* A timer that fires early (an older deadline) is armed again. */
	EXPECT_EQ(NF_DEFER, nf_timer(&v, T0 + 50 * US));
	EXPECT_EQ(NF_DEFER, nf_timer(&v, T0 + 100 * US - 1));
	EXPECT_EQ(NF_FIRE, nf_timer(&v, T0 + 100 * US));
	nf_fired(&v, true, true, T0 + 100 * US);
	EXPECT_EQ(1, v.stats.timer_irqs);
	/* Nothing pending: a stale timer does nothing. */
	EXPECT_EQ(NF_NONE, nf_timer(&v, T0 + 200 * US));
	/* A batch past its own deadline goes out at once. */
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0 + 300 * US));
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 10, T0 + 400 * US));
}

TEST(idle_queue_never_waits)
{
	struct nf_vq v;

	deferring(&v, 8, 100, UVDPA_NF_IDLE_FIRE);
	/* QD1: nothing else in flight, nothing to wait for. */
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 0, T0));
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 3, T0 + US));
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 0, T0 + 2 * US));
	/* Without the flag an idle queue waits like any other. */
	v.dec.flags = 0;
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 0, T0 + 3 * US));
}

TEST(no_deadline_means_no_deferral)
{
	struct nf_vq v;

	deferring(&v, 8, 0, 0);
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 10, T0));
}

TEST(irq_now_is_one_shot)
{
	struct nf_vq v;

	deferring(&v, 8, 100, UVDPA_NF_IRQ_NOW);
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 10, T0));
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0 + US));
}

TEST(program_runs_per_sample_not_per_completion)
{
	struct fake f;
	struct nf_vq v;
	int i;

	fake_init(&f, &(struct uvdpa_nf_decision){ .defer_frames = 1, .sample_frames = 4,
						    .sample_us = 1000 });
	nf_vq_init(&v, 3, &f.prog, 0, T0);
	/* Once when it takes the queue over. */
	EXPECT_EQ(1, f.runs);
	EXPECT_EQ(UVDPA_NF_RUN_ATTACH, f.last.reason);
	EXPECT_EQ(3, f.last.vq);
	EXPECT_EQ(UVDPA_NF_ABI_VERSION, f.last.abi_version);
	for (i = 0; i < 3; i++)
		batch(&v, 1, 7, T0 + i * US);
	EXPECT_EQ(1, f.runs);
	batch(&v, 1, 7, T0 + 3 * US);
	EXPECT_EQ(2, f.runs);
	EXPECT_EQ(UVDPA_NF_RUN_SAMPLE, f.last.reason);
	/* What the program saw of the window. */
	EXPECT_EQ(4, f.seen.completions);
	EXPECT_EQ(4, f.seen.batches);
	EXPECT_EQ(1, f.seen.batch);
	EXPECT_EQ(7, f.seen.inflight);
	EXPECT_EQ(3 * US, f.seen.window_ns);
	EXPECT_EQ(T0 + 3 * US, f.seen.now_ns);
	/* Or when the sample window has passed. */
	batch(&v, 1, 7, T0 + 3 * US + 1000 * US);
	EXPECT_EQ(3, f.runs);
	EXPECT_EQ(1, f.seen.completions);
	EXPECT_EQ(3, v.stats.filter_runs);
	fake_free(&f.prog);
}

/*
 * New parameters: the program runs at once, told why, keeping its state,
 * and its decision applies to what is pending; the deadline stays.
 */
TEST(new_parameters_run_the_program_at_once)
{
	struct fake f;
	struct nf_vq v;

	fake_init(&f, &(struct uvdpa_nf_decision){ .defer_frames = 16, .defer_us = 100,
						    .sample_frames = 4096, .sample_us = 100000 });
	nf_vq_init(&v, 2, &f.prog, 0, T0);
	f.prog.shm->vq[2].state[3] = 42;
	EXPECT_EQ(NF_DEFER, batch(&v, 5, 20, T0));
	f.answer.defer_frames = 8;
	EXPECT_EQ(NF_DEFER, nf_vq_params(&v, 20, T0 + US));
	EXPECT_EQ(2, f.runs);
	EXPECT_EQ(UVDPA_NF_RUN_PARAMS, f.last.reason);
	EXPECT_EQ(2, f.last.vq);
	EXPECT_EQ(5, f.seen.pending);
	EXPECT_EQ(42, f.prog.shm->vq[2].state[3]);
	EXPECT_EQ(8, v.dec.defer_frames);
	EXPECT_EQ(T0 + 100 * US, v.deadline);
	/* Fewer frames than are pending: the interrupt goes now. */
	f.answer.defer_frames = 4;
	EXPECT_EQ(NF_FIRE, nf_vq_params(&v, 20, T0 + 2 * US));
	nf_fired(&v, true, false, T0 + 2 * US);
	EXPECT_EQ(3, v.stats.filter_runs);
	fake_free(&f.prog);
	/* The built-in policy has no parameters and no program to run. */
	nf_vq_init(&v, 0, NULL, 0, T0);
	EXPECT_EQ(NF_NONE, nf_vq_params(&v, 0, T0));
	EXPECT_EQ(0, v.stats.filter_runs);
}

/* No decision may hold an interrupt back or keep kicks off for long. */
TEST(decisions_are_bounded)
{
	struct uvdpa_nf_decision d;
	struct fake f;
	struct nf_vq v;

	fake_init(&f, &(struct uvdpa_nf_decision){ .defer_frames = UINT32_MAX,
						    .defer_us = UINT32_MAX,
						    .poll_us = UINT32_MAX });
	nf_vq_init(&v, 0, &f.prog, 0, T0);
	/* As uvdpactl stats shows it. */
	nf_vq_decision(&v, &d);
	EXPECT_EQ(UINT32_MAX, d.defer_frames);
	EXPECT_EQ(UVDPA_NF_MAX_DEFER_US, d.defer_us);
	EXPECT_EQ(UVDPA_NF_MAX_POLL_US, d.poll_us);
	EXPECT_EQ(UVDPA_NF_DEFAULT_SAMPLE_FRAMES, d.sample_frames);
	EXPECT_EQ(UVDPA_NF_DEFAULT_SAMPLE_US, d.sample_us);
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0));
	EXPECT_EQ(T0 + UVDPA_NF_MAX_DEFER_US * US, v.deadline);
	fake_free(&f.prog);
}

/* A failing program keeps its last decision; the queue goes on. */
TEST(failing_program_keeps_the_last_decision)
{
	struct fake f;
	struct nf_vq v;

	fake_init(&f, &(struct uvdpa_nf_decision){ .defer_frames = 4, .defer_us = 50,
						    .sample_frames = 1 });
	nf_vq_init(&v, 0, &f.prog, 0, T0);
	f.ret = -EIO;
	f.answer.defer_frames = 1;
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0));
	EXPECT_EQ(2, f.runs);
	EXPECT_EQ(4, v.dec.defer_frames);
	EXPECT_TRUE(v.run_failed);
	fake_free(&f.prog);
}

/* Queues beyond the ABI's table follow the built-in policy. */
TEST(queue_beyond_the_table_is_passthrough)
{
	struct fake f;
	struct nf_vq v;

	fake_init(&f, &(struct uvdpa_nf_decision){ .defer_frames = 4, .defer_us = 50 });
	nf_vq_init(&v, UVDPA_NF_MAX_VQ, &f.prog, 0, T0);
	EXPECT_EQ(0, f.runs);
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 10, T0));
	fake_free(&f.prog);
}

/*
 * A swap keeps what is pending: the new program's decision applies to it
 * at once, and a deadline already set stays.
 */
TEST(swap_keeps_the_pending_interrupt)
{
	struct fake a, b, c;
	struct nf_vq v;

	fake_init(&a, &(struct uvdpa_nf_decision){ .defer_frames = 8, .defer_us = 100 });
	fake_init(&b, &(struct uvdpa_nf_decision){ .defer_frames = 16, .defer_us = 500 });
	fake_init(&c, &(struct uvdpa_nf_decision){ .defer_frames = 1 });
	nf_vq_init(&v, 0, &a.prog, 0, T0);
	EXPECT_EQ(NF_DEFER, batch(&v, 3, 10, T0));
	b.prog.shm->vq[0].state[0] = 42;
	EXPECT_EQ(NF_DEFER, nf_vq_attach(&v, &b.prog, 10, T0 + 10 * US));
	EXPECT_EQ(3, v.pending);
	EXPECT_EQ(T0 + 100 * US, v.deadline);
	/* The new program starts from zeroed state and sees what is pending. */
	EXPECT_EQ(0, b.prog.shm->vq[0].state[0]);
	EXPECT_EQ(3, b.seen.pending);
	EXPECT_EQ(UVDPA_NF_RUN_ATTACH, b.last.reason);
	EXPECT_EQ(NF_FIRE, nf_timer(&v, T0 + 100 * US));
	nf_fired(&v, true, true, T0 + 100 * US);
	/* To a program that defers nothing: what was held goes out now. */
	EXPECT_EQ(NF_DEFER, batch(&v, 1, 10, T0 + 200 * US));
	EXPECT_EQ(NF_FIRE, nf_vq_attach(&v, &c.prog, 10, T0 + 210 * US));
	/* And back to the built-in policy. */
	nf_fired(&v, true, false, T0 + 210 * US);
	EXPECT_EQ(NF_NONE, nf_vq_attach(&v, NULL, 10, T0 + 220 * US));
	EXPECT_EQ(NF_FIRE, batch(&v, 1, 10, T0 + 230 * US));
	fake_free(&a.prog);
	fake_free(&b.prog);
	fake_free(&c.prog);
}

/* A reset of the device forgets the interrupt it held. */
TEST(reset_drops_what_was_pending)
{
	struct nf_vq v;

	deferring(&v, 8, 100, 0);
	EXPECT_EQ(NF_DEFER, batch(&v, 2, 10, T0));
	v.polling = true;
	nf_vq_reset(&v);
	EXPECT_EQ(0, v.pending);
	EXPECT_FALSE(v.polling);
	EXPECT_EQ(NF_NONE, nf_timer(&v, T0 + 100 * US));
}

TEST(poll_window_follows_the_work)
{
	struct nf_vq v;

	nf_vq_init(&v, 0, NULL, 0, T0);
	EXPECT_FALSE(nf_wants_poll(&v));
	EXPECT_FALSE(nf_poll_start(&v, T0));
	v.dec.poll_us = 50;
	EXPECT_TRUE(nf_poll_start(&v, T0));
	/* Already polling: no second window. */
	EXPECT_FALSE(nf_poll_start(&v, T0));
	EXPECT_TRUE(nf_poll_continue(&v, 0, T0 + 10 * US));
	/* New work moves the end of the window. */
	EXPECT_TRUE(nf_poll_continue(&v, 2, T0 + 40 * US));
	EXPECT_TRUE(nf_poll_continue(&v, 0, T0 + 89 * US));
	EXPECT_FALSE(nf_poll_continue(&v, 0, T0 + 90 * US));
	EXPECT_FALSE(v.polling);
	EXPECT_EQ(1, v.stats.polls);
	/* A policy that stops polling ends the window at once. */
	EXPECT_TRUE(nf_poll_start(&v, T0 + 100 * US));
	v.dec.poll_us = 0;
	EXPECT_FALSE(nf_poll_continue(&v, 3, T0 + 101 * US));
}

TEST(kicks_are_counted)
{
	struct nf_vq v;
	struct fake f;

	fake_init(&f, &(struct uvdpa_nf_decision){ .defer_frames = 1, .sample_frames = 2 });
	nf_vq_init(&v, 0, &f.prog, 0, T0);
	nf_kick(&v, 1);
	nf_kick(&v, 3);
	batch(&v, 2, 0, T0 + US);
	EXPECT_EQ(4, f.seen.kicks);
	EXPECT_EQ(4, v.stats.kicks);
	EXPECT_EQ(0, v.win.kicks);
	fake_free(&f.prog);
}

TEST_HARNESS_MAIN
