// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad: serve a virtio device through VDUSE until SIGINT or SIGTERM, and
 * leave nothing behind: the vdpa device is detached and the VDUSE device
 * destroyed on every way out.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "backend.h"
#include "blk.h"
#include "cli.h"
#include "ctl.h"
#include "log.h"
#include "vdpa_bus.h"
#include "vdpa_nl.h"
#include "vduse_dev.h"
#include "worker.h"

/* Exit statuses: 2 for a command line that cannot work, 1 for a failure. */
#define EXIT_USAGE 2

static const char *driver_of(enum cli_attach a)
{
	return a == CLI_ATTACH_VHOST ? "vhost_vdpa" : "virtio_vdpa";
}

static void explain_create(const struct cli_opts *o, int ret)
{
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
		log_err("cannot create '%s': a VDUSE device of that name exists (another uvdpad?)",
			o->name);
		break;
	default:
		log_err("cannot create '%s': %s", o->name, strerror(-ret));
	}
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

/* Control thread, before any queue runs: see struct vduse_dev_params. */
static void use_fixed(void *arg, const struct iovec *umem)
{
	struct be *be = arg;

	be->fixed = *umem;
}

static void log_stats(const char *name, const struct blk_stats *st)
{
	log_debug("%s: reads %llu writes %llu flushes %llu discards %llu write_zeroes %llu "
		  "get_ids %llu io_errors %llu bad_requests %llu", name,
		  (unsigned long long)st->reads, (unsigned long long)st->writes,
		  (unsigned long long)st->flushes, (unsigned long long)st->discards,
		  (unsigned long long)st->write_zeroes, (unsigned long long)st->get_ids,
		  (unsigned long long)st->io_errors, (unsigned long long)st->bad_requests);
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

static int serve(const struct cli_opts *o, struct be *be)
{
	struct blk_opts bo = {
		.num_queues = o->queues,
		.queue_size = o->queue_size,
		.packed = o->packed,
		.name = o->name,
	};
	struct ctl_dev cd = {
		.name = o->name,
		.nr_queues = o->queues,
		.filter_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct blk_dev blk;
	struct vduse_dev dev;
	struct worker *workers;
	struct ctl *ctl = NULL;
	char err[512];
	struct vdpa_nl *nl = NULL;
	unsigned int i, started = 0;
	sigset_t sigs;
	int ret, sig;

	ret = blk_dev_init(&blk, be, &bo);
	if (ret) {
		log_err("cannot set up the virtio-blk device: %s", strerror(-ret));
		return ret;
	}
	if (o->attach) {
		ret = vdpa_nl_open(&nl);
		if (ret) {
			log_err("cannot reach the kernel's vdpa interface: %s%s", strerror(-ret),
				ret == -ENOENT ? " (modprobe vdpa)" : "");
			return ret;
		}
	}
	ret = vduse_dev_create(&dev, &(struct vduse_dev_params){
		.name = o->name,
		.device_id = VIRTIO_ID_BLOCK,
		.features = blk.features,
		.config = &blk.config,
		.config_size = blk.config_size,
		.nr_queues = o->queues,
		.queue_size = o->queue_size,
		.umem = !o->no_umem,
		.umem_ready = use_fixed,
		.umem_arg = be,
	});
	if (ret) {
		explain_create(o, ret);
		goto out_nl;
	}

	/* Only the main thread takes the signals that end the daemon. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	ret = -ENOMEM;
	workers = calloc(o->workers, sizeof(*workers));
	if (!workers)
		goto out_dev;
	for (i = 0; i < o->workers; i++) {
		/* Queues in contiguous runs, the first workers taking one more. */
		unsigned int share = o->queues / o->workers;
		unsigned int extra = o->queues % o->workers;
		unsigned int first = i * share + (i < extra ? i : extra);

		ret = worker_init(&workers[i], dev.fd, &blk_model, &blk, first,
				  share + (i < extra));
		if (!ret)
			ret = be->ops->attach(be, &workers[i].ring);
		if (!ret)
			ret = worker_run(&workers[i]);
		if (ret) {
			log_err("cannot start worker %u: %s", i, strerror(-ret));
			goto out_workers;
		}
		started++;
	}
	cd.workers = workers;
	cd.nr_workers = o->workers;
	ret = start_filter(o, &cd);
	if (ret)
		goto out_workers;
	ret = vduse_dev_run(&dev, workers, o->workers);
	if (ret) {
		log_err("cannot start the control thread: %s", strerror(-ret));
		goto out_workers;
	}
	if (o->attach) {
		ret = attach(o, nl);
		if (ret)
			goto out_control;
	}
	/* Without the socket the device still works; only run-time control is lost. */
	if (ctl_start(&ctl, &cd, err, sizeof(err)))
		log_err("%s: no control socket: %s", o->name, err);
	log_info("%s ready: virtio-blk, %llu bytes, %u queue(s) on %u worker(s)%s%s", o->name,
		 (unsigned long long)be->size, o->queues, o->workers,
		 o->attach ? ", attached to " : ", attach with: vdpa dev add mgmtdev vduse name ",
		 o->attach ? driver_of(o->attach) : o->name);

	sigwait(&sigs, &sig);
	log_debug("signal %d: stopping", sig);
	ret = 0;
	ctl_stop(ctl);
out_control:
	detach(o->name);
	vduse_dev_stop(&dev);
out_workers:
	for (i = 0; i < started; i++) {
		worker_call(&workers[i], WORKER_EXIT);
		worker_fini(&workers[i]);
	}
	free(workers);
	nf_prog_free(cd.filter);
	/* After the detach: removing the disk flushes it. */
	log_stats(o->name, &blk.stats);
out_dev:
	if (vduse_dev_destroy(&dev))
		log_err("cannot destroy the VDUSE device '%s'", o->name);
out_nl:
	if (nl)
		vdpa_nl_close(nl);
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
	ret = serve(&o, &be);
	be.ops->close(&be);
	return ret ? EXIT_FAILURE : 0;
}
