// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad: serve a virtio device through VDUSE until SIGINT or SIGTERM, and
 * leave nothing behind: the vdpa device is detached and the VDUSE device
 * destroyed on every way out but one: SIGUSR2 hands a blk device over to
 * the next daemon (docs/reliability.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "backend/backend.h"
#include "dev/blk.h"
#include "daemon/cli.h"
#include "daemon/ctl.h"
#include "daemon/state_file.h"
#include "util/log.h"
#include "dev/net.h"
#include "backend/be_tap.h"
#include "vduse/vdpa_bus.h"
#include "vduse/vdpa_nl.h"
#include "vduse/vduse_dev.h"
#include "worker/worker.h"

/* Exit statuses: 2 for a command line that cannot work, 1 for a failure. */
#define EXIT_USAGE 2

static const char *driver_of(enum cli_attach a)
{
	return a == CLI_ATTACH_VHOST ? "vhost_vdpa" : "virtio_vdpa";
}

static void explain_create(const struct cli_opts *o, int ret)
{
	bool net = !strcmp(o->type, "net");

	/* A net device needs CAP_NET_ADMIN, and VDUSE allows net only since Linux 6.10. */
	if (net && ret == -EPERM) {
		log_err("cannot create '%s': a VDUSE net device needs CAP_NET_ADMIN (run as root)",
			o->name);
		return;
	}
	if (net && ret == -EINVAL) {
		log_err("cannot create '%s': this kernel's VDUSE refuses virtio-net devices "
			"(Linux 6.10 or later needed)", o->name);
		return;
	}
	switch (ret) {
	case -ENODEV:
		log_err("cannot create '%s': the vduse kernel module is not loaded (modprobe vduse)",
			o->name);
		break;
	case -EACCES:
	case -EPERM:
		log_err("cannot create '%s': no permission on /dev/vduse/control (run as root)",
			o->name);
		break;
	case -EEXIST:
		log_err("cannot create '%s': a VDUSE device of that name exists "
			"(another uvdpad? if its daemon is gone, take it over with --reconnect)",
			o->name);
		break;
	default:
		log_err("cannot create '%s': %s", o->name, strerror(-ret));
	}
}

static void explain_open(const struct cli_opts *o, int ret)
{
	if (ret == -ENOENT)
		log_err("cannot reconnect to '%s': there is no such VDUSE device (start without "
			"--reconnect)", o->name);
	else if (ret == -EBUSY)
		log_err("cannot reconnect to '%s': another daemon still serves it", o->name);
	else
		explain_create(o, ret);
}

static int attach(const struct cli_opts *o, struct vdpa_nl *nl)
{
	int ret = vdpa_nl_dev_add(nl, "vduse", o->name);

	if (ret) {
		log_err("cannot add '%s' to the vdpa bus: %s", o->name, strerror(-ret));
		return ret;
	}
	ret = vdpa_bus_bind(o->name, driver_of(o->attach));
	if (ret) {
		log_err("cannot bind '%s' to %s: %s%s", o->name, driver_of(o->attach),
			strerror(-ret), ret == -ENOENT ? " (modprobe it)" : "");
		vdpa_nl_dev_del(nl, o->name);
	}
	return ret;
}

/* Whoever attached it, a device still on the bus goes before the VDUSE device can. */
static void detach(const char *name)
{
	struct vdpa_nl *nl;
	int ret;

	if (vdpa_nl_open(&nl))
		return;
	if (vdpa_nl_dev_get(nl, name, NULL) == 0) {
		ret = vdpa_nl_dev_del(nl, name);
		if (ret)
			log_err("cannot remove '%s' from the vdpa bus: %s", name, strerror(-ret));
	}
	vdpa_nl_close(nl);
}

/*
 * The filter asked for on the command line. When BPF cannot be used here
 * (no privilege, no bpf() system call, a verifier that refuses the program)
 * the built-in passthrough serves and one line says why; a filter or a
 * parameter that does not exist is the user's mistake and ends the daemon.
 */
static int start_filter(const struct cli_opts *o, struct ctl_dev *cd)
{
	const char *what = o->filter ? o->filter : o->filter_object;
	char err[512];
	int ret;

	if (!what)
		return 0;
	ret = ctl_set_filter(cd, o->filter, o->filter_object, o->filter_params,
			     o->nr_filter_params, err, sizeof(err));
	if (ret && ret != -EPERM && ret != -ENOSYS && ret != -EACCES) {
		log_err("filter %s: %s", what, err);
		return ret;
	}
	if (ret)
		log_err("filter %s not loaded: %s; the built-in passthrough serves", what, err);
	else
		log_debug("filter %s loaded", what);
	return 0;
}

/*
 * One device for serve(): a model and what it needs of the daemon around
 * the VDUSE device's life.
 */
struct served {
	const struct dev_model *model;
	void *dev;
	uint32_t device_id;
	uint64_t features;
	const void *config;
	uint32_t config_size;
	unsigned int nr_queues;
	unsigned int nr_workers;
	/* Control thread, before any queue runs: see struct vduse_dev_params. */
	void (*umem_ready)(void *arg, const struct iovec *umem);
	/* Each worker's ring before the worker runs, and once it is gone. */
	int (*ring_attach)(struct served *s, struct be_ctx *ctx);
	void (*ring_detach)(struct served *s, struct be_ctx *ctx);
	/* The device's messages are served; it is not on the bus yet. */
	int (*running)(struct served *s, struct vduse_dev *dev);
	/* Workers gone: e.g. print statistics. */
	void (*stopped)(struct served *s);
	/* Keep an in-flight log, so that --reconnect can take the device over. */
	bool resumable;
	char what[128];	/* for the ready line */
	void *arg;
};

/*
 * The in-flight log: a fresh one for a new device, the previous daemon's
 * for --reconnect. A new device can do without one (it just cannot be
 * taken over); a reconnect cannot.
 */
static int open_log(const struct cli_opts *o, const struct served *s, struct state_file *log)
{
	struct state_file_params p = {
		.name = o->name,
		.nr_queues = s->nr_queues,
		.queue_size = o->queue_size,
		.device_features = s->features,
		.config = s->config,
		.config_size = s->config_size,
	};
	char why[160];
	int ret;

	if (!o->reconnect) {
		ret = state_file_create(log, &p);
		if (ret)
			log_err("cannot create %s: %s; '%s' cannot be taken over by --reconnect",
				log->path, strerror(-ret), o->name);
		return 0;
	}
	ret = state_file_open(log, &p, why, sizeof(why));
	if (ret == -ENOENT)
		log_err("cannot reconnect to '%s': no saved state in %s", o->name, log->path);
	else if (ret == -ESTALE)
		log_err("cannot reconnect to '%s': %s was saved with other options: %s "
			"(use the options of the daemon that made it)", o->name, log->path, why);
	else if (ret)
		log_err("cannot reconnect to '%s': %s: %s", o->name, log->path, strerror(-ret));
	return ret;
}

static int serve(const struct cli_opts *o, struct served *s)
{
	struct ctl_dev cd = {
		.name = o->name,
		.nr_queues = s->nr_queues,
		.filter_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct vduse_dev dev;
	struct vduse_dev_params dev_params;
	struct state_file log = { .hdr = NULL };
	/* Until it serves, a daemon that reconnects must not end the device it found. */
	bool handed_over = o->reconnect;
	struct worker **workers;
	struct ctl *ctl = NULL;
	char err[512];
	struct vdpa_nl *nl = NULL;
	unsigned int i, started = 0;
	sigset_t sigs;
	int ret, sig;

	if (o->attach) {
		ret = vdpa_nl_open(&nl);
		if (ret) {
			log_err("cannot reach the kernel's vdpa interface: %s%s", strerror(-ret),
				ret == -ENOENT ? " (modprobe vdpa)" : "");
			return ret;
		}
	}
	dev_params = (struct vduse_dev_params){
		.name = o->name,
		.device_id = s->device_id,
		.features = s->features,
		.config = s->config,
		.config_size = s->config_size,
		.nr_queues = s->nr_queues,
		.queue_size = o->queue_size,
		.umem = !o->no_umem,
		.umem_ready = s->umem_ready,
		.umem_arg = s->arg,
	};
	ret = o->reconnect ? vduse_dev_open(&dev, &dev_params) : vduse_dev_create(&dev, &dev_params);
	if (ret) {
		if (o->reconnect)
			explain_open(o, ret);
		else
			explain_create(o, ret);
		goto out_nl;
	}
	/* Only once the device is ours: a refused daemon must not touch another's log. */
	if (s->resumable) {
		ret = open_log(o, s, &log);
		if (ret)
			goto out_dev;
		dev.log = log.hdr;
	}

	/* Only the main thread takes the signals that end the daemon. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	ret = -ENOMEM;
	workers = calloc(s->nr_workers, sizeof(*workers));
	if (!workers)
		goto out_dev;
	for (i = 0; i < s->nr_workers; i++) {
		/* Queues in contiguous runs, the first workers taking one more. */
		unsigned int share = s->nr_queues / s->nr_workers;
		unsigned int extra = s->nr_queues % s->nr_workers;
		unsigned int first = i * share + (i < extra ? i : extra);

		ret = worker_new(&workers[i], s->model, s->dev, first, share + (i < extra));
		if (!ret && s->ring_attach)
			ret = s->ring_attach(s, worker_be_ctx(workers[i]));
		if (!ret)
			ret = worker_run(workers[i]);
		if (ret) {
			log_err("cannot start worker %u: %s", i, strerror(-ret));
			goto out_workers;
		}
		started++;
	}
	cd.workers = workers;
	cd.nr_workers = s->nr_workers;
	ret = start_filter(o, &cd);
	if (ret)
		goto out_workers;
	ret = vduse_dev_run(&dev, workers, s->nr_workers);
	if (ret == -ESTALE || ret == -EOPNOTSUPP) {
		log_err("cannot reconnect to '%s': the device does not match %s: %s", o->name,
			log.path, dev.why);
		goto out_workers;
	}
	if (ret) {
		log_err("cannot %s: %s", o->reconnect ? "resume the device" :
			"start the control thread", strerror(-ret));
		goto out_workers;
	}
	handed_over = false;
	if (s->running) {
		ret = s->running(s, &dev);
		if (ret)
			goto out_control;
	}
	if (o->attach) {
		ret = attach(o, nl);
		if (ret)
			goto out_control;
	}
	/* Without the socket the device still works; only run-time control is lost. */
	if (ctl_start(&ctl, &cd, err, sizeof(err)))
		log_err("%s: no control socket: %s", o->name, err);
	log_info("%s ready: %s, %u queue(s) on %u worker(s)%s%s", o->name, s->what,
		 s->nr_queues, s->nr_workers,
		 o->reconnect ? ", resumed" : o->attach ? ", attached to " :
		 ", attach with: vdpa dev add mgmtdev vduse name ",
		 o->reconnect ? "" : o->attach ? driver_of(o->attach) : o->name);

	for (;;) {
		sigwait(&sigs, &sig);
		if (sig != SIGUSR2 || log.hdr)
			break;
		log_err("%s: cannot hand over without a state file; still serving", o->name);
	}
	log_debug("signal %d: stopping", sig);
	ret = 0;
	ctl_stop(ctl);
	if (sig == SIGUSR2) {
		/* Stopping the queues drains them: the log is left with nothing in flight. */
		vduse_dev_stop(&dev);
		vq_log_set_clean(log.hdr, true);
		handed_over = true;
		log_info("%s saved in %s: start the new uvdpad with --reconnect", o->name,
			 log.path);
		goto out_workers;
	}
out_control:
	detach(o->name);
	vduse_dev_stop(&dev);
out_workers:
	for (i = 0; i < s->nr_workers; i++) {
		if (i < started) {
			worker_exit(workers[i]);
			if (s->ring_detach)
				s->ring_detach(s, worker_be_ctx(workers[i]));
		}
		worker_free(workers[i]);
	}
	free(workers);
	nf_prog_free(cd.filter);
	if (s->stopped)
		s->stopped(s);
out_dev:
	if (handed_over)
		vduse_dev_release(&dev);
	else if (vduse_dev_destroy(&dev))
		log_err("cannot destroy the VDUSE device '%s'", o->name);
	/* Kept for the next daemon unless this one ended the device. */
	state_file_close(&log, handed_over);
out_nl:
	if (nl)
		vdpa_nl_close(nl);
	return ret;
}

/* Control thread, before any queue runs: see struct vduse_dev_params. */
static void use_fixed(void *arg, const struct iovec *umem)
{
	struct be *be = arg;

	be->fixed = *umem;
}

static int blk_ring_attach(struct served *s, struct be_ctx *ctx)
{
	struct be *be = s->arg;

	return be->ops->attach(be, ctx);
}

static void blk_ring_detach(struct served *s, struct be_ctx *ctx)
{
	struct be *be = s->arg;

	if (be->ops->detach)
		be->ops->detach(be, ctx);
}

/* After the detach: removing the disk flushes it. */
static void blk_stopped(struct served *s)
{
	const struct blk_dev *blk = s->dev;
	const struct blk_stats *st = &blk->stats;

	log_debug("blk: reads %llu writes %llu flushes %llu discards %llu write_zeroes %llu "
		  "get_ids %llu io_errors %llu bad_requests %llu",
		  (unsigned long long)st->reads, (unsigned long long)st->writes,
		  (unsigned long long)st->flushes, (unsigned long long)st->discards,
		  (unsigned long long)st->write_zeroes, (unsigned long long)st->get_ids,
		  (unsigned long long)st->io_errors, (unsigned long long)st->bad_requests);
}

static int serve_blk(const struct cli_opts *o, struct be *be)
{
	struct blk_opts bo = {
		.num_queues = o->queues,
		.queue_size = o->queue_size,
		.packed = o->packed,
		.name = o->name,
	};
	struct blk_dev blk;
	struct served s = {
		.model = &blk_model,
		.dev = &blk,
		.device_id = VIRTIO_ID_BLOCK,
		.nr_queues = o->queues,
		.nr_workers = o->workers,
		.umem_ready = use_fixed,
		.ring_attach = blk_ring_attach,
		.ring_detach = blk_ring_detach,
		.stopped = blk_stopped,
		.resumable = true,
		.arg = be,
	};
	int ret;

	ret = blk_dev_init(&blk, be, &bo);
	if (ret) {
		log_err("cannot set up the virtio-blk device: %s", strerror(-ret));
		return ret;
	}
	s.features = blk.features;
	s.config = &blk.config;
	s.config_size = blk.config_size;
	snprintf(s.what, sizeof(s.what), "virtio-blk, %llu bytes", (unsigned long long)be->size);
	return serve(o, &s);
}

struct net_served {
	struct net_dev net;
	struct be be;
	struct be_tap *tap;
	struct vduse_dev *vdev;
	pthread_mutex_t lock;
};

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
	struct net_served *n = s->arg;
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
	struct net_served *n = s->arg;
	const struct net_stats *st = &n->net.stats;

	/* No config change after this: the VDUSE device goes next. */
	be_tap_unwatch(n->tap);
	log_debug("net: tx_frames %llu tx_bytes %llu tx_malformed %llu tx_errors %llu "
		  "rx_frames %llu rx_bytes %llu rx_dropped %llu rx_bad_buffers %llu rx_errors %llu",
		  (unsigned long long)st->tx_frames, (unsigned long long)st->tx_bytes,
		  (unsigned long long)st->tx_malformed, (unsigned long long)st->tx_errors,
		  (unsigned long long)st->rx_frames, (unsigned long long)st->rx_bytes,
		  (unsigned long long)st->rx_dropped, (unsigned long long)st->rx_bad_buffers,
		  (unsigned long long)st->rx_errors);
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

static int serve_net(const struct cli_opts *o)
{
	struct net_served n = { .be = { .ops = &be_tap_ops }, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct net_opts no = { .mtu = o->net.mtu, .packed = o->packed };
	struct served s = {
		.model = &net_model,
		.dev = &n.net,
		.device_id = VIRTIO_ID_NET,
		.nr_queues = NET_NR_QUEUES,
		.nr_workers = 1,
		.running = net_running,
		.stopped = net_stopped,
		.arg = &n,
	};
	const uint8_t *m = o->net.mac;
	int ret;

	ret = n.be.ops->open(&n.be, &(struct be_opts){
		.ifname = o->net.tap ? o->net.tap : "uvdpa%d",
		.tap_fd = o->net.tap_fd,
		.mtu = o->net.mtu,
	});
	if (ret) {
		explain_tap(o, ret);
		return ret;
	}
	n.tap = be_tap(&n.be);
	memcpy(no.mac, o->net.mac, sizeof(no.mac));
	ret = net_dev_init(&n.net, &n.be, &no);
	if (ret) {
		log_err("cannot set up the virtio-net device: %s", strerror(-ret));
		goto out;
	}
	net_dev_set_link(&n.net, n.tap->up, &(unsigned int){ 0 }, &(unsigned int){ 0 });
	s.features = n.net.features;
	s.config = &n.net.config;
	s.config_size = n.net.config_size;
	snprintf(s.what, sizeof(s.what),
		 "virtio-net, tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u", n.tap->name,
		 m[0], m[1], m[2], m[3], m[4], m[5], o->net.mtu);
	ret = serve(o, &s);
	net_dev_fini(&n.net);
out:
	n.be.ops->close(&n.be);
	return ret;
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct be be = { .fd = -1 };
	char err[256];
	int ret;

	if (cli_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "uvdpad: %s\n(uvdpad --help for usage)\n", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(cli_usage, stdout);
		return 0;
	}
	log_set_verbose(o.verbose);
	if (!strcmp(o.type, "net"))
		return serve_net(&o) ? EXIT_FAILURE : 0;

	be.ops = be_find(o.backend);
	ret = be.ops->open(&be, &(struct be_opts){
		.path = o.path,
		.size = o.size,
		.direct = o.direct,
		.read_only = o.read_only,
	});
	if (ret) {
		log_err("cannot open the %s backend%s%s: %s", o.backend, o.path ? " " : "",
			o.path ? o.path : "", strerror(-ret));
		return EXIT_FAILURE;
	}
	ret = serve_blk(&o, &be);
	be.ops->close(&be);
	return ret ? EXIT_FAILURE : 0;
}
