// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-blk request parser: the input lays out a
 * chain (how many readable and writable iovecs, their lengths, where the
 * header and status fall), fills it (header type, sector, discard ranges,
 * data), picks the disk size and read-only flag, and then plays the kernel
 * for each I/O the model queues: short, complete, too long or failed.
 * Every I/O must stay inside the disk and inside the chain's buffers; a
 * finished request must have a valid status and a used length the chain
 * can hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_blk.h>

#include "dev/blk.h"
#include "fuzz_input.h"

#define BUF_SIZE 8192
#define MAX_PIECES 16
#define MAX_COMPLETIONS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the fake backend saw of the I/O in flight. */
static struct {
	uint8_t *buf;
	bool queued;
	struct be_io io;
} kern;

static bool in_buf(const struct iovec *v)
{
	const uint8_t *b = v->iov_base;

	return b >= kern.buf && v->iov_len <= BUF_SIZE &&
	       (size_t)(b - kern.buf) <= BUF_SIZE - v->iov_len;
}

/* An asynchronous backend: check the I/O, keep it for the fuzzer to complete. */
static int fake_submit(struct be *be, struct be_ctx *ctx, const struct be_io *io,
		       uint64_t req)
{
	uint64_t total = 0;
	unsigned int i;

	if (kern.queued || io->offset > be->size || io->len > be->size - io->offset)
		abort();
	if (io->op == BE_READ || io->op == BE_WRITE) {
		if (be->read_only && io->op == BE_WRITE)
			abort();
		for (i = 0; i < io->iovcnt; i++) {
			if (!in_buf(&io->iov[i]))
				abort();
			total += io->iov[i].iov_len;
		}
		if (total != io->len || !io->len)
			abort();
	}
	kern.io = *io;
	kern.queued = true;
	return 1;
}

static const struct be_ops fake_ops = {
	.name = "fake",
	.submit = fake_submit,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[BUF_SIZE] __attribute__((aligned(64)));
	struct input in = { data, size };
	struct be be = { .ops = &fake_ops, .fd = -1 };
	struct blk_opts opts = { .num_queues = 1, .queue_size = 128, .name = "fuzz" };
	struct blk_dev dev;
	struct dev_req *req;
	struct vq_chain *c;
	unsigned int nrd, nwr, i, n = 0;
	uint8_t *status = NULL;
	size_t off = 0, len;
	uint8_t sel;
	int ret, res;

	kern.buf = buf;
	kern.queued = false;
	sel = next(&in);
	be.size = (uint64_t)(1 + next16(&in)) * 512;
	be.block_size = 512;
	be.phys_block_size = sel & 1 ? 4096 : 512;
	be.read_only = sel & 2;
	be.discard = sel & 4;
	be.write_zeroes = sel & 8;
	if (blk_dev_init(&dev, &be, &opts))
		abort();
	req = calloc(1, blk_model.req_size);
	if (!req)
		abort();
	blk_model.req_init(&dev, req);
	c = &req->chain;

	/* Chain layout: pieces of the buffer, readable first, then writable. */
	nrd = next(&in) % MAX_PIECES;
	nwr = next(&in) % MAX_PIECES;
	if (nrd + nwr > c->max_iov)
		abort();
	c->out_num = nrd;
	c->in_num = nwr;
	c->out_len = 0;
	c->in_len = 0;
	for (i = 0; i < nrd + nwr; i++) {
		len = next16(&in) % 2048;
		if (off + len > BUF_SIZE)
			len = BUF_SIZE - off;
		c->iov[i] = (struct iovec){ buf + off, len };
		off += len;
		if (i < nrd)
			c->out_len += len;
		else
			c->in_len += len;
	}
	/* A piece the device cannot reach, as the ring engine hands one over (never empty). */
	c->bad = 0;
	if (sel & 16 && nrd + nwr) {
		i = next(&in) % (nrd + nwr);
		if (c->iov[i].iov_len) {
			c->iov[i].iov_base = NULL;
			c->bad = -EFAULT;
		}
	}
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < off && in.left; i++)
		buf[i] = next(&in);
	/* The status byte is the chain's last writable byte (5.2.6). */
	for (i = nrd + nwr; i > nrd && !c->iov[i - 1].iov_len; i--)
		;
	if (i > nrd && c->iov[i - 1].iov_base)
		status = (uint8_t *)c->iov[i - 1].iov_base + c->iov[i - 1].iov_len - 1;
	if (status)
		*status = 0xff;

	req->used_len = 0xdeadbeef;
	ret = blk_model.start(&dev, req, NULL);
	/* Refused only without a status byte to answer in; bad data moves nothing. */
	if (ret < 0 && (status || !req->why))
		abort();
	if (c->bad && ret > 0)
		abort();
	if (ret < 0) {
		free(req);
		return 0;
	}
	while (ret == 1) {
		if (!kern.queued || ++n > MAX_COMPLETIONS)
			abort();
		kern.queued = false;
		/* The kernel's answer: all of it, part, too much, or an error. */
		switch (next(&in) % 4) {
		case 0:
			res = kern.io.len;
			break;
		case 1:
			res = kern.io.len ? next16(&in) % kern.io.len : 0;
			break;
		case 2:
			res = kern.io.len + 1 + next(&in);
			break;
		default:
			res = -(int)(1 + next(&in) % 133);
			break;
		}
		ret = blk_model.complete(&dev, req, res, NULL);
	}
	if (ret != 0 || kern.queued)
		abort();
	/* Finished: the used length fits the writable part of the chain. */
	if (req->used_len != 0 && req->used_len > c->in_len)
		abort();
	if (req->used_len == 0xdeadbeef)
		abort();
	if (req->used_len && (!status || *status > VIRTIO_BLK_S_UNSUPP))
		abort();
	free(req);
	return 0;
}
