// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test: the same random sequence of driver and device
 * operations on a split and on a packed ring must deliver the same payloads
 * in the same order, and the same answers back to the driver.
 */
#include "kselftest_harness.h"
#include "ring_check.h"

#define NUM 16
#define OPS 4000
#define SEEDS 200

struct trace {
	uint64_t pop[OPS];	/* hash of each chain the device popped */
	unsigned int npop;
	unsigned int reaped[OPS];	/* sequence numbers, in reap order */
	unsigned int nreap;
	int enable[OPS];	/* what each vq_enable_notify() said */
	unsigned int nenable;
};

struct run {
	struct drv d;
	struct vq vq;
	struct iovec iov[2 * DRV_MAX_SEG];
	struct vq_chain c;
	struct req reqs[NUM];		/* by ID */
	bool slot_busy[NUM];
	unsigned int slot_of[NUM];	/* by ID */
	uint32_t tok[NUM];		/* popped, not pushed */
	uint32_t len[NUM];
	unsigned int ntok;
	unsigned int seq_add;
	unsigned int seq_pop;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t hash_chain(const struct vq_chain *c)
{
	uint64_t h = 1469598103934665603ULL ^ c->in_len;
	unsigned int i;
	size_t j;

	for (i = 0; i < c->out_num; i++)
		for (j = 0; j < c->iov[i].iov_len; j++)
			h = (h ^ ((uint8_t *)c->iov[i].iov_base)[j]) *
			    1099511628211ULL;
	return h;
}

static int add(struct run *r, uint64_t *s)
{
	unsigned int nread = rnd(s) % 4, nwrite = rnd(s) % 4, slot, i;
	bool indirect = rnd(s) % 3 == 0;
	uint32_t lens[8];
	struct req q;
	int id;

	if (!nread && !nwrite)
		nwrite = 1;
	for (i = 0; i < nread + nwrite; i++)
		lens[i] = 1 + rnd(s) % REQ_SEG_MAX;
	for (slot = 0; r->slot_busy[slot]; slot++)
		if (slot == NUM - 1)
			return -ENOSPC;
	req_build_at(&r->d, &q, r->seq_add, slot, nread, nwrite, lens);
	id = drv_add(&r->d, q.seg, q.nseg, indirect);
	if (id < 0)
		return id;
	r->reqs[id] = q;
	r->slot_busy[slot] = true;
	r->slot_of[id] = slot;
	r->seq_add++;
	drv_kick(&r->d);
	return 0;
}

/* Returns 0, or what went wrong as a negative errno. */
static int run_seq(bool packed, bool event_idx, uint64_t seed,
		   struct trace *t)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1 |
		     1ULL << VIRTIO_RING_F_INDIRECT_DESC |
		     (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
		     (event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0);
	struct run *r = calloc(1, sizeof(*r));
	uint64_t s = seed;
	int op, ret = 0, k, n;
	uint32_t len;
	uint16_t id;

	if (!r || drv_init(&r->d, NUM, f, req_data_size(NUM)))
		return -ENOMEM;
	if (vq_init(&r->vq, &r->d.cfg, &r->d.xlate))
		return -EINVAL;
	r->c.iov = r->iov;
	r->c.max_iov = 2 * DRV_MAX_SEG;
	memset(t, 0, sizeof(*t));
	for (op = 0; op < OPS && !ret; op++) {
		switch (rnd(&s) % 8) {
		case 0:
		case 1:
			add(r, &s);
			break;
		case 2:
			for (k = 1 + rnd(&s) % 4; k > 0; k--) {
				n = vq_pop(&r->vq, &r->c);
				if (n <= 0) {
					ret = n;
					break;
				}
				n = dev_handle(&r->c, r->seq_pop++);
				if (n < 0) {
					ret = n;
					break;
				}
				t->pop[t->npop++] = hash_chain(&r->c);
				r->tok[r->ntok] = r->c.token;
				r->len[r->ntok++] = n;
			}
			break;
		case 3:
		case 4:
			if (!r->ntok)
				break;
			k = rnd(&s) % r->ntok;
			ret = vq_push(&r->vq, r->tok[k], r->len[k]);
			r->tok[k] = r->tok[--r->ntok];
			r->len[k] = r->len[r->ntok];
			break;
		case 5:
			vq_publish(&r->vq);
			break;
		case 6:
			vq_need_interrupt(&r->vq);
			while ((n = drv_get_used(&r->d, &id, &len)) == 1) {
				if (!req_answered(&r->d, &r->reqs[id], len))
					n = -EBADMSG;
				if (n < 0)
					break;
				r->slot_busy[r->slot_of[id]] = false;
				t->reaped[t->nreap++] = r->reqs[id].seq;
			}
			ret = n;
			drv_set_cb(&r->d, true);
			break;
		case 7:
			vq_disable_notify(&r->vq);
			t->enable[t->nenable++] = vq_enable_notify(&r->vq);
			break;
		}
	}
	vq_fini(&r->vq);
	drv_fini(&r->d);
	free(r);
	return ret;
}

static void compare(struct __test_metadata *_metadata, bool event_idx)
{
	static struct trace ts, tp;
	uint64_t seed;

	for (seed = 1; seed <= SEEDS; seed++) {
		ASSERT_EQ(0, run_seq(false, event_idx, seed * 0x9e3779b9, &ts))
			TH_LOG("split, seed %lu", seed);
		ASSERT_EQ(0, run_seq(true, event_idx, seed * 0x9e3779b9, &tp))
			TH_LOG("packed, seed %lu", seed);
		ASSERT_LT(OPS / 10, ts.npop);
		ASSERT_LT(OPS / 20, ts.nreap);
		ASSERT_EQ(ts.npop, tp.npop);
		ASSERT_EQ(0, memcmp(ts.pop, tp.pop, ts.npop * sizeof(*ts.pop)));
		ASSERT_EQ(ts.nreap, tp.nreap);
		ASSERT_EQ(0, memcmp(ts.reaped, tp.reaped,
				    ts.nreap * sizeof(*ts.reaped)));
		ASSERT_EQ(ts.nenable, tp.nenable);
		ASSERT_EQ(0, memcmp(ts.enable, tp.enable,
				    ts.nenable * sizeof(*ts.enable)));
	}
}

TEST(same_payloads)
{
	compare(_metadata, false);
}

TEST(same_payloads_event_idx)
{
	compare(_metadata, true);
}

TEST_HARNESS_MAIN
