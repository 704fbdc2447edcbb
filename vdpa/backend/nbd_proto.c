// SPDX-License-Identifier: GPL-2.0
/*
 * The NBD wire format (see nbd_proto.h). The reply parser trusts nothing
 * the server sends: every length is checked against the request it answers
 * before a byte of payload is taken, so a hostile server can make a request
 * fail but never make the client read or write outside it.
 */
#include <errno.h>
#include <string.h>
#include <endian.h>

#include "backend/nbd_proto.h"

enum {
	P_MAGIC,	/* the next reply's first four bytes */
	P_SIMPLE,	/* the rest of a simple reply's header */
	P_CHUNK,	/* the rest of a structured chunk's header */
	P_PAYLOAD_HDR,	/* a chunk's fixed payload fields (offset, error, ...) */
	P_DATA,		/* read data into the request */
	P_SKIP,		/* an error message: bytes nobody needs */
	P_DONE,		/* the reply ended: DONE is the next event */
	P_BROKEN,
};

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

int nbd_parse_greeting(const uint8_t buf[NBD_GREETING_LEN], uint16_t *flags)
{
	if (get64(buf) != NBD_MAGIC || get64(buf + 8) != NBD_IHAVEOPT)
		return -EPROTO;
	*flags = get16(buf + 16);
	/* Without fixed newstyle a server may drop the connection on an unknown option. */
	return *flags & NBD_FLAG_FIXED_NEWSTYLE ? 0 : -EPROTO;
}

int nbd_build_option(uint8_t *buf, size_t buflen, uint32_t opt, const void *data,
		     uint32_t len)
{
	if (buflen < 16 || buflen - 16 < len)
		return -ENOSPC;
	put64(buf, NBD_IHAVEOPT);
	put32(buf + 8, opt);
	put32(buf + 12, len);
	if (len)
		memcpy(buf + 16, data, len);
	return 16 + len;
}

int nbd_build_go(uint8_t *buf, size_t buflen, const char *name)
{
	size_t n = strlen(name);

	if (n > NBD_MAX_NAME)
		return -EINVAL;
	if (buflen < 4 + n + 4)
		return -ENOSPC;
	put32(buf, n);
	memcpy(buf + 4, name, n);
	/* One information request: the block sizes; NBD_INFO_EXPORT always comes. */
	put16(buf + 4 + n, 1);
	put16(buf + 6 + n, NBD_INFO_BLOCK_SIZE);
	return 8 + n;
}

int nbd_parse_opt_reply(const uint8_t buf[NBD_OPT_REPLY_LEN], struct nbd_opt_reply *r)
{
	if (get64(buf) != NBD_REP_MAGIC)
		return -EPROTO;
	r->opt = get32(buf + 8);
	r->type = get32(buf + 12);
	r->len = get32(buf + 16);
	return 0;
}

static bool power_of_2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int nbd_parse_info(const uint8_t *data, uint32_t len, struct nbd_export *e)
{
	uint16_t type;

	if (len < 2)
		return -EPROTO;
	type = get16(data);
	switch (type) {
	case NBD_INFO_EXPORT:
		if (len != 12)
			return -EPROTO;
		e->size = get64(data + 2);
		e->flags = get16(data + 10);
		e->have_export = true;
		return 0;
	case NBD_INFO_BLOCK_SIZE:
		if (len != 14)
			return -EPROTO;
		e->min_block = get32(data + 2);
		e->pref_block = get32(data + 6);
		e->max_block = get32(data + 10);
		/* proto.md: powers of 2, min <= 64 KiB, min <= preferred <= max (or max not a power). */
		if (!power_of_2(e->min_block) || e->min_block > 65536 ||
		    !power_of_2(e->pref_block) || e->pref_block < e->min_block ||
		    e->max_block < e->pref_block)
			return -EPROTO;
		return 0;
	}
	return 0;
}

const char *nbd_rep_err_str(uint32_t type)
{
	switch (type) {
	case NBD_REP_ERR_UNSUP: return "option not supported";
	case NBD_REP_ERR_POLICY: return "refused by the server's policy";
	case NBD_REP_ERR_INVALID: return "invalid request";
	case NBD_REP_ERR_PLATFORM: return "not supported on the server's platform";
	case NBD_REP_ERR_TLS_REQD: return "the server requires TLS";
	case NBD_REP_ERR_UNKNOWN: return "no such export";
	case NBD_REP_ERR_SHUTDOWN: return "the server is shutting down";
	case NBD_REP_ERR_BLOCK_SIZE_REQD: return "the server requires block size negotiation";
	case NBD_REP_ERR_TOO_BIG: return "request too big";
	}
	return "unknown error";
}

void nbd_build_request(uint8_t buf[NBD_REQUEST_LEN], uint16_t flags, uint16_t type,
		       uint64_t cookie, uint64_t offset, uint32_t len)
{
	put32(buf, NBD_REQUEST_MAGIC);
	put16(buf + 4, flags);
	put16(buf + 6, type);
	put64(buf + 8, cookie);
	put64(buf + 16, offset);
	put32(buf + 24, len);
}

int nbd_errno(uint32_t err)
{
	switch (err) {
	case 1: return -EPERM;
	case 5: return -EIO;
	case 12: return -ENOMEM;
	case 22: return -EINVAL;
	case 28: return -ENOSPC;
	case 75: return -EOVERFLOW;
	case 95: return -EOPNOTSUPP;
	case 108: return -ESHUTDOWN;
	}
	return -EIO;
}

void nbd_parser_init(struct nbd_parser *p, bool structured, nbd_lookup_fn lookup, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->state = P_MAGIC;
	p->need = 4;
	p->structured = structured;
	p->lookup = lookup;
	p->arg = arg;
}

static int broken(struct nbd_parser *p)
{
	p->state = P_BROKEN;
	return -EPROTO;
}

static void expect(struct nbd_parser *p, int state, uint32_t need)
{
	p->state = state;
	p->need = need;
}

/* The current reply or chunk is over: DONE next if it was the last, else a new reply. */
static void reply_end(struct nbd_parser *p, bool last)
{
	p->have = 0;
	expect(p, last ? P_DONE : P_MAGIC, 4);
}

/* A disk range [@off, @off + @len) that lies inside the request's. */
static bool in_request(const struct nbd_parser *p, uint64_t off, uint64_t len)
{
	return off >= p->req.offset && off - p->req.offset <= p->req.len &&
	       len <= p->req.len - (off - p->req.offset);
}

static int header_done(struct nbd_parser *p, struct nbd_event *ev)
{
	const uint8_t *h = p->hdr;
	uint32_t len;

	switch (p->state) {
	case P_MAGIC:
		switch (get32(h)) {
		case NBD_SIMPLE_REPLY_MAGIC:
			expect(p, P_SIMPLE, NBD_SIMPLE_REPLY_LEN);
			return 0;
		case NBD_STRUCTURED_REPLY_MAGIC:
			if (!p->structured)
				return broken(p);
			expect(p, P_CHUNK, NBD_CHUNK_LEN);
			return 0;
		}
		return broken(p);
	case P_SIMPLE:
		p->cur.cookie = get64(h + 8);
		if (p->lookup(p->arg, p->cur.cookie, &p->req))
			return broken(p);
		if (get32(h + 4)) {
			/* An error carries no data, even for a read. */
			ev->type = NBD_EV_ERROR;
			ev->cookie = p->cur.cookie;
			ev->error = nbd_errno(get32(h + 4));
			reply_end(p, true);
			return 0;
		}
		p->chunk_flags = NBD_REPLY_FLAG_DONE;
		p->cur.offset = p->req.offset;
		p->left = p->req.type == NBD_CMD_READ ? p->req.len : 0;
		p->have = 0;
		p->state = P_DATA;
		return 0;
	case P_CHUNK:
		p->chunk_flags = get16(h + 4);
		p->chunk_type = get16(h + 6);
		p->cur.cookie = get64(h + 8);
		len = get32(h + 16);
		if (p->lookup(p->arg, p->cur.cookie, &p->req))
			return broken(p);
		switch (p->chunk_type) {
		case NBD_REPLY_TYPE_NONE:
			if (len || !(p->chunk_flags & NBD_REPLY_FLAG_DONE))
				return broken(p);
			reply_end(p, true);
			return 0;
		case NBD_REPLY_TYPE_OFFSET_DATA:
			if (p->req.type != NBD_CMD_READ || len <= 8)
				return broken(p);
			p->left = len - 8;
			expect(p, P_PAYLOAD_HDR, NBD_CHUNK_LEN + 8);
			return 0;
		case NBD_REPLY_TYPE_OFFSET_HOLE:
			if (p->req.type != NBD_CMD_READ || len != 12)
				return broken(p);
			p->left = 0;
			expect(p, P_PAYLOAD_HDR, NBD_CHUNK_LEN + 12);
			return 0;
		}
		/* Error types the client does not know still start with error and message length. */
		if (!(p->chunk_type & NBD_REPLY_TYPE_ERROR_BIT) || len < 6 ||
		    (p->chunk_type == NBD_REPLY_TYPE_ERROR_OFFSET && len < 14))
			return broken(p);
		p->left = len - 6;
		expect(p, P_PAYLOAD_HDR, NBD_CHUNK_LEN + 6);
		return 0;
	case P_PAYLOAD_HDR:
		h += NBD_CHUNK_LEN;
		switch (p->chunk_type) {
		case NBD_REPLY_TYPE_OFFSET_DATA:
			p->cur.offset = get64(h);
			if (!in_request(p, p->cur.offset, p->left))
				return broken(p);
			p->have = 0;
			p->state = P_DATA;
			return 0;
		case NBD_REPLY_TYPE_OFFSET_HOLE:
			ev->type = NBD_EV_HOLE;
			ev->cookie = p->cur.cookie;
			ev->offset = get64(h);
			ev->len = get32(h + 8);
			if (!ev->len || !in_request(p, ev->offset, ev->len)) {
				ev->type = NBD_EV_NONE;
				return broken(p);
			}
			reply_end(p, p->chunk_flags & NBD_REPLY_FLAG_DONE);
			return 0;
		}
		/* An error chunk: its message (and ERROR_OFFSET's offset) are skipped. */
		if (get16(h + 4) > p->left - (p->chunk_type == NBD_REPLY_TYPE_ERROR_OFFSET ? 8 : 0))
			return broken(p);
		ev->type = NBD_EV_ERROR;
		ev->cookie = p->cur.cookie;
		/* proto.md: the error MUST be non-zero; a zero one is still a failure. */
		ev->error = nbd_errno(get32(h));
		p->have = 0;
		p->state = P_SKIP;
		return 0;
	}
	return broken(p);
}

int nbd_parse(struct nbd_parser *p, const uint8_t *buf, size_t len, struct nbd_event *ev)
{
	size_t used = 0;
	uint32_t n;
	int ret;

	memset(ev, 0, sizeof(*ev));
	for (;;) {
		switch (p->state) {
		case P_BROKEN:
			return -EPROTO;
		case P_DONE:
			ev->type = NBD_EV_DONE;
			ev->cookie = p->cur.cookie;
			expect(p, P_MAGIC, 4);
			return used;
		case P_DATA:
		case P_SKIP:
			if (!p->left) {
				reply_end(p, p->chunk_flags & NBD_REPLY_FLAG_DONE);
				continue;
			}
			if (used == len)
				return used;
			n = len - used < p->left ? len - used : p->left;
			p->left -= n;
			if (p->state == P_SKIP) {
				used += n;
				continue;
			}
			ev->type = NBD_EV_DATA;
			ev->cookie = p->cur.cookie;
			ev->offset = p->cur.offset;
			ev->data = buf + used;
			ev->len = n;
			p->cur.offset += n;
			return used + n;
		default:
			if (p->have < p->need) {
				if (used == len)
					return used;
				n = p->need - p->have;
				if (n > len - used)
					n = len - used;
				memcpy(p->hdr + p->have, buf + used, n);
				p->have += n;
				used += n;
				if (p->have < p->need)
					return used;
			}
			ret = header_done(p, ev);
			if (ret)
				return ret;
			if (ev->type != NBD_EV_NONE)
				return used;
		}
	}
}
