// SPDX-License-Identifier: GPL-2.0
/*
 * The NBD wire format: handshake messages and requests byte for byte as
 * proto.md lays them out, and the reply parser fed each stream whole and one
 * byte at a time, with every protocol violation a server can commit refused.
 */
#include <endian.h>

#include "kselftest_harness.h"
#include "backend/nbd_proto.h"

/* A byte stream a test server sends. */
struct stream {
	uint8_t b[1 << 16];
	size_t len;
};

static void s8(struct stream *s, uint8_t v) { s->b[s->len++] = v; }
static void s16(struct stream *s, uint16_t v) { s8(s, v >> 8); s8(s, v); }
static void s32(struct stream *s, uint32_t v) { s16(s, v >> 16); s16(s, v); }
static void s64(struct stream *s, uint64_t v) { s32(s, v >> 32); s32(s, v); }

static void simple(struct stream *s, uint32_t err, uint64_t cookie)
{
	s32(s, NBD_SIMPLE_REPLY_MAGIC);
	s32(s, err);
	s64(s, cookie);
}

static void chunk(struct stream *s, uint16_t flags, uint16_t type, uint64_t cookie,
		  uint32_t len)
{
	s32(s, NBD_STRUCTURED_REPLY_MAGIC);
	s16(s, flags);
	s16(s, type);
	s64(s, cookie);
	s32(s, len);
}

static void data_chunk(struct stream *s, uint16_t flags, uint64_t cookie, uint64_t off,
		       uint32_t n, uint8_t fill)
{
	chunk(s, flags, NBD_REPLY_TYPE_OFFSET_DATA, cookie, 8 + n);
	s64(s, off);
	while (n--)
		s8(s, fill);
}

/* Requests in flight: cookie i is requests[i]. */
static struct nbd_req_info requests[4] = {
	{ NBD_CMD_READ, 4096, 1024 },
	{ NBD_CMD_WRITE, 0, 512 },
	{ NBD_CMD_FLUSH, 0, 0 },
	{ NBD_CMD_READ, 0, 16 },
};

static int lookup(void *arg, uint64_t cookie, struct nbd_req_info *info)
{
	if (cookie >= 4)
		return -ENOENT;
	*info = requests[cookie];
	return 0;
}

/* What the parser made of a stream: events in order, read data laid out per cookie. */
struct result {
	int ret;		/* 0, or nbd_parse's error */
	unsigned int n;
	struct nbd_event ev[64];
	uint8_t disk[8192];	/* DATA and HOLE land here, at their offsets */
};

static void run(const struct stream *s, bool structured, size_t step, struct result *r)
{
	struct nbd_parser p;
	struct nbd_event ev;
	size_t off = 0, n;
	int got;

	memset(r, 0xee, sizeof(r->disk));
	r->n = 0;
	r->ret = 0;
	nbd_parser_init(&p, structured, lookup, NULL);
	while (off <= s->len) {
		n = s->len - off < step ? s->len - off : step;
		got = nbd_parse(&p, s->b + off, n, &ev);
		if (got < 0) {
			r->ret = got;
			return;
		}
		off += got;
		if (ev.type == NBD_EV_NONE) {
			if (off == s->len)
				return;
			continue;
		}
		if (ev.type == NBD_EV_DATA)
			memcpy(r->disk + ev.offset, ev.data, ev.len);
		if (ev.type == NBD_EV_HOLE)
			memset(r->disk + ev.offset, 0, ev.len);
		/* DATA pieces are as many as the split makes; keep the others. */
		if (ev.type != NBD_EV_DATA && r->n < 64)
			r->ev[r->n++] = ev;
	}
}

/* The same stream whole and byte by byte gives the same result. */
#define PARSE(s, structured, r) do {						\
	static struct result _one;						\
	run(s, structured, (s)->len + 1, r);					\
	run(s, structured, 1, &_one);						\
	ASSERT_EQ((r)->ret, _one.ret);						\
	ASSERT_EQ((r)->n, _one.n);						\
	ASSERT_EQ(0, memcmp((r)->disk, _one.disk, sizeof(_one.disk)));		\
} while (0)

static struct stream st;
static struct result res;

TEST(greeting)
{
	uint8_t g[NBD_GREETING_LEN];
	uint16_t flags;

	st.len = 0;
	s64(&st, NBD_MAGIC);
	s64(&st, NBD_IHAVEOPT);
	s16(&st, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	memcpy(g, st.b, sizeof(g));
	ASSERT_EQ(0, nbd_parse_greeting(g, &flags));
	ASSERT_EQ(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES, flags);
	/* Old-style servers, and newstyle without "fixed", are refused. */
	g[17] = NBD_FLAG_NO_ZEROES;
	ASSERT_EQ(-EPROTO, nbd_parse_greeting(g, &flags));
	g[17] = NBD_FLAG_FIXED_NEWSTYLE;
	g[8] ^= 1;
	ASSERT_EQ(-EPROTO, nbd_parse_greeting(g, &flags));
}

TEST(option_go)
{
	uint8_t data[64], buf[128];
	int n, m;

	n = nbd_build_go(data, sizeof(data), "ab");
	ASSERT_EQ(10, n);
	/* name length, name, one information request: NBD_INFO_BLOCK_SIZE */
	ASSERT_EQ(0, memcmp(data, "\0\0\0\2ab\0\1\0\3", 10));
	m = nbd_build_option(buf, sizeof(buf), NBD_OPT_GO, data, n);
	ASSERT_EQ(26, m);
	ASSERT_EQ(0, memcmp(buf, "IHAVEOPT\0\0\0\7\0\0\0\12", 16));
	ASSERT_EQ(0, memcmp(buf + 16, data, 10));
	ASSERT_EQ(-ENOSPC, nbd_build_option(buf, 25, NBD_OPT_GO, data, n));
	ASSERT_EQ(-ENOSPC, nbd_build_go(data, 9, "ab"));
	ASSERT_EQ(16, nbd_build_option(buf, 16, NBD_OPT_STRUCTURED_REPLY, NULL, 0));
}

TEST(option_reply)
{
	uint8_t h[NBD_OPT_REPLY_LEN];
	struct nbd_opt_reply r;

	st.len = 0;
	s64(&st, NBD_REP_MAGIC);
	s32(&st, NBD_OPT_GO);
	s32(&st, NBD_REP_ERR_UNKNOWN);
	s32(&st, 7);
	memcpy(h, st.b, sizeof(h));
	ASSERT_EQ(0, nbd_parse_opt_reply(h, &r));
	ASSERT_EQ(NBD_OPT_GO, r.opt);
	ASSERT_EQ(NBD_REP_ERR_UNKNOWN, r.type);
	ASSERT_EQ(7, r.len);
	ASSERT_STREQ("no such export", nbd_rep_err_str(r.type));
	h[0] ^= 0x80;
	ASSERT_EQ(-EPROTO, nbd_parse_opt_reply(h, &r));
}

TEST(info)
{
	struct nbd_export e = { .min_block = 1 };

	st.len = 0;
	s16(&st, NBD_INFO_EXPORT);
	s64(&st, 1ULL << 33);
	s16(&st, NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_TRIM);
	ASSERT_EQ(0, nbd_parse_info(st.b, st.len, &e));
	ASSERT_TRUE(e.have_export);
	ASSERT_EQ(1ULL << 33, e.size);
	ASSERT_EQ(NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_TRIM, e.flags);
	ASSERT_EQ(-EPROTO, nbd_parse_info(st.b, st.len - 1, &e));

	st.len = 0;
	s16(&st, NBD_INFO_BLOCK_SIZE);
	s32(&st, 512);
	s32(&st, 4096);
	s32(&st, 1 << 25);
	ASSERT_EQ(0, nbd_parse_info(st.b, st.len, &e));
	ASSERT_EQ(512, e.min_block);
	ASSERT_EQ(4096, e.pref_block);
	ASSERT_EQ(1 << 25, e.max_block);
	/* A minimum that is no power of 2, or above the preferred size. */
	st.b[5] = 3;
	ASSERT_EQ(-EPROTO, nbd_parse_info(st.b, st.len, &e));
	st.b[5] = 0;
	st.b[4] = 0x20;
	ASSERT_EQ(-EPROTO, nbd_parse_info(st.b, st.len, &e));

	/* Information the client did not ask for is ignored. */
	st.len = 0;
	s16(&st, 1);
	s8(&st, 'x');
	ASSERT_EQ(0, nbd_parse_info(st.b, st.len, &e));
	ASSERT_EQ(-EPROTO, nbd_parse_info(st.b, 1, &e));
}

TEST(request)
{
	uint8_t r[NBD_REQUEST_LEN];

	nbd_build_request(r, NBD_CMD_FLAG_NO_HOLE, NBD_CMD_WRITE_ZEROES, 0x0102030405060708ULL,
			  0x1122334455667788ULL, 0xaabbccdd);
	ASSERT_EQ(0, memcmp(r, "\x25\x60\x95\x13\0\2\0\6"
			       "\1\2\3\4\5\6\7\x08"
			       "\x11\x22\x33\x44\x55\x66\x77\x88"
			       "\xaa\xbb\xcc\xdd", NBD_REQUEST_LEN));
}

TEST(errno_values)
{
	ASSERT_EQ(-ENOSPC, nbd_errno(28));
	ASSERT_EQ(-EPERM, nbd_errno(1));
	ASSERT_EQ(-EIO, nbd_errno(5));
	ASSERT_EQ(-EIO, nbd_errno(0));
	ASSERT_EQ(-EIO, nbd_errno(12345));
}

/* Simple replies: a write's and a flush's, then a read's data, in one stream. */
TEST(simple_replies)
{
	st.len = 0;
	simple(&st, 0, 1);
	simple(&st, 0, 2);
	simple(&st, 0, 3);
	for (int i = 0; i < 16; i++)
		s8(&st, 'a' + i);
	PARSE(&st, false, &res);
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(3, res.n);
	ASSERT_EQ(NBD_EV_DONE, res.ev[0].type);
	ASSERT_EQ(1, res.ev[0].cookie);
	ASSERT_EQ(2, res.ev[1].cookie);
	ASSERT_EQ(NBD_EV_DONE, res.ev[2].type);
	ASSERT_EQ(3, res.ev[2].cookie);
	ASSERT_EQ(0, memcmp(res.disk, "abcdefghijklmnop", 16));
	ASSERT_EQ(0xee, res.disk[16]);
}

/* A simple error reply to a read carries no data: the next reply follows at once. */
TEST(simple_error)
{
	st.len = 0;
	simple(&st, 28, 0);
	simple(&st, 0, 1);
	PARSE(&st, false, &res);
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(3, res.n);
	ASSERT_EQ(NBD_EV_ERROR, res.ev[0].type);
	ASSERT_EQ(-ENOSPC, res.ev[0].error);
	ASSERT_EQ(NBD_EV_DONE, res.ev[1].type);
	ASSERT_EQ(0, res.ev[1].cookie);
	ASSERT_EQ(1, res.ev[2].cookie);
}

/* A read in three chunks, out of order, one a hole, interleaved with a write's reply. */
TEST(structured_read)
{
	int i;

	st.len = 0;
	data_chunk(&st, 0, 0, 4096 + 512, 512, 'b');
	simple(&st, 0, 1);
	chunk(&st, 0, NBD_REPLY_TYPE_OFFSET_HOLE, 0, 12);
	s64(&st, 4096 + 256);
	s32(&st, 256);
	data_chunk(&st, NBD_REPLY_FLAG_DONE, 0, 4096, 256, 'a');
	PARSE(&st, true, &res);
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(3, res.n);
	ASSERT_EQ(NBD_EV_DONE, res.ev[0].type);
	ASSERT_EQ(1, res.ev[0].cookie);
	ASSERT_EQ(NBD_EV_HOLE, res.ev[1].type);
	ASSERT_EQ(4096 + 256, res.ev[1].offset);
	ASSERT_EQ(256, res.ev[1].len);
	ASSERT_EQ(NBD_EV_DONE, res.ev[2].type);
	ASSERT_EQ(0, res.ev[2].cookie);
	for (i = 0; i < 1024; i++)
		ASSERT_EQ(i < 256 ? 'a' : i < 512 ? 0 : 'b', res.disk[4096 + i]) TH_LOG("%d", i);
	ASSERT_EQ(0xee, res.disk[4095]);
	ASSERT_EQ(0xee, res.disk[4096 + 1024]);
}

/* NONE ends a reply; an error chunk's message (and offset) are skipped. */
TEST(structured_none_and_errors)
{
	st.len = 0;
	chunk(&st, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, 2, 0);
	chunk(&st, 0, NBD_REPLY_TYPE_ERROR, 1, 6 + 5);
	s32(&st, 28);
	s16(&st, 5);
	memcpy(st.b + st.len, "full!", 5);
	st.len += 5;
	chunk(&st, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR_OFFSET, 0, 6 + 2 + 8);
	s32(&st, 5);
	s16(&st, 2);
	s16(&st, 0x6f6b);
	s64(&st, 4096);
	/* An error type this client does not know is still an error. */
	chunk(&st, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR_BIT | 77, 3, 6);
	s32(&st, 1);
	s16(&st, 0);
	PARSE(&st, true, &res);
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(6, res.n);
	ASSERT_EQ(NBD_EV_DONE, res.ev[0].type);
	ASSERT_EQ(2, res.ev[0].cookie);
	ASSERT_EQ(NBD_EV_ERROR, res.ev[1].type);
	ASSERT_EQ(1, res.ev[1].cookie);
	ASSERT_EQ(-ENOSPC, res.ev[1].error);
	ASSERT_EQ(NBD_EV_ERROR, res.ev[2].type);
	ASSERT_EQ(-EIO, res.ev[2].error);
	ASSERT_EQ(NBD_EV_DONE, res.ev[3].type);
	ASSERT_EQ(0, res.ev[3].cookie);
	ASSERT_EQ(-EPERM, res.ev[4].error);
	ASSERT_EQ(3, res.ev[5].cookie);
}

/* Each violation alone after a good reply: the good one parses, then -EPROTO. */
static void violation(struct __test_metadata *_metadata, unsigned int i,
		      void (*bad)(struct stream *s))
{
	st.len = 0;
	simple(&st, 0, 1);
	bad(&st);
	PARSE(&st, true, &res);
	ASSERT_EQ(-EPROTO, res.ret) TH_LOG("violation %u", i);
	ASSERT_EQ(1, res.n);
	ASSERT_EQ(1, res.ev[0].cookie);
}

static void bad_magic(struct stream *s) { s32(s, 0x12345678); s32(s, 0); s64(s, 1); }
static void unknown_cookie(struct stream *s) { simple(s, 0, 9); }
static void chunk_unknown_cookie(struct stream *s) { chunk(s, 1, 0, 9, 0); }
static void none_not_done(struct stream *s) { chunk(s, 0, NBD_REPLY_TYPE_NONE, 1, 0); }
static void none_with_len(struct stream *s) { chunk(s, 1, NBD_REPLY_TYPE_NONE, 1, 4); s32(s, 0); }
static void data_for_write(struct stream *s) { data_chunk(s, 1, 1, 0, 512, 0); }
static void data_before(struct stream *s) { data_chunk(s, 1, 0, 4095, 16, 0); }
static void data_past_end(struct stream *s) { data_chunk(s, 1, 0, 4096 + 1000, 25, 0); }
static void data_huge_off(struct stream *s) { data_chunk(s, 1, 0, ~0ULL - 4, 16, 0); }
static void data_empty(struct stream *s) { chunk(s, 1, NBD_REPLY_TYPE_OFFSET_DATA, 0, 8); s64(s, 4096); }
static void hole_empty(struct stream *s)
{
	chunk(s, 1, NBD_REPLY_TYPE_OFFSET_HOLE, 0, 12);
	s64(s, 4096);
	s32(s, 0);
}
static void hole_past_end(struct stream *s)
{
	chunk(s, 1, NBD_REPLY_TYPE_OFFSET_HOLE, 0, 12);
	s64(s, 4096);
	s32(s, 1025);
}
static void hole_bad_len(struct stream *s) { chunk(s, 1, NBD_REPLY_TYPE_OFFSET_HOLE, 0, 16); }
static void unknown_type(struct stream *s) { chunk(s, 1, 5, 1, 0); }
static void error_short(struct stream *s) { chunk(s, 1, NBD_REPLY_TYPE_ERROR, 1, 4); s32(s, 5); }
static void error_msg_long(struct stream *s)
{
	chunk(s, 1, NBD_REPLY_TYPE_ERROR, 1, 8);
	s32(s, 5);
	s16(s, 3);
	s16(s, 0);
}
static void error_offset_short(struct stream *s)
{
	chunk(s, 1, NBD_REPLY_TYPE_ERROR_OFFSET, 1, 8);
	s32(s, 5);
	s16(s, 0);
	s16(s, 0);
}

TEST(violations)
{
	void (*structured[])(struct stream *) = {
		bad_magic, unknown_cookie, chunk_unknown_cookie, none_not_done, none_with_len,
		data_for_write, data_before, data_past_end, data_huge_off, data_empty,
		hole_empty, hole_past_end, hole_bad_len, unknown_type, error_short,
		error_msg_long, error_offset_short,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(structured); i++)
		violation(_metadata, i, structured[i]);
}

/* Structured chunks never negotiated are a broken server, not a reply. */
TEST(structured_not_negotiated)
{
	st.len = 0;
	simple(&st, 0, 1);
	chunk(&st, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, 2, 0);
	PARSE(&st, false, &res);
	ASSERT_EQ(-EPROTO, res.ret);
	ASSERT_EQ(1, res.n);
}

/* After -EPROTO nothing more is parsed. */
TEST(broken_stays_broken)
{
	struct nbd_parser p;
	struct nbd_event ev;

	st.len = 0;
	bad_magic(&st);
	nbd_parser_init(&p, true, lookup, NULL);
	ASSERT_EQ(-EPROTO, nbd_parse(&p, st.b, st.len, &ev));
	st.len = 0;
	simple(&st, 0, 1);
	ASSERT_EQ(-EPROTO, nbd_parse(&p, st.b, st.len, &ev));
}

TEST_HARNESS_MAIN
