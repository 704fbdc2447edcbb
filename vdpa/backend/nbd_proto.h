/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NBD protocol's wire format, as pure functions on byte buffers (no
 * sockets): the fixed newstyle handshake's messages, transmission requests,
 * and a streaming parser for simple and structured replies. Numbers and
 * names follow the protocol document (NBD's doc/proto.md); every field is
 * big-endian on the wire.
 */
#ifndef UVDPA_NBD_PROTO_H
#define UVDPA_NBD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NBD_MAGIC		0x4e42444d41474943ULL	/* "NBDMAGIC" */
#define NBD_IHAVEOPT		0x49484156454f5054ULL	/* "IHAVEOPT" */
#define NBD_REP_MAGIC		0x0003e889045565a9ULL
#define NBD_REQUEST_MAGIC	0x25609513U
#define NBD_SIMPLE_REPLY_MAGIC	0x67446698U
#define NBD_STRUCTURED_REPLY_MAGIC 0x668e33efU

/* Handshake flags (server) and client flags. */
#define NBD_FLAG_FIXED_NEWSTYLE	(1U << 0)
#define NBD_FLAG_NO_ZEROES	(1U << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1U << 0)
#define NBD_FLAG_C_NO_ZEROES	(1U << 1)

/* Options and option replies. */
#define NBD_OPT_ABORT		2
#define NBD_OPT_GO		7
#define NBD_OPT_STRUCTURED_REPLY 8
#define NBD_REP_ACK		1
#define NBD_REP_INFO		3
#define NBD_REP_FLAG_ERROR	(1U << 31)
#define NBD_REP_ERR_UNSUP	(NBD_REP_FLAG_ERROR | 1)
#define NBD_REP_ERR_POLICY	(NBD_REP_FLAG_ERROR | 2)
#define NBD_REP_ERR_INVALID	(NBD_REP_FLAG_ERROR | 3)
#define NBD_REP_ERR_PLATFORM	(NBD_REP_FLAG_ERROR | 4)
#define NBD_REP_ERR_TLS_REQD	(NBD_REP_FLAG_ERROR | 5)
#define NBD_REP_ERR_UNKNOWN	(NBD_REP_FLAG_ERROR | 6)
#define NBD_REP_ERR_SHUTDOWN	(NBD_REP_FLAG_ERROR | 7)
#define NBD_REP_ERR_BLOCK_SIZE_REQD (NBD_REP_FLAG_ERROR | 8)
#define NBD_REP_ERR_TOO_BIG	(NBD_REP_FLAG_ERROR | 9)
#define NBD_INFO_EXPORT		0
#define NBD_INFO_BLOCK_SIZE	3

/* Transmission flags, from NBD_INFO_EXPORT. */
#define NBD_FLAG_HAS_FLAGS	(1U << 0)
#define NBD_FLAG_READ_ONLY	(1U << 1)
#define NBD_FLAG_SEND_FLUSH	(1U << 2)
#define NBD_FLAG_SEND_FUA	(1U << 3)
#define NBD_FLAG_SEND_TRIM	(1U << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1U << 6)
#define NBD_FLAG_CAN_MULTI_CONN	(1U << 8)

/* Commands and their flags. */
#define NBD_CMD_READ		0
#define NBD_CMD_WRITE		1
#define NBD_CMD_DISC		2
#define NBD_CMD_FLUSH		3
#define NBD_CMD_TRIM		4
#define NBD_CMD_WRITE_ZEROES	6
#define NBD_CMD_FLAG_NO_HOLE	(1U << 1)

/* Structured reply chunks. */
#define NBD_REPLY_FLAG_DONE	(1U << 0)
#define NBD_REPLY_TYPE_NONE	0
#define NBD_REPLY_TYPE_OFFSET_DATA 1
#define NBD_REPLY_TYPE_OFFSET_HOLE 2
#define NBD_REPLY_TYPE_ERROR_BIT (1U << 15)
#define NBD_REPLY_TYPE_ERROR	(NBD_REPLY_TYPE_ERROR_BIT | 1)
#define NBD_REPLY_TYPE_ERROR_OFFSET (NBD_REPLY_TYPE_ERROR_BIT | 2)

#define NBD_GREETING_LEN	18	/* NBDMAGIC, IHAVEOPT, 16-bit flags */
#define NBD_OPT_REPLY_LEN	20	/* magic, option, type, length */
#define NBD_REQUEST_LEN		28
#define NBD_SIMPLE_REPLY_LEN	16
#define NBD_CHUNK_LEN		20
/* The longest export name NBD_OPT_GO carries here (the protocol allows 4096). */
#define NBD_MAX_NAME		4096

/* The server's greeting: its handshake flags, or -EPROTO (not fixed newstyle NBD). */
int nbd_parse_greeting(const uint8_t buf[NBD_GREETING_LEN], uint16_t *flags);

/*
 * An option request: @opt with @len bytes of data @data (may be NULL when
 * @len is 0) written to @buf; returns the bytes used (16 + @len), or
 * -ENOSPC when @buflen is too small.
 */
int nbd_build_option(uint8_t *buf, size_t buflen, uint32_t opt, const void *data,
		     uint32_t len);

/* NBD_OPT_GO's data for @name asking for NBD_INFO_BLOCK_SIZE: its length, or -ENOSPC / -EINVAL. */
int nbd_build_go(uint8_t *buf, size_t buflen, const char *name);

struct nbd_opt_reply {
	uint32_t opt;
	uint32_t type;
	uint32_t len;		/* bytes of data that follow */
};

/* An option reply's header: 0, or -EPROTO for a bad magic. */
int nbd_parse_opt_reply(const uint8_t buf[NBD_OPT_REPLY_LEN], struct nbd_opt_reply *r);

/* What NBD_OPT_GO's NBD_REP_INFO replies said about the export. */
struct nbd_export {
	uint64_t size;
	uint16_t flags;		/* transmission flags */
	uint32_t min_block;	/* 1 when the server gave no NBD_INFO_BLOCK_SIZE */
	uint32_t pref_block;
	uint32_t max_block;
	bool have_export;	/* NBD_INFO_EXPORT came */
};

/*
 * One NBD_REP_INFO's data (@len bytes) folded into @e: 0, or -EPROTO when
 * it is malformed. Unknown information types are ignored, as the protocol
 * asks.
 */
int nbd_parse_info(const uint8_t *data, uint32_t len, struct nbd_export *e);

/* A readable name for an option reply's error type. */
const char *nbd_rep_err_str(uint32_t type);

/* A transmission request header in @buf; the write's data follows it on the wire. */
void nbd_build_request(uint8_t buf[NBD_REQUEST_LEN], uint16_t flags, uint16_t type,
		       uint64_t cookie, uint64_t offset, uint32_t len);

/* An NBD error value as a negative errno (EIO for values the protocol does not name). */
int nbd_errno(uint32_t err);

/* The request a reply answers, as the caller knows it. */
struct nbd_req_info {
	uint16_t type;
	uint64_t offset;
	uint32_t len;
};

/*
 * Finds the request in flight with @cookie: 0 with *@info filled, or
 * -ENOENT. The parser calls it once per reply or chunk header.
 */
typedef int (*nbd_lookup_fn)(void *arg, uint64_t cookie, struct nbd_req_info *info);

enum nbd_event_type {
	NBD_EV_NONE,		/* more bytes needed */
	NBD_EV_DATA,		/* read data: @data, @len bytes at disk offset @offset */
	NBD_EV_HOLE,		/* read data: @len zero bytes at @offset */
	NBD_EV_ERROR,		/* the request failed with @error (-errno) */
	NBD_EV_DONE,		/* the last reply to @cookie: it may complete */
};

struct nbd_event {
	enum nbd_event_type type;
	uint64_t cookie;
	uint64_t offset;
	const uint8_t *data;	/* into the caller's buffer */
	uint32_t len;
	int error;
};

/*
 * A reply stream in parsing. Bytes may arrive in any split; the parser
 * keeps at most one header's worth of them itself.
 */
struct nbd_parser {
	int state;
	bool structured;	/* structured replies were negotiated */
	uint8_t hdr[NBD_CHUNK_LEN + 8 + 6];
	uint32_t have;		/* bytes in hdr */
	uint32_t need;		/* bytes hdr must hold for the current step */
	struct nbd_event cur;	/* the reply or chunk being parsed */
	struct nbd_req_info req;
	uint16_t chunk_flags;
	uint16_t chunk_type;
	uint32_t left;		/* payload bytes of the current reply or chunk still to come */
	nbd_lookup_fn lookup;
	void *arg;
};

void nbd_parser_init(struct nbd_parser *p, bool structured, nbd_lookup_fn lookup, void *arg);

/*
 * Parse from @buf (@len bytes): consumes bytes until one event is ready,
 * stores it in *@ev and returns the bytes consumed (possibly 0 when an
 * event needs no more input), or -EPROTO when the server broke the protocol
 * (a bad magic, an unknown cookie, a chunk that does not fit its request).
 * ev->type is NBD_EV_NONE when all of @buf was consumed without an event.
 * After -EPROTO the stream is lost: reinitialise on a new connection.
 */
int nbd_parse(struct nbd_parser *p, const uint8_t *buf, size_t len, struct nbd_event *ev);

#endif
