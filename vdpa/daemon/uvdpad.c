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

#include "daemon/cli.h"
#include "daemon/config.h"
#include "daemon/ctl.h"
#include "daemon/dev_type.h"
#include "daemon/info.h"
#include "daemon/notify.h"
#include "daemon/restart.h"
#include "daemon/state_file.h"
#include "daemon/watchdog.h"
#include "util/log.h"
#include "util/run_dir.h"
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

static void explain_create(const struct cli_opts *o, const struct served *s, int ret)
{
	bool net = s->device_id == VIRTIO_ID_NET;

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

static void explain_open(const struct cli_opts *o, const struct served *s, int ret)
{
	if (ret == -ENOENT)
		log_err("cannot reconnect to '%s': there is no such VDUSE device (start without "
			"--reconnect)", o->name);
	else if (ret == -EBUSY)
		log_err("cannot reconnect to '%s': another daemon still serves it", o->name);
	else
		explain_create(o, s, ret);
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
	const struct ctl_filter_set s = {
		.name = o->filter,
		.path = o->filter_object,
		.params = o->filter_params,
		.nr_params = o->nr_filter_params,
	};
	char err[512];
	int ret;

	if (!what)
		return 0;
	ret = ctl_set_filter(cd, &s, err, sizeof(err));
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
		.size_off = s->size_off,
		.size_len = s->size_len,
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

/* A device being served, from serve_open() to serve_teardown(). */
struct daemon {
	const struct cli_opts *o;
	struct served *s;
	const struct dev_type *type;
	struct vdpa_nl *nl;
	struct vduse_dev dev;
	bool have_dev;		/* made or opened: destroyed, or released when handed over */
	/* Until it serves, a daemon that reconnects must not end the device it found. */
	bool handed_over;
	struct state_file log;
	sigset_t sigs;
	struct worker **workers;	/* allocated: the type's stopped() runs at the end */
	unsigned int started;
	struct ctl_dev cd;
	bool serving;		/* the control thread runs: detached and stopped at the end */
	struct info_dev info;	/* for the control socket's info request */
	struct ctl *ctl;
	struct watchdog wd;
};

static bool worker_answers(void *arg)
{
	return worker_alive(arg);
}

/* A reset waits for the workers: a stuck worker can stop this one too, and is named first. */
static bool control_answers(void *arg)
{
	return vduse_dev_alive(arg);
}

/* Control thread, before any queue runs: see struct vduse_dev_params. */
static void use_fixed(void *arg, const struct iovec *umem)
{
	struct be *be = arg;

	be->fixed = *umem;
}

/* The VDUSE device (made, or found for --reconnect) and its in-flight log. */
static int serve_open(struct daemon *d)
{
	const struct cli_opts *o = d->o;
	struct served *s = d->s;
	struct vduse_dev_params p = {
		.name = o->name,
		.device_id = s->device_id,
		.features = s->features,
		.config = s->config,
		.config_size = s->config_size,
		.nr_queues = s->nr_queues,
		.queue_size = o->queue_size,
		.bounce_size = s->bounce_size,
		.umem = !o->no_umem,
		.umem_ready = use_fixed,
		.umem_arg = s->be,
	};
	char err[256];
	int ret;

	/* Before the device: a run directory others can write in is refused with nothing made. */
	ret = run_dir_make(err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	if (o->attach) {
		ret = vdpa_nl_open(&d->nl);
		if (ret) {
			log_err("cannot reach the kernel's vdpa interface: %s%s", strerror(-ret),
				ret == -ENOENT ? " (modprobe vdpa)" : "");
			return ret;
		}
	}
	ret = o->reconnect ? vduse_dev_open(&d->dev, &p) : vduse_dev_create(&d->dev, &p);
	if (ret) {
		if (o->reconnect)
			explain_open(o, s, ret);
		else
			explain_create(o, s, ret);
		return ret;
	}
	d->have_dev = true;
	/* Only once the device is ours: a refused daemon must not touch another's log. */
	if (s->resumable) {
		ret = open_log(o, s, &d->log);
		if (ret)
			return ret;
		d->dev.log = d->log.hdr;
	}
	return 0;
}

/* Workers, the filter, the control thread, the bus: up to the ready line. */
static int serve_start(struct daemon *d)
{
	const struct cli_opts *o = d->o;
	struct served *s = d->s;
	char err[512];
	unsigned int i;
	int ret;

	/* Only the main thread takes the signals that end the daemon. */
	sigemptyset(&d->sigs);
	sigaddset(&d->sigs, SIGINT);
	sigaddset(&d->sigs, SIGTERM);
	sigaddset(&d->sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &d->sigs, NULL);

	d->workers = calloc(s->nr_workers, sizeof(*d->workers));
	if (!d->workers)
		return -ENOMEM;
	for (i = 0; i < s->nr_workers; i++) {
		/* Queues in contiguous runs, the first workers taking one more. */
		unsigned int share = s->nr_queues / s->nr_workers;
		unsigned int extra = s->nr_queues % s->nr_workers;
		unsigned int first = i * share + (i < extra ? i : extra);

		ret = worker_new(&d->workers[i], s->model, s->dev, first, share + (i < extra));
		if (!ret)
			ret = s->be->ops->attach(s->be, worker_be_ctx(d->workers[i]));
		if (!ret)
			ret = worker_run(d->workers[i]);
		if (ret) {
			log_err("cannot start worker %u: %s", i,
				s->be->why[0] ? s->be->why : strerror(-ret));
			return ret;
		}
		d->started++;
		/* What ps, a debugger and the watchdog's status line call it. */
		snprintf(err, sizeof(err), "uvdpa-w%u", i);
		worker_set_name(d->workers[i], err);
	}
	d->cd.workers = d->workers;
	d->cd.nr_workers = s->nr_workers;
	d->cd.model_stats = d->type->stats;
	d->cd.served = s;
	ret = start_filter(o, &d->cd);
	if (ret)
		return ret;
	ret = vduse_dev_run(&d->dev, d->workers, s->nr_workers);
	if (ret == -ESTALE) {
		log_err("cannot reconnect to '%s': the device does not match %s: %s", o->name,
			d->log.path, d->dev.why);
		return ret;
	}
	if (ret) {
		log_err("cannot %s: %s", o->reconnect ? "resume the device" :
			"start the control thread", strerror(-ret));
		return ret;
	}
	d->handed_over = false;
	d->serving = true;
	if (d->type->running) {
		ret = d->type->running(s, &d->dev);
		if (ret)
			return ret;
	}
	if (o->attach) {
		ret = attach(o, d->nl);
		if (ret)
			return ret;
	}
	d->info = (struct info_dev){
		.o = o,
		.type = d->type,
		.s = s,
		.dev = &d->dev,
		.state_path = d->log.hdr ? d->log.path : NULL,
	};
	d->cd.info = &d->info;
	/* Without the socket the device still works; only run-time control is lost. */
	if (ctl_start(&d->ctl, &d->cd, err, sizeof(err)))
		log_err("%s: no control socket: %s", o->name, err);
	watchdog_init(&d->wd);
	snprintf(d->wd.status, sizeof(d->wd.status), "%s ready: %s, %u queue(s) on %u worker(s)%s%s",
		 o->name, s->what, s->nr_queues, s->nr_workers,
		 o->reconnect ? ", resumed" : o->attach ? ", attached to " :
		 ", attach with: vdpa dev add mgmtdev vduse name ",
		 o->reconnect ? "" : o->attach ? driver_of(o->attach) : o->name);
	log_info("%s", d->wd.status);
	/* Attached (with --attach) and served: units ordered after this one may start. */
	notify_ready("%s", d->wd.status);
	for (i = 0; i < s->nr_workers; i++)
		watchdog_add(&d->wd, worker_answers, d->workers[i], "worker %u", i);
	watchdog_add(&d->wd, control_answers, &d->dev, "the VDUSE control thread");
	return 0;
}

/*
 * Until a signal that ends the daemon; meanwhile, with a service manager's
 * watchdog, probe the threads and pet it while they all answer.
 */
static int next_signal(const sigset_t *sigs, struct watchdog *wd)
{
	int ms = watchdog_interval_ms(wd), sig;
	struct timespec ts;

	for (;;) {
		if (ms < 0) {
			if (!sigwait(sigs, &sig))
				return sig;
			continue;
		}
		ts = (struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			watchdog_tick(wd);
	}
}

/* Until a signal ends the daemon; SIGUSR2 hands the device over, with its state saved. */
static void serve_run(struct daemon *d)
{
	const struct cli_opts *o = d->o;
	int sig;

	for (;;) {
		sig = next_signal(&d->sigs, &d->wd);
		if (sig != SIGUSR2 || d->log.hdr)
			break;
		log_err("%s: cannot hand over without a state file; still serving", o->name);
	}
	log_debug("signal %d: stopping", sig);
	notify_stopping();
	ctl_stop(d->ctl);
	if (sig == SIGUSR2) {
		/* Stopping the queues drains them: the log is left with nothing in flight. */
		vduse_dev_stop(&d->dev);
		vq_log_set_clean(d->log.hdr, true);
		d->handed_over = true;
		d->serving = false;
		log_info("%s saved in %s: start the new uvdpad with --reconnect", o->name,
			 d->log.path);
	}
}

/* The model's counters in the debug log, once the workers are gone. */
static void log_stats(struct daemon *d)
{
	char line[512];
	FILE *f;

	if (!d->type->stats)
		return;
	f = fmemopen(line, sizeof(line), "w");
	if (!f)
		return;
	d->type->stats(d->s, f);
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	log_debug("%s", line);
}

/* Undo as much as was done, in reverse: off the bus, workers, the VDUSE device. */
static void serve_teardown(struct daemon *d)
{
	unsigned int i;

	if (d->serving) {
		detach(d->o->name);
		vduse_dev_stop(&d->dev);
	}
	if (d->workers) {
		for (i = 0; i < d->s->nr_workers; i++) {
			if (i < d->started)
				worker_exit(d->workers[i]);
			worker_free(d->workers[i]);
		}
		free(d->workers);
		nf_prog_free(d->cd.filter);
		log_stats(d);
		if (d->type->stopped)
			d->type->stopped(d->s);
	}
	if (d->have_dev) {
		if (d->handed_over)
			vduse_dev_release(&d->dev);
		else if (vduse_dev_destroy(&d->dev))
			log_err("cannot destroy the VDUSE device '%s'", d->o->name);
		/* Kept for the next daemon unless this one ended the device. */
		state_file_close(&d->log, d->handed_over);
	}
	if (d->nl)
		vdpa_nl_close(d->nl);
}

static int serve(const struct cli_opts *o, const struct dev_type *type, struct served *s)
{
	struct daemon d = {
		.o = o,
		.s = s,
		.type = type,
		.handed_over = o->reconnect,
		.log = { .hdr = NULL },
		.cd = {
			.name = o->name,
			.nr_queues = s->nr_queues,
			.filter_lock = PTHREAD_MUTEX_INITIALIZER,
		},
	};
	int ret = serve_open(&d);

	if (!ret)
		ret = serve_start(&d);
	if (!ret)
		serve_run(&d);
	serve_teardown(&d);
	return ret;
}

/* The options from the command line, or from uvdpad --config FILE [OPTION]...: 0, or an exit status. */
static int options(int argc, char **argv, struct config *conf, struct cli_opts *o)
{
	bool resume = restart_take_auto(&argc, argv);
	char err[1024];
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "--config")) {
		if (argc < 3) {
			fprintf(stderr, "uvdpad: --config needs a file\n");
			return EXIT_USAGE;
		}
		ret = config_load(conf, argv[2], argc - 3, argv + 3, o, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "uvdpad: %s\n", err);
			return ret == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
		}
	} else if (cli_parse(argc, argv, o, err, sizeof(err))) {
		fprintf(stderr, "uvdpad: %s\n(uvdpad --help for usage)\n", err);
		return EXIT_USAGE;
	}
	if (resume && !o->help)
		restart_resolve(o);
	return 0;
}

/* Serve the device @o describes: the exit status. */
static int run(const struct cli_opts *o)
{
	const struct dev_type *type;
	struct served s;
	int ret;

	if (o->help) {
		cli_usage(stdout);
		return 0;
	}
	log_set_verbose(o->verbose);
	type = dev_type_find(o->type);
	if (type->setup(o, &s))
		return EXIT_FAILURE;
	ret = serve(o, type, &s);
	type->teardown(&s);
	return ret ? EXIT_FAILURE : 0;
}

int main(int argc, char **argv)
{
	struct config conf = { .path = NULL };
	struct cli_opts o;
	int ret = options(argc, argv, &conf, &o);

	if (!ret)
		ret = run(&o);
	config_free(&conf);
	return ret;
}
