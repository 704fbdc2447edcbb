/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sockets in another network namespace. A socket stays in the namespace it
 * was made in, whatever thread uses it later, so the daemon can watch an
 * interface that lives elsewhere (a tap moved into a container) without
 * any of its own threads changing namespace.
 */
#ifndef UVDPA_NETNS_H
#define UVDPA_NETNS_H

/*
 * socket(@domain, @type, @protocol) made in the network namespace of
 * @nsfd (a /proc/PID/ns/net or TUNGETDEVNETNS descriptor): the fd, or
 * -errno (-EPERM without CAP_SYS_ADMIN over that namespace, unless it is
 * our own).
 */
int netns_socket(int nsfd, int domain, int type, int protocol);

#endif
