/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tap backend of virtio-net (be_tap_ops): a tap device opened with
 * IFF_VNET_HDR, so that every frame read or written carries a 12-byte
 * virtio-net header (TUNSETVNETHDRSZ) whose offload fields the kernel
 * honours within what TUNSETOFFLOAD allows. Beyond its ops, its link state
 * (IFF_UP) is watched over rtnetlink and reported to a callback, for the
 * device's VIRTIO_NET_S_LINK_UP, in the network namespace the tap lives in:
 * moved into another one (a container's), it is followed there.
 */
#ifndef UVDPA_BE_TAP_H
#define UVDPA_BE_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "util/poll_thread.h"

struct be_tap {
	int fd;
	char name[IFNAMSIZ];
	unsigned int ifindex;	/* in the namespace it lives in */
	bool created;		/* made by be_tap_open: it goes away with the fd */
	bool up;		/* IFF_UP, as last seen */
	bool watching;
	int nl_fd;		/* rtnetlink, in the tap's namespace */
	struct poll_thread watch;
	int offload_fd;		/* written when offload changes */
	unsigned int offload;	/* TUN_F_* wanted */
	void (*link_changed)(void *arg, bool up);
	void *arg;
};

/*
 * be_tap_ops.open() fills @be from opts->tap_fd when it is >= 0 (an
 * inherited tap: -ENOTTY if it is not a tap, -EINVAL if it was opened
 * without IFF_TAP, IFF_NO_PI and IFF_VNET_HDR), or else attaches to the
 * tap opts->ifname, or creates it (non-persistent) with MTU opts->mtu when
 * no interface has that name: -ENODEV without /dev/net/tun, -EPERM without
 * CAP_NET_ADMIN, -EBUSY when another process holds it, -EINVAL when the
 * name is no tap's, or the kernel's errno. be->priv is then the tap.
 *
 * set_offload(): while the link is watched, the watch thread sets the
 * offloads soon after: TUNSETOFFLOAD takes the RTNL lock, which
 * virtio_net's probe holds while it waits for this device to take
 * DRIVER_OK.
 */
static inline struct be_tap *be_tap(const struct be *be)
{
	return be->priv;
}

/*
 * Report IFF_UP changes to @cb (on a thread of its own) from now until
 * be_tap_unwatch() or be_tap_close(); t->up holds the state at the call.
 * A tap that moves to another namespace is down there at first (the kernel
 * closes it), and followed; a deleted one stays down.
 */
int be_tap_watch(struct be_tap *t, void (*cb)(void *arg, bool up), void *arg);
void be_tap_unwatch(struct be_tap *t);

#endif
