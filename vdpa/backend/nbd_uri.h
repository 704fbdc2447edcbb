/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NBD URIs, the subset of NBD's doc/uri.md that uvdpad accepts:
 * nbd://HOST[:PORT][/EXPORT] (TCP, port 10809 by default; HOST may be an
 * IPv6 address in brackets) and nbd+unix:///[EXPORT]?socket=PATH.
 */
#ifndef UVDPA_NBD_URI_H
#define UVDPA_NBD_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "backend/nbd_proto.h"

struct nbd_uri {
	bool unix_socket;
	char host[256];
	char port[6];
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char export_name[NBD_MAX_NAME + 1];
};

/* Fill @u from @s: 0, or -EINVAL with the reason in @err. */
int nbd_uri_parse(const char *s, struct nbd_uri *u, char *err, size_t errlen);

#endif
