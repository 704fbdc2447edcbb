// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "policy/nf.h"

/* Written by the worker only; other threads read them with nf_vq_stats(). */
#define STAT_ADD(v, field, n) \
	__atomic_store_n(&(v)->stats.field, (v)->stats.field + (n), __ATOMIC_RELAXED)

static const struct uvdpa_nf_decision passthrough = {
	.defer_frames = 1,
	.sample_frames = UINT32_MAX,
	.sample_us = UINT32_MAX,
};

uint64_t nf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * CPU time of this thread: what a program run costs the worker, system call
 * included, and not the time another thread ran while this one waited.
 */
static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The decision in force. Written by the worker only, a word at a time, so
 * that nf_vq_decision() may read it from any thread: the fast path reads
 * it plainly, on the worker's thread.
 */
static void set_dec(struct nf_vq *v, const struct uvdpa_nf_decision *d)
{
	const uint32_t *src = (const uint32_t *)d;
	uint32_t *dst = (uint32_t *)&v->dec;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(uint32_t); i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

/* Read the program's answer once and bound it: no decision may stall a queue. */
static void take(struct nf_vq *v, const struct uvdpa_nf_decision *shared)
{
	struct uvdpa_nf_decision d = *(const volatile struct uvdpa_nf_decision *)shared;

	if (d.defer_us > UVDPA_NF_MAX_DEFER_US)
		d.defer_us = UVDPA_NF_MAX_DEFER_US;
	if (d.poll_us > UVDPA_NF_MAX_POLL_US)
		d.poll_us = UVDPA_NF_MAX_POLL_US;
	if (!d.sample_frames)
		d.sample_frames = UVDPA_NF_DEFAULT_SAMPLE_FRAMES;
	if (!d.sample_us)
		d.sample_us = UVDPA_NF_DEFAULT_SAMPLE_US;
	set_dec(v, &d);
}

static bool runnable(const struct nf_vq *v)
{
	return v->prog && v->prog->run && v->index < UVDPA_NF_MAX_VQ;
}

static void run(struct nf_vq *v, unsigned int inflight, uint64_t now, uint32_t reason)
{
	struct nf_prog *p = v->prog;
	struct uvdpa_nf_vq *s = &p->shm->vq[v->index];
	struct uvdpa_nf_run r = {
		.abi_version = UVDPA_NF_ABI_VERSION,
		.vq = v->index,
		.reason = reason,
	};
	uint64_t t0, t1;
	int ret;

	s->ctx = (struct uvdpa_nf_ctx){
		.now_ns = now,
		.window_ns = now - v->win_start,
		.since_irq_ns = now - v->last_irq,
		.pending = v->pending,
		.since_irq = v->since_irq,
		.kicks = v->win.kicks,
		.completions = v->win.completions,
		.batches = v->win.batches,
		.batch = v->last_batch,
		.inflight = inflight,
		.irqs = v->win.irqs,
	};
	t0 = thread_ns();
	ret = p->run(p, &r);
	t1 = thread_ns();
	STAT_ADD(v, filter_runs, 1);
	STAT_ADD(v, filter_ns, t1 - t0);
	if (ret) {
		if (!v->run_failed)
			log_err("queue %u: filter %s failed: %s; keeping its last decision",
				v->index, p->name, strerror(-ret));
		v->run_failed = true;
	} else {
		take(v, &s->dec);
	}
	memset(&v->win, 0, sizeof(v->win));
	v->win_start = now;
	v->run_frames = 0;
}

static enum nf_act decide(struct nf_vq *v, unsigned int inflight, uint64_t now)
{
	if (!v->pending)
		return NF_NONE;
	if (v->dec.flags & UVDPA_NF_IRQ_NOW) {
		__atomic_store_n(&v->dec.flags, v->dec.flags & ~UVDPA_NF_IRQ_NOW, __ATOMIC_RELAXED);
		return NF_FIRE;
	}
	if (v->pending >= v->dec.defer_frames || !v->dec.defer_us)
		return NF_FIRE;
	if (!inflight && (v->dec.flags & UVDPA_NF_IDLE_FIRE))
		return NF_FIRE;
	if (!v->deadline)
		v->deadline = now + (uint64_t)v->dec.defer_us * 1000;
	return now >= v->deadline ? NF_FIRE : NF_DEFER;
}

enum nf_act nf_vq_attach(struct nf_vq *v, struct nf_prog *p, unsigned int inflight,
			 uint64_t now)
{
	v->prog = p;
	set_dec(v, &passthrough);
	v->run_failed = false;
	if (runnable(v)) {
		memset(p->shm->vq[v->index].state, 0, sizeof(p->shm->vq[v->index].state));
		run(v, inflight, now, UVDPA_NF_RUN_ATTACH);
	}
	return decide(v, inflight, now);
}

void nf_vq_init(struct nf_vq *v, unsigned int index, struct nf_prog *p,
		unsigned int inflight, uint64_t now)
{
	memset(v, 0, sizeof(*v));
	v->index = index;
	v->last_irq = now;
	v->win_start = now;
	nf_vq_attach(v, p, inflight, now);
}

enum nf_act nf_vq_params(struct nf_vq *v, unsigned int inflight, uint64_t now)
{
	if (!runnable(v))
		return NF_NONE;
	run(v, inflight, now, UVDPA_NF_RUN_PARAMS);
	return decide(v, inflight, now);
}

void nf_vq_reset(struct nf_vq *v)
{
	v->batch = 0;
	v->pending = 0;
	v->since_irq = 0;
	v->deadline = 0;
	v->polling = false;
}

enum nf_act nf_complete(struct nf_vq *v, unsigned int inflight, uint64_t now)
{
	uint32_t n = v->batch;
	enum nf_act act;

	if (n) {
		v->batch = 0;
		v->last_batch = n;
		v->pending += n;
		v->since_irq += n;
		v->run_frames += n;
		v->win.completions += n;
		v->win.batches++;
		STAT_ADD(v, completions, n);
		STAT_ADD(v, batches, 1);
	}
	act = decide(v, inflight, now);
	if (act == NF_DEFER && n)
		STAT_ADD(v, deferred, 1);
	return act;
}

enum nf_act nf_sample(struct nf_vq *v, unsigned int inflight, uint64_t now)
{
	if (!runnable(v) || (v->run_frames < v->dec.sample_frames &&
			     now - v->win_start < (uint64_t)v->dec.sample_us * 1000))
		return NF_NONE;
	run(v, inflight, now, UVDPA_NF_RUN_SAMPLE);
	return decide(v, inflight, now);
}

enum nf_act nf_timer(struct nf_vq *v, uint64_t now)
{
	if (!v->pending)
		return NF_NONE;
	return now >= v->deadline ? NF_FIRE : NF_DEFER;
}

void nf_fired(struct nf_vq *v, bool sent, bool by_timer, uint64_t now)
{
	v->pending = 0;
	v->deadline = 0;
	if (!sent) {
		STAT_ADD(v, driver_suppressed, 1);
		return;
	}
	v->since_irq = 0;
	v->last_irq = now;
	v->win.irqs++;
	STAT_ADD(v, irqs, 1);
	if (by_timer)
		STAT_ADD(v, timer_irqs, 1);
}

bool nf_poll_start(struct nf_vq *v, uint64_t now)
{
	if (!v->dec.poll_us || v->polling)
		return false;
	v->polling = true;
	v->poll_until = now + (uint64_t)v->dec.poll_us * 1000;
	STAT_ADD(v, polls, 1);
	return true;
}

bool nf_poll_continue(struct nf_vq *v, unsigned int popped, uint64_t now)
{
	if (v->dec.poll_us && popped)
		v->poll_until = now + (uint64_t)v->dec.poll_us * 1000;
	else if (!v->dec.poll_us || now >= v->poll_until)
		v->polling = false;
	return v->polling;
}

void nf_vq_stats(const struct nf_vq *v, struct uvdpa_nf_stats *out)
{
	const uint64_t *src = (const uint64_t *)&v->stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void nf_vq_decision(const struct nf_vq *v, struct uvdpa_nf_decision *out)
{
	const uint32_t *src = (const uint32_t *)&v->dec;
	uint32_t *dst = (uint32_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint32_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* One key=value into @vals: 0, -ENOENT for an unknown key, -EINVAL for a bad value. */
static int parse_param(const struct nf_prog *p, const char *key, const char *value,
		       uint64_t *vals)
{
	unsigned long long v;
	unsigned int i;
	char *end;

	for (i = 0; i < p->nr_params; i++)
		if (!strcmp(p->params[i], key))
			break;
	if (i == p->nr_params)
		return -ENOENT;
	errno = 0;
	v = strtoull(value, &end, 0);
	if (errno || end == value || *end || *value == '-')
		return -EINVAL;
	vals[i] = v;
	return 0;
}

int nf_prog_parse_params(const struct nf_prog *p, char *const *kv, unsigned int n,
			 uint64_t vals[UVDPA_NF_MAX_PARAMS], char *err, size_t errlen)
{
	char key[NF_PARAM_NAME_MAX], names[UVDPA_NF_MAX_PARAMS * (NF_PARAM_NAME_MAX + 2)];
	unsigned int i, j;
	const char *eq;
	int ret;

	memcpy(vals, p->shm->params, sizeof(p->shm->params));
	for (i = 0; i < n; i++) {
		eq = strchr(kv[i], '=');
		if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof(key)) {
			snprintf(err, errlen, "'%s': filter parameters are key=value", kv[i]);
			return -EINVAL;
		}
		memcpy(key, kv[i], eq - kv[i]);
		key[eq - kv[i]] = '\0';
		ret = parse_param(p, key, eq + 1, vals);
		if (ret == -ENOENT) {
			names[0] = '\0';
			for (j = 0; j < p->nr_params; j++) {
				strcat(names, j ? ", " : "");
				strcat(names, p->params[j]);
			}
			snprintf(err, errlen, "filter %s has no parameter '%s' (it has: %s)", p->name,
				 key, p->nr_params ? names : "none");
			return ret;
		}
		if (ret) {
			snprintf(err, errlen, "'%s': the value of %s is a number", kv[i], key);
			return ret;
		}
	}
	return 0;
}

void nf_prog_write_params(struct nf_prog *p, const uint64_t vals[UVDPA_NF_MAX_PARAMS])
{
	unsigned int i;

	for (i = 0; i < p->nr_params; i++)
		__atomic_store_n(&p->shm->params[i], vals[i], __ATOMIC_RELAXED);
}

int nf_prog_set_params(struct nf_prog *p, char *const *kv, unsigned int n, char *err,
		       size_t errlen)
{
	uint64_t vals[UVDPA_NF_MAX_PARAMS];
	int ret = nf_prog_parse_params(p, kv, n, vals, err, errlen);

	if (!ret)
		nf_prog_write_params(p, vals);
	return ret;
}

void nf_prog_free(struct nf_prog *p)
{
	if (p)
		p->free(p);
}

void nf_prog_describe(const struct nf_prog *p, FILE *out)
{
	unsigned int i;

	fprintf(out, "name=%s\n", p ? p->name : NF_BUILTIN_NAME);
	for (i = 0; p && i < p->nr_params; i++)
		fprintf(out, "%s=%llu\n", p->params[i], (unsigned long long)p->shm->params[i]);
}
