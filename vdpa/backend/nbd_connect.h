/* SPDX-License-Identifier: GPL-2.0 */
/* Open a connection to an NBD server and negotiate an export (see nbd_connect.c). */
#ifndef UVDPA_NBD_CONNECT_H
#define UVDPA_NBD_CONNECT_H

#include "backend/nbd_proto.h"
#include "backend/nbd_uri.h"

/* Seconds a connect or a handshake step may take. */
#define NBD_CONNECT_TIMEOUT 10

struct nbd_conn_info {
	struct nbd_export e;
	bool structured;	/* structured replies negotiated */
};

/*
 * Connect to @u and negotiate its export: a blocking stream socket (its
 * receive and send timeouts set), or -errno with the reason in @err.
 */
int nbd_connect(const struct nbd_uri *u, struct nbd_conn_info *info, char *err, size_t errlen);

#endif
