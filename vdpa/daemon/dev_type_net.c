// SPDX-License-Identifier: GPL-2.0
/* uvdpad net: a virtio-net device on a tap, its link following the tap's. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "backend/be_tap.h"
#include "daemon/dev_type.h"
#include "dev/net.h"
#include "util/array_size.h"
#include "util/log.h"

struct net_served {
	struct net_dev net;
	struct be be;
	struct be_tap *tap;
	struct vduse_dev *vdev;
	pthread_mutex_t lock;
};

static void net_usage(FILE *out)
{
	fputs("usage: uvdpad net --name NAME [--tap IFNAME | --tap-fd N] [--mac MAC] [--mtu N]\n"
	      "                  [--queue-size N] [--packed|--split] [--no-umem]\n"
	      "                  [--attach [virtio|vhost] | --reconnect]\n"
	      "                  [--filter NAME [key=value...] | --filter-object FILE] [-v]\n"
	      "\n"
	      "Creates a virtio-net device (one queue pair) through VDUSE whose frames go to a tap\n"
	      "device on this host, and serves it until SIGINT or SIGTERM. Needs CAP_NET_ADMIN and\n"
	      "Linux 6.10 or later.\n"
	      "\n"
	      "  --tap IFNAME       attach to this tap, or create it (removed on exit); default: a new\n"
	      "                     tap named uvdpaN. Its link (ip link set IFNAME up/down) is the\n"
	      "                     device's link.\n"
	      "  --tap-fd N         an inherited tap fd opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR\n"
	      "  --mac MAC          the device's MAC address (default: 02:75:76 and a hash of NAME)\n"
	      "  --mtu N            the device's MTU, 68 to 65535 (default 1500); a tap created here\n"
	      "                     gets it too\n"
	      "  other options as for blk\n", out);
}

/* Locally administered, stable for a name: 02:75:76 ("uv") and an FNV-1a hash. */
static void default_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x75;
	mac[2] = 0x76;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

static int net_check(struct cli_opts *o, char *err, size_t errlen)
{
	if (o->net.tap && o->net.tap_fd >= 0)
		return cli_fail(err, errlen, "give --tap or --tap-fd, not both");
	if (o->reconnect && o->attach)
		return cli_fail(err, errlen, "--reconnect takes over a device that is attached "
				"already: drop --attach");
	if (!o->net.mac_set)
		default_mac(o->name, o->net.mac);
	if (!o->net.mtu)
		o->net.mtu = 1500;
	o->workers = 1;
	return 0;
}

static void explain_tap(const struct cli_opts *o, int ret)
{
	const char *why;

	if (o->net.tap_fd >= 0) {
		why = ret == -EBADF ? "it is not open" :
		      ret == -ENOTTY ? "it is not a tap" :
		      ret == -EINVAL ? "open it with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR" :
		      strerror(-ret);
		log_err("cannot use --tap-fd %d: %s", o->net.tap_fd, why);
		return;
	}
	why = ret == -ENODEV ? "no /dev/net/tun (modprobe tun)" :
	      ret == -EPERM ? "creating or attaching a tap needs CAP_NET_ADMIN (run as root)" :
	      ret == -EBUSY ? "another process has it open" :
	      ret == -EINVAL ? "an interface of that name exists and is no tap" :
	      strerror(-ret);
	log_err("cannot open tap %s: %s", o->net.tap ? o->net.tap : "uvdpa%d", why);
}

static int net_setup(const struct cli_opts *o, struct served *s)
{
	struct net_opts no = { .mtu = o->net.mtu, .packed = o->packed };
	const uint8_t *m = o->net.mac;
	struct net_served *n = calloc(1, sizeof(*n));
	int ret;

	if (!n) {
		log_err("cannot set up the virtio-net device: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	n->be.ops = &be_tap_ops;
	ret = n->be.ops->open(&n->be, &(struct be_opts){
		.ifname = o->net.tap ? o->net.tap : "uvdpa%d",
		.tap_fd = o->net.tap_fd,
		.mtu = o->net.mtu,
	});
	if (ret) {
		explain_tap(o, ret);
		goto err;
	}
	n->tap = be_tap(&n->be);
	memcpy(no.mac, o->net.mac, sizeof(no.mac));
	ret = net_dev_init(&n->net, &n->be, &no);
	if (ret) {
		log_err("cannot set up the virtio-net device: %s", strerror(-ret));
		n->be.ops->close(&n->be);
		goto err;
	}
	net_dev_set_link(&n->net, n->tap->up, &(unsigned int){ 0 }, &(unsigned int){ 0 });
	*s = (struct served){
		.model = &net_model,
		.dev = &n->net,
		.be = &n->be,
		.device_id = VIRTIO_ID_NET,
		.features = n->net.features,
		.config = &n->net.config,
		.config_size = n->net.config_size,
		/*
		 * Not compared on --reconnect either: the link may have changed
		 * while no daemon watched; net_running() tells the driver.
		 */
		.size_off = offsetof(struct virtio_net_config, status),
		.size_len = sizeof(n->net.config.status),
		.nr_queues = NET_NR_QUEUES,
		.nr_workers = 1,
		.resumable = true,
		.priv = n,
	};
	snprintf(s->what, sizeof(s->what),
		 "virtio-net, tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u", n->tap->name,
		 m[0], m[1], m[2], m[3], m[4], m[5], o->net.mtu);
	return 0;
err:
	pthread_mutex_destroy(&n->lock);
	free(n);
	return ret;
}

/* The tap's link, now, into the config space: from the link watch and once at start. */
static void net_link(void *arg, bool up)
{
	struct net_served *n = arg;
	unsigned int off, len;
	int ret;

	pthread_mutex_lock(&n->lock);
	up = __atomic_load_n(&n->tap->up, __ATOMIC_RELAXED);
	net_dev_set_link(&n->net, up, &off, &len);
	ret = vduse_dev_set_config(n->vdev, off, (uint8_t *)&n->net.config + off, len);
	pthread_mutex_unlock(&n->lock);
	if (ret)
		log_err("cannot tell the driver the link is %s: %s", up ? "up" : "down",
			strerror(-ret));
}

static int net_running(struct served *s, struct vduse_dev *dev)
{
	struct net_served *n = s->priv;
	int ret;

	n->vdev = dev;
	ret = be_tap_watch(n->tap, net_link, n);
	if (ret) {
		log_err("cannot watch the link of tap %s: %s", n->tap->name, strerror(-ret));
		return ret;
	}
	/* A change between opening the tap and watching it. */
	net_link(n, n->tap->up);
	return 0;
}

static void net_stopped(struct served *s)
{
	struct net_served *n = s->priv;

	/* No config change after this: the VDUSE device goes next. */
	be_tap_unwatch(n->tap);
}

static void net_stats(const struct served *s, FILE *out)
{
	static const struct dev_stat_field fields[] = {
#define FIELD(f) { #f, offsetof(struct net_stats, f) }
		FIELD(tx_frames), FIELD(tx_bytes), FIELD(tx_malformed), FIELD(tx_errors),
		FIELD(rx_frames), FIELD(rx_bytes), FIELD(rx_dropped), FIELD(rx_bad_buffers),
		FIELD(rx_errors), FIELD(rx_staged),
#undef FIELD
	};
	const struct net_served *n = s->priv;

	dev_type_print_stats(out, "net", &n->net.stats, fields, ARRAY_SIZE(fields));
}

static void net_info(const struct cli_opts *o, const struct served *s, FILE *out)
{
	const struct net_served *n = s->priv;
	const uint8_t *m = o->net.mac;

	fprintf(out, "backend=%s mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u tap=%s link=%s\n",
		n->be.ops->name, m[0], m[1], m[2], m[3], m[4], m[5], o->net.mtu, n->tap->name,
		__atomic_load_n(&n->tap->up, __ATOMIC_RELAXED) ? "up" : "down");
}

static void net_teardown(struct served *s)
{
	struct net_served *n = s->priv;

	net_dev_fini(&n->net);
	n->be.ops->close(&n->be);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

const struct dev_type dev_type_net = {
	.name = "net",
	.usage = net_usage,
	.check = net_check,
	.setup = net_setup,
	.running = net_running,
	.stopped = net_stopped,
	.teardown = net_teardown,
	.stats = net_stats,
	.info = net_info,
};
