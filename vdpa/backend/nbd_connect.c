// SPDX-License-Identifier: GPL-2.0
/*
 * Connecting to an NBD server: the socket and the fixed newstyle handshake
 * (structured replies, then NBD_OPT_GO), on a blocking socket with a
 * timeout. It runs before a worker serves (at open and attach) and on the
 * NBD backend's reconnect thread, never on a worker.
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "backend/nbd_connect.h"

/* Longest option reply data read: an error message, NBD_REP_INFO. */
#define NBD_MAX_REPLY 4096

static int why(char *buf, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

static int io_all(int fd, void *buf, size_t len, bool out)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (!n)
			return -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

static int open_socket(const struct nbd_uri *u, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = NBD_CONNECT_TIMEOUT };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	int fd = -1, one = 1, ret;

	if (u->unix_socket) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", u->socket);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			ret = -errno;
			close(fd);
			return why(err, errlen, ret, "cannot connect to the NBD server at %s: %s",
				   u->socket, strerror(-ret));
		}
	} else {
		ret = getaddrinfo(u->host, u->port, &hints, &ai);
		if (ret)
			return why(err, errlen, -EHOSTUNREACH, "cannot resolve NBD server '%s': %s",
				   u->host, gai_strerror(ret));
		ret = -ECONNREFUSED;
		for (a = ai; a; a = a->ai_next) {
			fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
			if (fd < 0)
				continue;
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			if (!connect(fd, a->ai_addr, a->ai_addrlen))
				break;
			ret = -errno;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		if (fd < 0)
			return why(err, errlen, ret, "cannot connect to the NBD server %s:%s: %s",
				   u->host, u->port, strerror(-ret));
		/* Requests are small and answered one by one: no Nagle delay. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int send_option(int fd, uint32_t opt, const void *data, uint32_t len)
{
	uint8_t buf[16 + 8 + NBD_MAX_NAME];
	int n = nbd_build_option(buf, sizeof(buf), opt, data, len);

	return n < 0 ? n : io_all(fd, buf, n, true);
}

/* One option reply: its header, and its data (at most NBD_MAX_REPLY bytes) in @data. */
static int read_reply(int fd, uint32_t opt, struct nbd_opt_reply *r, uint8_t *data)
{
	uint8_t h[NBD_OPT_REPLY_LEN];
	int ret = io_all(fd, h, sizeof(h), false);

	if (ret)
		return ret;
	if (nbd_parse_opt_reply(h, r) || r->opt != opt || r->len > NBD_MAX_REPLY)
		return -EPROTO;
	return io_all(fd, data, r->len, false);
}

static int handshake(int fd, const struct nbd_uri *u, struct nbd_conn_info *info, char *err,
		     size_t errlen)
{
	uint8_t g[NBD_GREETING_LEN], data[NBD_MAX_REPLY + 1], go[8 + NBD_MAX_NAME];
	struct nbd_opt_reply r;
	uint32_t cflags;
	uint16_t flags;
	int ret, n;

	ret = io_all(fd, g, sizeof(g), false);
	if (!ret && nbd_parse_greeting(g, &flags))
		return why(err, errlen, -EPROTO, "not an NBD server (or not fixed newstyle)");
	if (ret)
		return why(err, errlen, ret, "no NBD greeting: %s", strerror(-ret));
	cflags = htobe32(NBD_FLAG_C_FIXED_NEWSTYLE |
			 (flags & NBD_FLAG_NO_ZEROES ? NBD_FLAG_C_NO_ZEROES : 0));
	ret = io_all(fd, &cflags, sizeof(cflags), true);
	if (!ret)
		ret = send_option(fd, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	if (!ret)
		ret = read_reply(fd, NBD_OPT_STRUCTURED_REPLY, &r, data);
	if (ret)
		goto broken;
	/* Without them replies are simple: a read's error then ends the stream's sync. */
	info->structured = r.type == NBD_REP_ACK;
	n = nbd_build_go(go, sizeof(go), u->export_name);
	if (n < 0)
		return why(err, errlen, n, "export name too long");
	ret = send_option(fd, NBD_OPT_GO, go, n);
	memset(&info->e, 0, sizeof(info->e));
	info->e.min_block = 1;
	while (!ret) {
		ret = read_reply(fd, NBD_OPT_GO, &r, data);
		if (ret)
			break;
		if (r.type == NBD_REP_ACK)
			break;
		if (r.type == NBD_REP_INFO) {
			ret = nbd_parse_info(data, r.len, &info->e);
			continue;
		}
		if (r.type & NBD_REP_FLAG_ERROR) {
			data[r.len] = '\0';
			return why(err, errlen, r.type == NBD_REP_ERR_UNKNOWN ? -ENOENT : -EACCES,
				   "the NBD server refused export '%s': %s%s%s", u->export_name,
				   nbd_rep_err_str(r.type), r.len ? ": " : "", (char *)data);
		}
		ret = -EPROTO;
	}
	if (!ret && !info->e.have_export)
		ret = -EPROTO;
	if (!ret)
		return 0;
broken:
	return why(err, errlen, ret, "NBD handshake failed: %s",
		   ret == -EPROTO ? "the server broke the protocol" : strerror(-ret));
}

int nbd_connect(const struct nbd_uri *u, struct nbd_conn_info *info, char *err, size_t errlen)
{
	int fd = open_socket(u, err, errlen), ret;

	if (fd < 0)
		return fd;
	ret = handshake(fd, u, info, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}
