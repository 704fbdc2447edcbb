// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/nbd_uri.h"

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copy [@s, @s + @n) to @dst of @size bytes: false if it does not fit. */
static bool copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static int parse_authority(const char *s, size_t n, struct nbd_uri *u, char *err,
			   size_t errlen)
{
	const char *host = s, *port = NULL, *end = s + n;
	size_t hlen;
	char *stop;
	long v;

	if (n && *s == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return bad(err, errlen, "NBD URI: unclosed '[' in the host");
		host = s + 1;
		hlen = close - host;
		if (close + 1 < end) {
			if (close[1] != ':')
				return bad(err, errlen, "NBD URI: junk after the host's ']'");
			port = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		hlen = colon ? (size_t)(colon - s) : n;
		if (colon)
			port = colon + 1;
	}
	if (!hlen)
		return bad(err, errlen, "NBD URI: no host (nbd://HOST[:PORT]/EXPORT)");
	if (!copy(u->host, sizeof(u->host), host, hlen))
		return bad(err, errlen, "NBD URI: host name too long");
	if (!port) {
		strcpy(u->port, "10809");
		return 0;
	}
	v = strtol(port, &stop, 10);
	if (port == end || stop != end || *port == '-' || *port == '+' || v < 1 || v > 65535)
		return bad(err, errlen, "NBD URI: bad port '%.*s'", (int)(end - port), port);
	snprintf(u->port, sizeof(u->port), "%ld", v);
	return 0;
}

int nbd_uri_parse(const char *s, struct nbd_uri *u, char *err, size_t errlen)
{
	static const char tcp[] = "nbd://", unx[] = "nbd+unix://";
	const char *p, *slash, *query;

	memset(u, 0, sizeof(*u));
	if (!strncmp(s, tcp, strlen(tcp))) {
		p = s + strlen(tcp);
		slash = strchr(p, '/');
		if (strchr(p, '?'))
			return bad(err, errlen, "NBD URI: nbd:// takes no query");
		if (parse_authority(p, slash ? (size_t)(slash - p) : strlen(p), u, err, errlen))
			return -EINVAL;
		if (slash && !copy(u->export_name, sizeof(u->export_name), slash + 1,
				   strlen(slash + 1)))
			return bad(err, errlen, "NBD URI: export name too long");
		return 0;
	}
	if (strncmp(s, unx, strlen(unx)))
		return bad(err, errlen, "NBD URI: '%s' is neither nbd:// nor nbd+unix://", s);
	u->unix_socket = true;
	p = s + strlen(unx);
	if (*p != '/' && *p != '?' && *p)
		return bad(err, errlen, "NBD URI: nbd+unix:// takes no host (nbd+unix:///EXPORT?socket=PATH)");
	query = strchr(p, '?');
	if (!query || strncmp(query, "?socket=", 8) || !query[8])
		return bad(err, errlen, "NBD URI: nbd+unix:// needs ?socket=PATH");
	if (strchr(query + 8, '&'))
		return bad(err, errlen, "NBD URI: only the socket= parameter is known");
	if (!copy(u->socket, sizeof(u->socket), query + 8, strlen(query + 8)))
		return bad(err, errlen, "NBD URI: socket path too long");
	if (*p == '/')
		p++;
	if (!copy(u->export_name, sizeof(u->export_name), p, query - p))
		return bad(err, errlen, "NBD URI: export name too long");
	return 0;
}
