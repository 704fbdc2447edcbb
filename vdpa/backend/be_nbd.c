// SPDX-License-Identifier: GPL-2.0
/*
 * The NBD backend: an export of an NBD server (nbd-server, qemu-nbd,
 * nbdkit), one connection per worker ring. Requests and replies are
 * io_uring socket operations on the worker's ring: one SENDMSG at a time
 * carries every queued request header and write payload (the stream must
 * not interleave), and one RECV at a time fills a buffer that the reply
 * parser (nbd_proto.c) turns into read data, errors and completions.
 * Requests are told apart by their cookie, a slot index and generation.
 *
 * A connection that breaks (the server restarted, a protocol error) is
 * shut down; once its last SQE is back, a thread reconnects with backoff
 * (the handshake blocks, and the worker must not) and hands the new socket
 * to the worker through an eventfd, and every request still in flight is
 * sent again: a write done twice writes the same data, and a read's data
 * is taken from the new replies only.
 *
 * Several rings mean several connections to one export, which the
 * protocol allows only when the server says a flush on one covers the
 * writes of all (NBD_FLAG_CAN_MULTI_CONN).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "backend/nbd_connect.h"
#include "util/efd.h"
#include "util/log.h"

/*
 * Requests in flight per connection: a worker's queues hold fewer unless it
 * serves more than 4 queues of 1024 entries; past it, requests fail (-EBUSY).
 */
#define NBD_SLOTS 4096
#define NBD_RECV_BUF (256 * 1024)
#define NBD_SEND_IOV 1024	/* UIO_MAXIOV */
#define NBD_BACKOFF_MAX_MS 1000

struct nbd_slot {
	struct nbd_slot *next;	/* on the send queue or the free list */
	uint64_t req;
	struct be_io io;
	uint16_t gen;
	bool live;
	int error;		/* the first error a reply reported */
	uint64_t covered;	/* read bytes the replies filled */
	uint8_t hdr[NBD_REQUEST_LEN];
};

/* What open() learned, shared by every ring. */
struct nbd {
	struct nbd_uri uri;
	struct nbd_conn_info info;
	int first_fd;		/* open()'s connection, for the first ring */
	struct nbd_conn *conns;	/* one per ring, freed by close() */
};

struct nbd_conn {
	struct nbd_conn *next;
	struct be_ctx *ctx;
	struct nbd *nbd;
	int fd;			/* -1 while reconnecting */
	bool broken;		/* shut down, waiting for its SQEs to come back */
	bool recv_armed;
	bool sending;
	struct be_event recv_ev, send_ev, reconn_ev;
	struct nbd_parser parser;
	uint8_t *rbuf;
	struct nbd_slot *sq_head, **sq_tail;
	struct msghdr msg;
	struct iovec siov[NBD_SEND_IOV];
	struct nbd_slot *free;
	struct nbd_slot *slots;
	/* Reconnect thread: its result, handed over by efd; stop_fd ends it. */
	pthread_t thread;
	bool thread_running;
	int stop_fd;
	int efd;
	uint64_t efd_buf;
	int new_fd;
	struct nbd_conn_info new_info;
};

static int nbd_lookup(void *arg, uint64_t cookie, struct nbd_req_info *info)
{
	struct nbd_conn *c = arg;
	struct nbd_slot *s;
	uint64_t i = cookie & 0xffff;

	if (i >= NBD_SLOTS || cookie >> 32)
		return -ENOENT;
	s = &c->slots[i];
	if (!s->live || s->gen != (uint16_t)(cookie >> 16))
		return -ENOENT;
	switch (s->io.op) {
	case BE_READ: info->type = NBD_CMD_READ; break;
	case BE_WRITE: info->type = NBD_CMD_WRITE; break;
	case BE_FLUSH: info->type = NBD_CMD_FLUSH; break;
	case BE_DISCARD: info->type = NBD_CMD_TRIM; break;
	default: info->type = NBD_CMD_WRITE_ZEROES; break;
	}
	info->offset = s->io.offset;
	info->len = s->io.len;
	return 0;
}

static void conn_break(struct nbd_conn *c, const char *why);

static void arm_recv(struct nbd_conn *c)
{
	struct io_uring_sqe *sqe = be_sqe_event(c->ctx, &c->recv_ev);

	if (!sqe) {
		conn_break(c, "no SQE");
		return;
	}
	io_uring_prep_recv(sqe, c->fd, c->rbuf, NBD_RECV_BUF, 0);
	c->recv_armed = true;
}

static void arm_reconn(struct nbd_conn *c)
{
	struct io_uring_sqe *sqe = be_sqe_event(c->ctx, &c->reconn_ev);

	if (!sqe) {
		log_err("nbd: no SQE for the reconnect doorbell: a lost connection stays lost");
		return;
	}
	io_uring_prep_read(sqe, c->efd, &c->efd_buf, sizeof(c->efd_buf), 0);
}

/* Everything queued, headers and write data, in one SENDMSG. */
static void send_kick(struct nbd_conn *c)
{
	struct io_uring_sqe *sqe;
	unsigned int n = 0, i;
	struct nbd_slot *s;

	if (c->sending || c->broken || c->fd < 0 || !c->sq_head)
		return;
	while ((s = c->sq_head)) {
		unsigned int need = 1 + (s->io.op == BE_WRITE ? s->io.iovcnt : 0);

		if (n + need > NBD_SEND_IOV)
			break;
		c->siov[n++] = (struct iovec){ s->hdr, NBD_REQUEST_LEN };
		if (s->io.op == BE_WRITE)
			for (i = 0; i < s->io.iovcnt; i++)
				c->siov[n++] = s->io.iov[i];
		c->sq_head = s->next;
	}
	if (!c->sq_head)
		c->sq_tail = &c->sq_head;
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = c->siov;
	c->msg.msg_iovlen = n;
	sqe = be_sqe_event(c->ctx, &c->send_ev);
	if (!sqe) {
		conn_break(c, "no SQE");
		return;
	}
	io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL | MSG_WAITALL);
	c->sending = true;
}

static void enqueue(struct nbd_conn *c, struct nbd_slot *s)
{
	s->next = NULL;
	*c->sq_tail = s;
	c->sq_tail = &s->next;
}

static void slot_free(struct nbd_conn *c, struct nbd_slot *s)
{
	s->live = false;
	s->gen++;
	s->next = c->free;
	c->free = s;
}

/* A reply ended: complete its request with what the replies said. */
static void slot_done(struct nbd_conn *c, struct nbd_slot *s)
{
	uint64_t req = s->req;
	int res = s->error;

	/* proto.md: a successful read's chunks cover it exactly once. */
	if (!res && s->io.op == BE_READ && s->covered != s->io.len)
		res = -EIO;
	if (!res)
		res = s->io.op == BE_READ || s->io.op == BE_WRITE ? (int)s->io.len : 0;
	slot_free(c, s);
	be_complete(c->ctx, req, res);
}

/* Read data at disk offset @off into the request's iovecs (a zero fill for NULL @data). */
static void slot_fill(struct nbd_slot *s, uint64_t off, const uint8_t *data, uint32_t len)
{
	uint64_t skip = off - s->io.offset;
	unsigned int i;

	s->covered += len;
	for (i = 0; i < s->io.iovcnt && len; i++) {
		const struct iovec *v = &s->io.iov[i];
		size_t n;

		if (skip >= v->iov_len) {
			skip -= v->iov_len;
			continue;
		}
		n = v->iov_len - skip < len ? v->iov_len - skip : len;
		if (data) {
			memcpy((uint8_t *)v->iov_base + skip, data, n);
			data += n;
		} else {
			memset((uint8_t *)v->iov_base + skip, 0, n);
		}
		len -= n;
		skip = 0;
	}
}

static void on_recv(struct be_event *ev, struct be_ctx *ctx, const struct io_uring_cqe *cqe)
{
	struct nbd_conn *c = (struct nbd_conn *)((uint8_t *)ev - offsetof(struct nbd_conn, recv_ev));
	struct nbd_event e;
	size_t off = 0;
	int n;

	c->recv_armed = false;
	if (c->broken) {
		conn_break(c, NULL);
		return;
	}
	if (cqe->res <= 0) {
		conn_break(c, cqe->res ? strerror(-cqe->res) : "the server closed the connection");
		return;
	}
	for (;;) {
		struct nbd_slot *s;

		n = nbd_parse(&c->parser, c->rbuf + off, cqe->res - off, &e);
		if (n < 0) {
			conn_break(c, "the server broke the protocol");
			return;
		}
		off += n;
		if (e.type == NBD_EV_NONE)
			break;
		s = &c->slots[e.cookie & 0xffff];
		switch (e.type) {
		case NBD_EV_DATA:
			slot_fill(s, e.offset, e.data, e.len);
			break;
		case NBD_EV_HOLE:
			slot_fill(s, e.offset, NULL, e.len);
			break;
		case NBD_EV_ERROR:
			if (!s->error)
				s->error = e.error;
			break;
		case NBD_EV_DONE:
			slot_done(c, s);
			break;
		case NBD_EV_NONE:
			break;
		}
	}
	arm_recv(c);
	send_kick(c);
}

static void on_send(struct be_event *ev, struct be_ctx *ctx, const struct io_uring_cqe *cqe)
{
	struct nbd_conn *c = (struct nbd_conn *)((uint8_t *)ev - offsetof(struct nbd_conn, send_ev));
	size_t left = cqe->res > 0 ? cqe->res : 0;
	unsigned int i;

	c->sending = false;
	if (c->broken) {
		conn_break(c, NULL);
		return;
	}
	if (cqe->res < 0) {
		conn_break(c, strerror(-cqe->res));
		return;
	}
	/* Short despite MSG_WAITALL (a signal, a buffer limit): send the rest first. */
	for (i = 0; i < c->msg.msg_iovlen && left >= c->siov[i].iov_len; i++)
		left -= c->siov[i].iov_len;
	if (i < c->msg.msg_iovlen) {
		struct io_uring_sqe *sqe = be_sqe_event(c->ctx, &c->send_ev);

		c->siov[i].iov_base = (uint8_t *)c->siov[i].iov_base + left;
		c->siov[i].iov_len -= left;
		c->msg.msg_iov = c->siov + i;
		c->msg.msg_iovlen -= i;
		if (!sqe) {
			conn_break(c, "no SQE");
			return;
		}
		io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL | MSG_WAITALL);
		c->sending = true;
		return;
	}
	send_kick(c);
}

/* Until connected, or told to stop: a server that is back is found within a backoff. */
static void *reconnect_main(void *arg)
{
	struct nbd_conn *c = arg;
	struct pollfd stop = { .fd = c->stop_fd, .events = POLLIN };
	int backoff = 10, fd, ret;
	char err[256];

	for (;;) {
		fd = nbd_connect(&c->nbd->uri, &c->new_info, err, sizeof(err));
		if (fd >= 0) {
			c->new_fd = fd;
			break;
		}
		log_debug("nbd: reconnecting: %s", err);
		ret = poll(&stop, 1, backoff);
		if (ret > 0 || (ret < 0 && errno != EINTR))
			break;
		if (backoff < NBD_BACKOFF_MAX_MS)
			backoff *= 2;
	}
	ret = efd_signal(c->efd);
	if (ret)
		log_err("nbd: cannot wake the worker: %s", strerror(-ret));
	return NULL;
}

/*
 * The connection is unusable: shut it down and, once the recv and send in
 * flight have come back, reconnect. Called again by those CQEs (@why NULL).
 */
static void conn_break(struct nbd_conn *c, const char *why)
{
	int ret;

	if (!c->broken) {
		log_err("nbd: connection to the server lost (%s); reconnecting", why);
		c->broken = true;
		shutdown(c->fd, SHUT_RDWR);
	}
	if (c->recv_armed || c->sending || c->thread_running)
		return;
	close(c->fd);
	c->fd = -1;
	c->new_fd = -1;
	ret = pthread_create(&c->thread, NULL, reconnect_main, c);
	if (ret) {
		log_err("nbd: cannot start reconnecting: %s", strerror(ret));
		return;
	}
	c->thread_running = true;
}

/* The reconnect thread is done: a new connection, and everything in flight again. */
static void on_reconnect(struct be_event *ev, struct be_ctx *ctx, const struct io_uring_cqe *cqe)
{
	struct nbd_conn *c = (struct nbd_conn *)((uint8_t *)ev - offsetof(struct nbd_conn, reconn_ev));
	unsigned int i;

	arm_reconn(c);
	if (!c->thread_running)
		return;
	pthread_join(c->thread, NULL);
	c->thread_running = false;
	if (c->new_fd < 0)
		return;
	if (c->new_info.e.size != c->nbd->info.e.size)
		log_err("nbd: the export's size changed on reconnect; keeping the old one");
	c->fd = c->new_fd;
	c->broken = false;
	nbd_parser_init(&c->parser, c->new_info.structured, nbd_lookup, c);
	c->sq_head = NULL;
	c->sq_tail = &c->sq_head;
	for (i = 0; i < NBD_SLOTS; i++) {
		struct nbd_slot *s = &c->slots[i];

		if (!s->live)
			continue;
		s->error = 0;
		s->covered = 0;
		enqueue(c, s);
	}
	log_info("nbd: reconnected to the server");
	arm_recv(c);
	send_kick(c);
}

static int nbd_open(struct be *be, const struct be_opts *opts)
{
	struct nbd *n = calloc(1, sizeof(*n));
	uint16_t f;
	int fd;

	if (!n)
		return -ENOMEM;
	if (!opts->nbd || nbd_uri_parse(opts->nbd, &n->uri, be->why, sizeof(be->why))) {
		free(n);
		return -EINVAL;
	}
	fd = nbd_connect(&n->uri, &n->info, be->why, sizeof(be->why));
	if (fd < 0) {
		free(n);
		return fd;
	}
	f = n->info.e.flags;
	if (n->info.e.size < 512 || (!opts->read_only && f & NBD_FLAG_READ_ONLY)) {
		snprintf(be->why, sizeof(be->why), n->info.e.size < 512 ?
			 "the NBD export is smaller than one sector" :
			 "the NBD export is read-only: add --ro");
		close(fd);
		free(n);
		return -EINVAL;
	}
	n->first_fd = fd;
	be->priv = n;
	be->fd = -1;
	be->size = n->info.e.size & ~511ULL;
	be->block_size = n->info.e.min_block > 512 ? n->info.e.min_block : 512;
	be->phys_block_size = n->info.e.pref_block > be->block_size ? n->info.e.pref_block :
			      be->block_size;
	if (be->phys_block_size > 65536)
		be->phys_block_size = be->block_size;
	be->read_only = opts->read_only;
	be->discard = !be->read_only && f & NBD_FLAG_SEND_TRIM;
	be->write_zeroes = !be->read_only && f & NBD_FLAG_SEND_WRITE_ZEROES;
	return 0;
}

/* Once every worker is gone: no request is in flight; a reconnect under way is stopped. */
static void conn_free(struct nbd_conn *c)
{
	int ret;

	if (c->thread_running) {
		ret = efd_signal(c->stop_fd);
		if (ret)
			log_err("nbd: cannot stop reconnecting: %s", strerror(-ret));
		pthread_join(c->thread, NULL);
		if (c->new_fd >= 0)
			close(c->new_fd);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->efd >= 0)
		close(c->efd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	free(c->slots);
	free(c->rbuf);
	free(c);
}

static void nbd_close(struct be *be)
{
	struct nbd *n = be->priv;
	struct nbd_conn *c;

	while ((c = n->conns)) {
		n->conns = c->next;
		conn_free(c);
	}
	if (n->first_fd >= 0)
		close(n->first_fd);
	free(n);
	be->priv = NULL;
}

static int nbd_attach(struct be *be, struct be_ctx *ctx)
{
	struct nbd *n = be->priv;
	struct nbd_conn_info info = n->info;
	struct nbd_conn *c;
	unsigned int i;
	int fd;

	if (n->conns && !(n->info.e.flags & NBD_FLAG_CAN_MULTI_CONN)) {
		snprintf(be->why, sizeof(be->why), "the NBD server does not allow several "
			 "connections to one export (NBD_FLAG_CAN_MULTI_CONN): use --workers 1");
		return -EOPNOTSUPP;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = c->efd = c->stop_fd = -1;
	c->next = n->conns;
	n->conns = c;
	c->slots = calloc(NBD_SLOTS, sizeof(*c->slots));
	c->rbuf = malloc(NBD_RECV_BUF);
	c->efd = eventfd(0, EFD_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!c->slots || !c->rbuf || c->efd < 0 || c->stop_fd < 0)
		return -ENOMEM;
	fd = n->first_fd;
	n->first_fd = -1;
	if (fd < 0) {
		fd = nbd_connect(&n->uri, &info, be->why, sizeof(be->why));
		if (fd < 0)
			return fd;
	}
	for (i = NBD_SLOTS; i--;) {
		c->slots[i].next = c->free;
		c->free = &c->slots[i];
	}
	c->ctx = ctx;
	c->nbd = n;
	c->fd = fd;
	c->sq_tail = &c->sq_head;
	c->recv_ev.cqe = on_recv;
	c->send_ev.cqe = on_send;
	c->reconn_ev.cqe = on_reconnect;
	nbd_parser_init(&c->parser, info.structured, nbd_lookup, c);
	ctx->priv = c;
	arm_recv(c);
	arm_reconn(c);
	return 0;
}

static int nbd_submit(struct be *be, struct be_ctx *ctx, const struct be_io *io, uint64_t req)
{
	struct nbd *n = be->priv;
	struct nbd_conn *c = ctx->priv;
	struct nbd_slot *s = c->free;
	uint16_t type, flags = 0;

	switch (io->op) {
	case BE_READ: type = NBD_CMD_READ; break;
	case BE_WRITE: type = NBD_CMD_WRITE; break;
	case BE_FLUSH:
		/* A server that offers no flush writes through. */
		if (!(n->info.e.flags & NBD_FLAG_SEND_FLUSH))
			return 0;
		type = NBD_CMD_FLUSH;
		break;
	case BE_DISCARD: type = NBD_CMD_TRIM; break;
	case BE_WRITE_ZEROES:
		type = NBD_CMD_WRITE_ZEROES;
		/* Without UNMAP the zeroes must stay allocated (virtio 5.2.6.2). */
		if (!io->unmap)
			flags = NBD_CMD_FLAG_NO_HOLE;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (io->len > UINT32_MAX)
		return -EINVAL;
	if (!s)
		return -EBUSY;
	c->free = s->next;
	s->live = true;
	s->req = req;
	s->io = *io;
	s->error = 0;
	s->covered = 0;
	nbd_build_request(s->hdr, flags, type, (uint64_t)s->gen << 16 | (s - c->slots),
			  io->offset, type == NBD_CMD_FLUSH ? 0 : io->len);
	enqueue(c, s);
	send_kick(c);
	return 1;
}

const struct be_ops be_nbd_ops = {
	.name = "nbd",
	.help = "an export of an NBD server (--nbd URI)",
	.kind = BE_BLOCK,
	.takes = BE_OPT_NBD,
	.needs = BE_OPT_NBD,
	.open = nbd_open,
	.close = nbd_close,
	.attach = nbd_attach,
	.submit = nbd_submit,
};
