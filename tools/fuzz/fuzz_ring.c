// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtqueue engine: the input chooses the layout,
 * feature bits, queue size, restart state and a script of device
 * operations, and supplies the whole ring memory, which the script can also
 * change between operations as a concurrent hostile driver would. Every
 * iovec the engine returns must lie inside a mapping that allows its access.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "ring/virtqueue.h"
#include "ring/vq_log.h"
#include "fuzz_input.h"

#define RW_IOVA 0x10000ULL
#define RO_IOVA 0x20000ULL
#define WO_IOVA 0x30000ULL
#define RW_SIZE 16384
#define SMALL_SIZE 4096
#define MAX_TOK 64
#define MAX_IOV 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const struct iovec *v, const uint8_t *base, size_t size)
{
	const uint8_t *b = v->iov_base;

	return b >= base && v->iov_len <= size && b - base <= size - v->iov_len;
}

static void check_chain(const struct vq_chain *c, uint8_t *rw, uint8_t *ro,
			uint8_t *wo)
{
	unsigned int i;

	if (c->out_num + c->in_num > c->max_iov)
		abort();
	for (i = 0; i < c->out_num + c->in_num; i++) {
		const struct iovec *v = &c->iov[i];
		bool w = i >= c->out_num;

		if (!v->iov_len)
			abort();
		/* A piece the device cannot reach: only in a chain marked bad. */
		if (!v->iov_base) {
			if (!c->bad)
				abort();
			continue;
		}
		if (!inside(v, rw, RW_SIZE) &&
		    !(!w && inside(v, ro, SMALL_SIZE)) &&
		    !(w && inside(v, wo, SMALL_SIZE)))
			abort();
		if (w)
			memset(v->iov_base, 0xa5, v->iov_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rw[RW_SIZE] __attribute__((aligned(64)));
	static uint8_t ro[SMALL_SIZE], wo[SMALL_SIZE];
	struct iova_region regs[3] = {
		{ RW_IOVA, RW_SIZE, rw, IOVA_READ | IOVA_WRITE },
		{ RO_IOVA, SMALL_SIZE, ro, IOVA_READ },
		{ WO_IOVA, SMALL_SIZE, wo, IOVA_WRITE },
	};
	struct iova_table table = { regs, 3 };
	struct iova_xlate x = { iova_table_translate, &table };
	struct input in = { data, size };
	struct iovec iov[MAX_IOV];
	struct vq_chain c = { .iov = iov };
	uint32_t tok[MAX_TOK];
	unsigned int ntok = 0, nops, i;
	struct vq_config cfg = { 0 };
	static struct vq_log_vq log_vq;
	struct vq_log_vq *lv = &log_vq;
	struct vq_logger lg;
	char why[128];
	struct vq_state st;
	struct vq vq;
	uint8_t sel, b;
	int ret;

	sel = next(&in);
	cfg.features = (sel & 1 ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
		       (sel & 2 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
		       (sel & 4 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
		       (sel & 8 ? 1ULL << VIRTIO_F_IN_ORDER : 0);
	b = next(&in);
	cfg.num = sel & 1 ? 1 + b % 64 : 1 << (b % 7);
	cfg.desc_addr = RW_IOVA;
	cfg.driver_addr = RW_IOVA + 16 * cfg.num;
	cfg.device_addr = RW_IOVA + 16 * cfg.num + 1024;
	c.max_iov = 1 + next(&in) % MAX_IOV;
	nops = next(&in);
	memset(rw, 0, sizeof(rw));
	memset(ro, 0x11, sizeof(ro));
	for (i = 0; i < RW_SIZE && in.left > nops * 4; i++)
		rw[i] = next(&in);
	if (vq_init(&vq, &cfg, &x))
		abort();
	while (nops--) {
		b = next(&in);
		switch (b % 12) {
		case 0:
			ret = vq_pop(&vq, &c);
			if (ret == 1) {
				check_chain(&c, rw, ro, wo);
				if (ntok < MAX_TOK)
					tok[ntok++] = c.token;
			} else if (ret < 0 && vq_pop(&vq, &c) != ret) {
				abort();
			}
			break;
		case 1:
			if (ntok) {
				i = next(&in) % ntok;
				vq_push(&vq, tok[i], next16(&in));
				tok[i] = tok[--ntok];
			}
			break;
		case 2:
			vq_publish(&vq);
			break;
		case 3:
			vq_need_interrupt(&vq);
			break;
		case 4:
			vq_disable_notify(&vq);
			break;
		case 5:
			vq_enable_notify(&vq);
			break;
		case 6:
			vq_get_state(&vq, &st);
			st.avail_idx = next16(&in);
			st.used_idx = next16(&in);
			st.avail_wrap = b & 0x10;
			st.used_wrap = b & 0x20;
			if (!vq_set_state(&vq, &st))
				ntok = 0;
			break;
		case 7:
			i = next16(&in) % RW_SIZE;
			rw[i] = next(&in);
			break;
		case 8:
			vq_push(&vq, next32(&in), next16(&in));
			break;
		case 9:
			/* A reconnect popping a chain again, from a log that may lie. */
			ret = vq_pop_id(&vq, next16(&in) % (cfg.num + 2), &c);
			if (ret == 1) {
				check_chain(&c, rw, ro, wo);
				if (ntok < MAX_TOK)
					tok[ntok++] = c.token;
			}
			break;
		case 10:
			ret = vq_avail_id(&vq, next16(&in));
			if (ret >= cfg.num)
				abort();
			ret = vq_used_id(&vq, next16(&in));
			if (ret >= cfg.num)
				abort();
			break;
		case 11:
			/* A new daemon resuming from a log the input writes. */
			memset(lv, 0, offsetof(struct vq_log_vq, chain));
			lv->num = b & 0x80 ? next16(&in) : cfg.num;
			lv->avail_idx = next16(&in);
			lv->used_idx = next16(&in);
			lv->inflight[0] = next32(&in) | (uint64_t)next32(&in) << 32;
			lv->inflight[next(&in) % (VQ_MAX_SIZE / 64)] |= 1ULL << (b & 63);
			/* Packed chains kept in the log, some pointing past the queue. */
			for (i = 0; i < 66; i++) {
				lv->chain[i].first = next(&in) % 68;
				lv->chain[i].count = next(&in) % 68;
				lv->desc[i] = (struct vq_log_desc){
					.addr = RW_IOVA + next16(&in) % RW_SIZE,
					.len = next16(&in),
					.flags = next16(&in),
					.next = next(&in) % 68,
				};
			}
			ret = vq_log_recover(&lg, lv, &vq, &st, why, sizeof(why));
			if (ret < 0)
				break;
			if (vq_set_state(&vq, &st)) {
				vq_log_stop(&lg);
				break;
			}
			ntok = 0;
			for (ret = vq_log_next(lv, 0); ret >= 0; ret = vq_log_next(lv, ret + 1)) {
				if (ret >= cfg.num)
					abort();
				if (vq_log_pop_again(&lg, &vq, ret, &c) != 1)
					break;
				check_chain(&c, rw, ro, wo);
				if (ntok < MAX_TOK)
					tok[ntok++] = c.token;
			}
			vq_log_stop(&lg);
			break;
		}
	}
	if (!vq_error(&vq) && vq_inflight_count(&vq) > cfg.num)
		abort();
	vq_fini(&vq);
	return 0;
}
