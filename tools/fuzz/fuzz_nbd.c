// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what an NBD server sends: the input picks whether
 * structured replies were negotiated and up to eight requests in flight
 * (command, offset, length), then is the reply stream itself, cut into
 * pieces of input-chosen sizes as recv() would cut it. Every event must
 * name a request in flight, read data and holes must lie inside a read's
 * range, a request ends once, and nothing is parsed after -EPROTO. The
 * handshake's parsers get the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/nbd_proto.h"
#include "fuzz_input.h"

#define NREQ 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct nbd_req_info info;
	bool live;
} reqs[NREQ];
static uint8_t disk[UINT16_MAX];

static int lookup(void *arg, uint64_t cookie, struct nbd_req_info *info)
{
	if (cookie >= NREQ || !reqs[cookie].live)
		return -ENOENT;
	*info = reqs[cookie].info;
	return 0;
}

static void check(const struct nbd_event *ev)
{
	const struct nbd_req_info *r;

	if (ev->cookie >= NREQ || !reqs[ev->cookie].live)
		abort();
	r = &reqs[ev->cookie].info;
	switch (ev->type) {
	case NBD_EV_DATA:
	case NBD_EV_HOLE:
		if (r->type != NBD_CMD_READ || !ev->len || ev->offset < r->offset ||
		    ev->offset - r->offset > r->len || ev->len > r->len - (ev->offset - r->offset))
			abort();
		/* Where a client puts it: ASan sees a data pointer outside the piece. */
		if (ev->type == NBD_EV_DATA)
			memcpy(disk + (ev->offset - r->offset), ev->data, ev->len);
		break;
	case NBD_EV_ERROR:
		if (ev->error >= 0)
			abort();
		break;
	case NBD_EV_DONE:
		reqs[ev->cookie].live = false;
		break;
	case NBD_EV_NONE:
		abort();
	}
}

static void handshake(const uint8_t *data, size_t size)
{
	struct nbd_export e = { .min_block = 1 };
	struct nbd_opt_reply r;
	uint16_t flags;

	if (size >= NBD_GREETING_LEN)
		nbd_parse_greeting(data, &flags);
	if (size >= NBD_OPT_REPLY_LEN && !nbd_parse_opt_reply(data, &r))
		nbd_rep_err_str(r.type);
	if (size <= UINT32_MAX && !nbd_parse_info(data, size, &e) && e.min_block > 65536)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct nbd_parser p;
	struct nbd_event ev;
	unsigned int i, n;
	bool broken = false;
	uint8_t sel;
	int ret;

	handshake(data, size);
	sel = next(&in);
	n = 1 + sel % NREQ;
	for (i = 0; i < NREQ; i++) {
		reqs[i].live = i < n;
		reqs[i].info.type = next(&in) % 7;
		reqs[i].info.offset = next16(&in) * 512ULL;
		reqs[i].info.len = next16(&in);
	}
	nbd_parser_init(&p, sel & 0x80, lookup, NULL);
	while (in.left) {
		size_t piece = 1 + next(&in) % 64, used = 0;

		if (piece > in.left)
			piece = in.left;
		/* A copy of exactly the piece: ASan sees any read past it. */
		uint8_t *buf = malloc(piece);

		if (!buf)
			abort();
		memcpy(buf, in.p, piece);
		in.p += piece;
		in.left -= piece;
		for (;;) {
			ret = nbd_parse(&p, buf + used, piece - used, &ev);
			if (ret < 0) {
				broken = true;
				break;
			}
			if (broken || (size_t)ret > piece - used)
				abort();
			used += ret;
			if (ev.type == NBD_EV_NONE) {
				if (used != piece)
					abort();
				break;
			}
			check(&ev);
		}
		free(buf);
		if (broken) {
			if (nbd_parse(&p, data, size, &ev) != -EPROTO)
				abort();
			break;
		}
	}
	return 0;
}
