// SPDX-License-Identifier: GPL-2.0
/*
 * The tap backend: open or create the tap, set its virtio-net header and
 * offloads, move frames with readv/writev on the worker's ring, and watch
 * its link over rtnetlink (libnl).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "backend/be_tap.h"
#include "util/efd.h"
#include "util/log.h"

#define TUN_DEV "/dev/net/tun"
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/* Interface ioctls (flags, MTU) go through any socket of the namespace. */
static int tap_ifreq(struct be_tap *t, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	strcpy(ifr->ifr_name, t->name);
	if (ioctl(s, req, ifr))
		ret = -errno;
	close(s);
	return ret;
}

/* Virtio 1.x headers are 12 bytes, num_buffers included (5.1.6). */
static int tap_setup(struct be_tap *t)
{
	int sz = sizeof(struct virtio_net_hdr_mrg_rxbuf);
	struct ifreq ifr = { 0 };
	int ret;

	if (ioctl(t->fd, TUNSETVNETHDRSZ, &sz))
		return -errno;
	/* The vnet header is little-endian, as virtio 1.x; a no-op on LE hosts. */
	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) {
		int on = 1;

		if (ioctl(t->fd, TUNSETVNETLE, &on))
			return -errno;
	}
	if (ioctl(t->fd, TUNSETOFFLOAD, 0))
		return -errno;
	t->ifindex = if_nametoindex(t->name);
	if (!t->ifindex)
		return -errno;
	ret = tap_ifreq(t, SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	t->up = ifr.ifr_flags & IFF_UP;
	return 0;
}

static void tap_init(struct be_tap *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->offload_fd = -1;
}

static int tap_open_name(struct be_tap *t, const char *name, unsigned int mtu)
{
	struct ifreq ifr = { 0 };
	int ret;

	tap_init(t);
	if (strlen(name) >= IFNAMSIZ || !name[0])
		return -EINVAL;
	t->created = !if_nametoindex(name);
	t->fd = open(TUN_DEV, O_RDWR | O_CLOEXEC);
	if (t->fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = TAP_FLAGS;
	if (ioctl(t->fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		goto err;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	if (t->created) {
		struct ifreq m = { .ifr_mtu = mtu };

		ret = tap_ifreq(t, SIOCSIFMTU, &m);
		if (ret)
			goto err;
	}
	ret = tap_setup(t);
	if (ret)
		goto err;
	return 0;
err:
	close(t->fd);
	t->fd = -1;
	return ret;
}

static int tap_use_fd(struct be_tap *t, int fd)
{
	struct ifreq ifr = { 0 };

	tap_init(t);
	if (ioctl(fd, TUNGETIFF, &ifr))
		return errno == EBADF ? -EBADF : -ENOTTY;
	if ((ifr.ifr_flags & TAP_FLAGS) != TAP_FLAGS)
		return -EINVAL;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->fd = fd;
	return tap_setup(t);
}

static unsigned int tap_offload_flags(unsigned int flags)
{
	return (flags & BE_OFFLOAD_CSUM ? TUN_F_CSUM : 0) |
	       (flags & BE_OFFLOAD_TSO4 ? TUN_F_TSO4 : 0) |
	       (flags & BE_OFFLOAD_TSO6 ? TUN_F_TSO6 : 0);
}

static void tap_apply_offload(struct be_tap *t)
{
	unsigned int off = __atomic_load_n(&t->offload, __ATOMIC_ACQUIRE);

	if (ioctl(t->fd, TUNSETOFFLOAD, off))
		log_err("tap %s: cannot set offloads %#x: %s", t->name, off, strerror(errno));
	else
		log_debug("tap %s: offloads %#x", t->name, off);
}

static void tap_set_offload(struct be *be, unsigned int flags)
{
	struct be_tap *t = be_tap(be);
	int ret;

	__atomic_store_n(&t->offload, tap_offload_flags(flags), __ATOMIC_RELEASE);
	if (!t->nl) {
		tap_apply_offload(t);
		return;
	}
	ret = efd_signal(t->offload_fd);
	if (ret)
		log_err("tap %s: cannot ask for offloads: %s", t->name, strerror(-ret));
}

static int tap_link_msg(struct nl_msg *msg, void *arg)
{
	struct be_tap *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;
	bool up;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(nlh);
	if ((unsigned int)ifi->ifi_index != t->ifindex)
		return NL_OK;
	up = nlh->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP);
	if (up != t->up) {
		__atomic_store_n(&t->up, up, __ATOMIC_RELAXED);
		log_debug("tap %s: link %s", t->name, up ? "up" : "down");
		t->link_changed(t->arg, up);
	}
	return NL_OK;
}

/* The link watch, woken by rtnetlink and by offload requests. */
static int tap_watch_ready(void *arg, const struct pollfd *fds)
{
	struct be_tap *t = arg;

	if (fds[1].revents & POLLIN && efd_take(t->offload_fd))
		tap_apply_offload(t);
	if (fds[0].revents & POLLIN)
		nl_recvmsgs_default(t->nl);
	return 0;
}

int be_tap_watch(struct be_tap *t, void (*cb)(void *arg, bool up), void *arg)
{
	struct ifreq ifr = { 0 };
	char what[IFNAMSIZ + 32];
	int fds[2];
	int ret;

	t->link_changed = cb;
	t->arg = arg;
	t->nl = nl_socket_alloc();
	if (!t->nl)
		return -ENOMEM;
	nl_socket_disable_seq_check(t->nl);
	nl_socket_modify_cb(t->nl, NL_CB_VALID, NL_CB_CUSTOM, tap_link_msg, t);
	ret = nl_connect(t->nl, NETLINK_ROUTE);
	if (!ret)
		ret = nl_socket_add_membership(t->nl, RTNLGRP_LINK);
	if (!ret)
		ret = nl_socket_set_nonblocking(t->nl);
	if (ret) {
		ret = -EIO;
		goto err;
	}
	/* Read the state after subscribing, so that no change falls in between. */
	ret = tap_ifreq(t, SIOCGIFFLAGS, &ifr);
	if (ret)
		goto err;
	t->up = ifr.ifr_flags & IFF_UP;
	t->offload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->offload_fd < 0) {
		ret = -errno;
		goto err;
	}
	fds[0] = nl_socket_get_fd(t->nl);
	fds[1] = t->offload_fd;
	snprintf(what, sizeof(what), "tap %s: link watch", t->name);
	ret = poll_thread_start(&t->watch, what, fds, 2, tap_watch_ready, t);
	if (ret)
		goto err_fd;
	return 0;
err_fd:
	close(t->offload_fd);
	t->offload_fd = -1;
err:
	nl_socket_free(t->nl);
	t->nl = NULL;
	return ret;
}

void be_tap_unwatch(struct be_tap *t)
{
	if (!t->nl)
		return;
	poll_thread_stop(&t->watch);
	close(t->offload_fd);
	t->offload_fd = -1;
	nl_socket_free(t->nl);
	t->nl = NULL;
}

static int tap_open(struct be *be, const struct be_opts *opts)
{
	struct be_tap *t = malloc(sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	if (opts->tap_fd >= 0)
		ret = tap_use_fd(t, opts->tap_fd);
	else
		ret = tap_open_name(t, opts->ifname, opts->mtu);
	if (ret) {
		free(t);
		return ret;
	}
	be->fd = t->fd;
	be->priv = t;
	return 0;
}

static void tap_close(struct be *be)
{
	struct be_tap *t = be_tap(be);

	be_tap_unwatch(t);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	be->fd = -1;
	be->priv = NULL;
}

/* A tap reads and writes one frame per call, its vnet header first. */
static int tap_submit(struct be *be, struct be_ctx *ctx, const struct be_io *io, uint64_t req)
{
	struct io_uring_sqe *sqe;

	if (io->op != BE_TRANSMIT && io->op != BE_RECEIVE)
		return -EOPNOTSUPP;
	sqe = be_sqe_req(ctx, req);
	if (!sqe)
		return -EBUSY;
	if (io->op == BE_TRANSMIT)
		io_uring_prep_writev(sqe, be->fd, io->iov, io->iovcnt, 0);
	else
		io_uring_prep_readv(sqe, be->fd, io->iov, io->iovcnt, 0);
	return 1;
}

/* A read waits for a frame that may never come. */
static void tap_cancel(struct be *be, struct be_ctx *ctx, uint64_t req)
{
	struct io_uring_sqe *sqe = be_sqe_req(ctx, 0);

	if (sqe)
		io_uring_prep_cancel64(sqe, req, 0);
}

const struct be_ops be_tap_ops = {
	.name = "tap",
	.kind = BE_NET,
	.open = tap_open,
	.close = tap_close,
	.attach = be_attach_none,
	.submit = tap_submit,
	.cancel = tap_cancel,
	.set_offload = tap_set_offload,
};
