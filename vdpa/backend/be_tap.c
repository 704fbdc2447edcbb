// SPDX-License-Identifier: GPL-2.0
/*
 * The tap backend: open or create the tap, set its virtio-net header and
 * offloads, move frames with readv/writev on the worker's ring, and watch
 * its link over rtnetlink in whatever network namespace it lives.
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
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>

#include "backend/be_tap.h"
#include "util/efd.h"
#include "util/log.h"
#include "util/netns.h"

#define TUN_DEV "/dev/net/tun"
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/*
 * The tap's network namespace, which follows it when it moves (ip link set
 * TAP netns NS): a descriptor of it and its inode (nsfs has one per
 * namespace), or -1 and 0 when the kernel does not say. It says only to
 * CAP_NET_ADMIN over that namespace; a process without it sees its own
 * namespace only, and can make no VDUSE net device anyway (uvdpad says so
 * next). 0, or -errno (-EBADFD: the tap is gone).
 */
static int tap_netns(const struct be_tap *t, int *nsfd, ino_t *ino)
{
	struct stat st;
	int ret;

	*ino = 0;
	*nsfd = ioctl(t->fd, TUNGETDEVNETNS);
	if (*nsfd < 0)
		return errno == EPERM ? 0 : -errno;
	if (fstat(*nsfd, &st)) {
		ret = -errno;
		close(*nsfd);
		return ret;
	}
	*ino = st.st_ino;
	return 0;
}

/*
 * An rtnetlink socket where the tap lives, in the multicast group of link
 * changes if @watch; the namespace's inode in @ino. Its ifreq ioctls act
 * in that namespace too: any socket's do (netlink passes them to the
 * device layer).
 */
static int tap_socket(const struct be_tap *t, bool watch, ino_t *ino)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	const int type = SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK;
	int nsfd, s, ret;

	ret = tap_netns(t, &nsfd, ino);
	if (ret)
		return ret;
	if (nsfd < 0) {
		s = socket(AF_NETLINK, type, NETLINK_ROUTE);
		if (s < 0)
			return -errno;
	} else {
		s = netns_socket(nsfd, AF_NETLINK, type, NETLINK_ROUTE);
		close(nsfd);
		if (s < 0)
			return s;
	}
	if (watch && bind(s, (struct sockaddr *)&a, sizeof(a))) {
		ret = -errno;
		close(s);
		return ret;
	}
	return s;
}

static int tap_ifreq(int s, const char *name, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(s, req, ifr) ? -errno : 0;
}

/*
 * The tap's index and IFF_UP through @s, a socket in its namespace, by the
 * name it has now (a move may rename it). -ENODEV when it is no longer
 * there.
 */
static int tap_read_link(const struct be_tap *t, int s, unsigned int *ifindex, bool *up)
{
	struct ifreq ifr = { 0 };
	char name[IFNAMSIZ];
	int ret;

	if (ioctl(t->fd, TUNGETIFF, &ifr))
		return -errno;
	memcpy(name, ifr.ifr_name, sizeof(name));
	ret = tap_ifreq(s, name, SIOCGIFINDEX, &ifr);
	if (ret)
		return ret;
	*ifindex = ifr.ifr_ifindex;
	ret = tap_ifreq(s, name, SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	*up = ifr.ifr_flags & IFF_UP;
	return 0;
}

/* Virtio 1.x headers are 12 bytes, num_buffers included (5.1.6). */
static int tap_setup(struct be_tap *t, unsigned int mtu)
{
	int sz = sizeof(struct virtio_net_hdr_mrg_rxbuf);
	struct ifreq ifr = { .ifr_mtu = mtu };
	ino_t ino;
	int s, ret;

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
	s = tap_socket(t, false, &ino);
	if (s < 0)
		return s;
	ret = mtu ? tap_ifreq(s, t->name, SIOCSIFMTU, &ifr) : 0;
	if (!ret)
		ret = tap_read_link(t, s, &t->ifindex, &t->up);
	close(s);
	return ret;
}

static void tap_init(struct be_tap *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->nl_fd = -1;
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
	ret = tap_setup(t, t->created ? mtu : 0);
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
	return tap_setup(t, 0);
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
	if (!t->watching) {
		tap_apply_offload(t);
		return;
	}
	ret = efd_signal(t->offload_fd);
	if (ret)
		log_err("tap %s: cannot ask for offloads: %s", t->name, strerror(-ret));
}

static void tap_set_up(struct be_tap *t, bool up)
{
	if (up == t->up)
		return;
	__atomic_store_n(&t->up, up, __ATOMIC_RELAXED);
	log_debug("tap %s: link %s", t->name, up ? "up" : "down");
	t->link_changed(t->arg, up);
}

/*
 * Watch the link where the tap lives now: 1 (up) or 0 (down), or -errno.
 * A socket in its namespace, subscribed before the state is read, so that
 * no change falls in between. A move after the subscription comes as an
 * RTM_DELLINK on it; one before it is seen by asking for the namespace
 * again, and followed.
 */
static int tap_follow(struct be_tap *t)
{
	unsigned int ifindex, tries;
	ino_t ino, now;
	int s, nsfd, ret;
	bool up;

	for (tries = 0;; tries++) {
		s = tap_socket(t, true, &ino);
		if (s < 0)
			return s;
		ret = tap_read_link(t, s, &ifindex, &up);
		if (!ret)
			ret = tap_netns(t, &nsfd, &now);
		if (!ret && nsfd >= 0)
			close(nsfd);
		if (!ret && now == ino)
			break;
		close(s);
		/* A tap that keeps moving while we look is given up on (-EAGAIN). */
		if ((ret && ret != -ENODEV) || tries == 3)
			return ret ? ret : -EAGAIN;
	}
	if (t->nl_fd >= 0)
		close(t->nl_fd);
	t->nl_fd = s;
	t->ifindex = ifindex;
	return up;
}

/* On the watch thread: the tap left the namespace we watched, or events were lost. */
static void tap_refollow(struct be_tap *t)
{
	int ret = tap_follow(t);

	if (ret < 0) {
		/* -EBADFD: the tap was deleted, and its link with it. */
		if (ret != -EBADFD)
			log_err("tap %s: cannot follow its link: %s; reported down", t->name,
				strerror(-ret));
		if (t->nl_fd >= 0)
			close(t->nl_fd);
		t->nl_fd = -1;
	}
	poll_thread_set_fd(&t->watch, 0, t->nl_fd);
	tap_set_up(t, ret > 0);
}

/* true when the tap left: it moved to another namespace, or is gone. */
static bool tap_link_msg(struct be_tap *t, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return false;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return false;
	if ((unsigned int)ifi->ifi_index != t->ifindex)
		return false;
	if (nlh->nlmsg_type == RTM_DELLINK)
		return true;
	tap_set_up(t, ifi->ifi_flags & IFF_UP);
	return false;
}

static void tap_link_events(struct be_tap *t)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *nlh;
	ssize_t n;

	for (;;) {
		n = recv(t->nl_fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		/* ENOBUFS: the socket overran and changes were lost; read the state anew. */
		if (n < 0 && errno == ENOBUFS)
			break;
		if (n < 0)
			return;
		for (nlh = (void *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n))
			if (tap_link_msg(t, nlh))
				goto left;
	}
left:
	tap_refollow(t);
}

/* The link watch, woken by rtnetlink and by offload requests. */
static int tap_watch_ready(void *arg, const struct pollfd *fds)
{
	struct be_tap *t = arg;

	if (fds[1].revents & POLLIN && efd_take(t->offload_fd))
		tap_apply_offload(t);
	if (fds[0].revents & POLLIN)
		tap_link_events(t);
	return 0;
}

int be_tap_watch(struct be_tap *t, void (*cb)(void *arg, bool up), void *arg)
{
	char what[IFNAMSIZ + 32];
	int fds[2];
	int ret;

	t->link_changed = cb;
	t->arg = arg;
	ret = tap_follow(t);
	if (ret < 0)
		return ret;
	t->up = ret;
	t->offload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->offload_fd < 0) {
		ret = -errno;
		goto err;
	}
	fds[0] = t->nl_fd;
	fds[1] = t->offload_fd;
	snprintf(what, sizeof(what), "tap %s: link watch", t->name);
	ret = poll_thread_start(&t->watch, what, fds, 2, tap_watch_ready, t);
	if (ret)
		goto err_fd;
	t->watching = true;
	return 0;
err_fd:
	close(t->offload_fd);
	t->offload_fd = -1;
err:
	close(t->nl_fd);
	t->nl_fd = -1;
	return ret;
}

void be_tap_unwatch(struct be_tap *t)
{
	if (!t->watching)
		return;
	poll_thread_stop(&t->watch);
	t->watching = false;
	close(t->offload_fd);
	t->offload_fd = -1;
	if (t->nl_fd >= 0)
		close(t->nl_fd);
	t->nl_fd = -1;
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
