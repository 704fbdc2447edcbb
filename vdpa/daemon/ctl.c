// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/ctl_proto.h"
#include "daemon/state_file.h"
#include "util/array_size.h"
#include "util/efd.h"
#include "util/log.h"
#include "util/poll_thread.h"
#include "util/run_dir.h"
#include "uvdpa_ctl.h"

/*
 * A client gets this long to send its whole request, and again to take
 * its reply. CTL_CLIENTS are served at once, each on a thread of its own:
 * a slow client holds only its own, and only when all are held does the
 * next wait in the listen backlog, for a deadline per CTL_CLIENTS ahead of
 * it.
 */
#define REQUEST_TIMEOUT_MS 5000

struct ctl;

struct ctl_client {
	struct ctl *c;
	pthread_t thread;
	int fd;
	bool started;		/* a thread to join */
	atomic_bool busy;	/* that thread still serves @fd */
};

struct ctl {
	struct ctl_dev *dev;
	int fd;
	struct poll_thread thread;	/* accepts, and hands connections out */
	int freed_fd;			/* a client's thread ended */
	int stop_fd;			/* ctl_stop(): clients stop waiting */
	/* Commands run one at a time: they are short, and workers take one call at a time. */
	pthread_mutex_t dispatch_lock;
	struct ctl_client clients[CTL_CLIENTS];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A command: its reply lines go to @out; on error, one line in @err. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl_dev *dev, int argc, char **argv, FILE *out, char *err,
		   size_t errlen);
};

/* Whether @p (NULL: the built-in) is the filter @s names. */
static bool running(const struct nf_prog *p, const struct ctl_filter_set *s)
{
	if (!p || s->reload)
		return false;
	if (s->path)
		return p->object && !strcmp(p->name, s->path);
	return !p->object && !strcmp(p->name, s->name);
}

/*
 * New values for the filter running, under the filter lock: they go into
 * the shared memory the program reads them from, so there is no load to
 * pay and the program keeps its state (adaptive's estimate per queue).
 * Every word is checked before any is written.
 */
static int set_params(struct ctl_dev *dev, const struct ctl_filter_set *s, char *err,
		      size_t errlen)
{
	uint64_t vals[UVDPA_NF_MAX_PARAMS];
	unsigned int i;
	int ret;

	ret = nf_prog_parse_params(dev->filter, s->params, s->nr_params, vals, err, errlen);
	if (ret || !s->nr_params)
		return ret;
	/*
	 * A worker may run the program meanwhile and see some values old and
	 * some new. That is the decision for another set of values the user
	 * could have given (the daemon checks none against another), bounded
	 * like any decision, and it holds only until that worker's run below,
	 * which comes after the last store and so sees all of them new. Without
	 * that run, a program that samples seldom (coalesce: 4096 completions
	 * or 100 ms) would take them that much later.
	 */
	nf_prog_write_params(dev->filter, vals);
	for (i = 0; i < dev->nr_workers; i++)
		worker_params_changed(dev->workers[i]);
	return 0;
}

int ctl_set_filter(struct ctl_dev *dev, const struct ctl_filter_set *s, char *err,
		   size_t errlen)
{
	struct nf_prog *p = NULL, *old;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&dev->filter_lock);
	if (running(dev->filter, s)) {
		ret = set_params(dev, s, err, errlen);
		pthread_mutex_unlock(&dev->filter_lock);
		return ret;
	}
	pthread_mutex_unlock(&dev->filter_lock);
	if (s->name && !strcmp(s->name, NF_BUILTIN_NAME)) {
		if (s->nr_params) {
			snprintf(err, errlen, "the built-in policy has no parameters");
			return -EINVAL;
		}
	} else {
		ret = nf_prog_load(&p, s->name, s->path, dev->nr_queues, err, errlen);
		if (!ret)
			ret = nf_prog_set_params(p, s->params, s->nr_params, err, errlen);
		if (ret) {
			nf_prog_free(p);
			return ret;
		}
	}
	pthread_mutex_lock(&dev->filter_lock);
	old = dev->filter;
	/* Each worker takes it between two loop turns; then none runs the old one. */
	for (i = 0; i < dev->nr_workers; i++)
		worker_set_filter(dev->workers[i], p);
	dev->filter = p;
	pthread_mutex_unlock(&dev->filter_lock);
	nf_prog_free(old);
	return 0;
}

static int cmd_filter(struct ctl_dev *dev, int argc, char **argv, FILE *out, char *err,
		      size_t errlen)
{
	struct ctl_filter_set set;
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "show") && argc == 2) {
		pthread_mutex_lock(&dev->filter_lock);
		nf_prog_describe(dev->filter, out);
		pthread_mutex_unlock(&dev->filter_lock);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "set")) {
		ret = ctl_parse_filter_set(argc - 2, argv + 2, &set, err, errlen);
		if (!ret)
			ret = ctl_set_filter(dev, &set, err, errlen);
		if (ret)
			return ret;
		pthread_mutex_lock(&dev->filter_lock);
		log_info("%s: filter %s", dev->name, dev->filter ? dev->filter->name :
			 NF_BUILTIN_NAME);
		nf_prog_describe(dev->filter, out);
		pthread_mutex_unlock(&dev->filter_lock);
		return 0;
	}
	snprintf(err, errlen, "usage: filter show | "
		 "filter set [--reload] NAME|--object PATH [key=value]...");
	return -EINVAL;
}

static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
#define FIELD(f) { #f, offsetof(struct uvdpa_nf_stats, f) }
	FIELD(kicks), FIELD(completions), FIELD(batches), FIELD(irqs), FIELD(deferred),
	FIELD(timer_irqs), FIELD(driver_suppressed), FIELD(polls), FIELD(filter_runs),
	FIELD(filter_ns),
#undef FIELD
};

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / b : 0;
}

static int cmd_stats(struct ctl_dev *dev, int argc, char **argv, FILE *out, char *err,
		     size_t errlen)
{
	struct uvdpa_nf_decision d;
	struct uvdpa_nf_stats s;
	unsigned int i, q, k;

	if (argc != 1) {
		snprintf(err, errlen, "usage: stats");
		return -EINVAL;
	}
	for (i = 0; i < dev->nr_workers; i++) {
		struct worker *w = dev->workers[i];

		for (q = worker_first_queue(w); worker_has_queue(w, q); q++) {
			worker_queue_stats(w, q, &s);
			worker_queue_decision(w, q, &d);
			fprintf(out, "vq=%u", q);
			for (k = 0; k < ARRAY_SIZE(stat_fields); k++)
				fprintf(out, " %s=%llu", stat_fields[k].name, (unsigned long long)
					*(uint64_t *)((char *)&s + stat_fields[k].offset));
			fprintf(out, " irqs_per_completion=%.4f mean_batch=%.2f "
				"filter_ns_per_completion=%.1f", per(s.irqs, s.completions),
				per(s.completions, s.batches), per(s.filter_ns, s.completions));
			/* What the counters follow from: the filter's decision now. */
			fprintf(out, " defer_frames=%u defer_us=%u idle_fire=%u poll_us=%u\n",
				d.defer_frames, d.defer_us, !!(d.flags & UVDPA_NF_IDLE_FIRE),
				d.poll_us);
		}
	}
	if (dev->model_stats)
		dev->model_stats(dev->served, out);
	return 0;
}

static const char *const run_names[] = {
	[WORKER_QUEUE_OFF] = "off",
	[WORKER_QUEUE_STOPPED] = "stopped",
	[WORKER_QUEUE_RUNNING] = "running",
	[WORKER_QUEUE_BROKEN] = "broken",
};

/*
 * What uvdpactl list and show print. The queues' state comes from each
 * worker's own thread (worker_queues_info()): a worker that does not answer
 * holds the reply up, and the client's deadline says so.
 */
static int cmd_info(struct ctl_dev *dev, int argc, char **argv, FILE *out, char *err,
		    size_t errlen)
{
	struct worker_queue_info *info;
	unsigned int i, k, nr;

	if (argc != 1) {
		snprintf(err, errlen, "usage: info");
		return -EINVAL;
	}
	if (dev->info)
		info_print(dev->info, out);
	pthread_mutex_lock(&dev->filter_lock);
	fprintf(out, "filter=%s\n", dev->filter ? dev->filter->name : NF_BUILTIN_NAME);
	pthread_mutex_unlock(&dev->filter_lock);
	for (i = 0; i < dev->nr_workers; i++) {
		struct worker *w = dev->workers[i];

		nr = worker_nr_queues(w);
		info = calloc(nr, sizeof(*info));
		if (!info)
			return -ENOMEM;
		worker_queues_info(w, info);
		for (k = 0; k < nr; k++) {
			fprintf(out, "vq=%u worker=%u state=%s size=%u inflight=%u",
				worker_first_queue(w) + k, i, run_names[info[k].run], info[k].size,
				info[k].inflight);
			/* Last: it runs to the end of the line. */
			if (info[k].why[0])
				fprintf(out, " why=%s", info[k].why);
			fputc('\n', out);
		}
		free(info);
	}
	return 0;
}

/*
 * A planned upgrade, as on SIGUSR2: the main thread, which alone takes that
 * signal, drains the queues and saves the log once this reply is out.
 */
static int cmd_upgrade(struct ctl_dev *dev, int argc, char **argv, FILE *out, char *err,
		       size_t errlen)
{
	char path[256];

	if (argc != 1) {
		snprintf(err, errlen, "usage: upgrade");
		return -EINVAL;
	}
	if (state_file_path(dev->name, path, sizeof(path)) || access(path, F_OK)) {
		snprintf(err, errlen, "no saved state in %s: this daemon cannot hand its device "
			 "over (it could not create the file at start)", path);
		return -ENOENT;
	}
	fprintf(out, "state=%s\n", path);
	kill(getpid(), SIGUSR2);
	return 0;
}

static const struct ctl_cmd commands[] = {
	{ "filter", cmd_filter },
	{ "info", cmd_info },
	{ "stats", cmd_stats },
	{ "upgrade", cmd_upgrade },
};

static int dispatch(struct ctl_dev *dev, char *line, FILE *out, char *err, size_t errlen)
{
	struct ctl_words w;
	unsigned int i;
	int ret = ctl_parse(line, &w, err, errlen);

	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(w.argv[0], commands[i].name))
			return commands[i].run(dev, w.argc, w.argv, out, err, errlen);
	snprintf(err, errlen, "unknown command '%s'", w.argv[0]);
	return -EINVAL;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/*
 * Wait for @events on @fd until @deadline: 0, or -ETIMEDOUT, or -ECANCELED
 * once @stop_fd (if not -1) is readable.
 */
static int wait_fd(int fd, short events, int stop_fd, long long deadline)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = stop_fd, .events = POLLIN },
	};
	long long left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(p, 2, left);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -ETIMEDOUT;
	return p[1].revents ? -ECANCELED : 0;
}

/*
 * Read one request line by a deadline for the whole request, not per read,
 * so that a client trickling a byte at a time cannot hold its thread: its
 * length, or -errno.
 */
static int read_request(const struct ctl *c, int fd, char *line, size_t len)
{
	long long deadline = now_ms() + REQUEST_TIMEOUT_MS;
	size_t got = 0;
	ssize_t n;
	int ret;

	for (;;) {
		ret = wait_fd(fd, POLLIN, c->stop_fd, deadline);
		if (ret)
			return ret;
		n = read(fd, line + got, len - 1 - got);
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		got += n;
		ret = ctl_frame(line, got);
		if (ret != -EAGAIN)
			return ret;
	}
}

/*
 * A client that does not read its reply is left by the deadline. ctl_stop()
 * does not cut a reply short: an upgrade's must reach its client.
 */
static void write_all(int fd, const char *buf, size_t len)
{
	long long deadline = now_ms() + REQUEST_TIMEOUT_MS;
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, -1, deadline))
				return;
			continue;
		}
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

static void serve(struct ctl *c, int fd)
{
	char line[UVDPA_CTL_LINE_MAX], err[512] = "";
	char *reply = NULL;
	size_t reply_len = 0;
	FILE *out;
	int ret;

	ret = read_request(c, fd, line, sizeof(line));
	if (ret < 0) {
		if (ret == -E2BIG)
			snprintf(line, sizeof(line), "%s request longer than %d bytes\n",
				 UVDPA_CTL_ERROR, UVDPA_CTL_LINE_MAX);
		else if (ret == -EPROTO)
			snprintf(line, sizeof(line), "%s a NUL byte in the request\n",
				 UVDPA_CTL_ERROR);
		if (ret == -E2BIG || ret == -EPROTO)
			write_all(fd, line, strlen(line));
		return;
	}
	out = open_memstream(&reply, &reply_len);
	if (!out)
		return;
	pthread_mutex_lock(&c->dispatch_lock);
	ret = dispatch(c->dev, line, out, err, sizeof(err));
	pthread_mutex_unlock(&c->dispatch_lock);
	if (ret)
		fprintf(out, "%s %s\n", UVDPA_CTL_ERROR, err[0] ? err : strerror(-ret));
	else
		fprintf(out, "%s\n", UVDPA_CTL_OK);
	fclose(out);
	write_all(fd, reply, reply_len);
	free(reply);
}

/*
 * The socket's mode is the first gate; the peer's credentials the second,
 * should the file's mode or the directory's be widened: uid 0 or ours.
 */
static bool peer_allowed(int fd)
{
	static const char refused[] = UVDPA_CTL_ERROR " permission denied: only root or "
				      "the daemon's user may use its control socket\n";
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	write_all(fd, refused, sizeof(refused) - 1);
	return false;
}

static void *client_main(void *arg)
{
	struct ctl_client *k = arg;
	struct ctl *c = k->c;
	int ret;

	if (peer_allowed(k->fd))
		serve(c, k->fd);
	close(k->fd);
	atomic_store(&k->busy, false);
	ret = efd_signal(c->freed_fd);
	if (ret)
		log_err("control socket: cannot wake: %s", strerror(-ret));
	return NULL;
}

/* A client slot whose thread has ended (joined now) or never ran, or NULL. */
static struct ctl_client *free_client(struct ctl *c)
{
	struct ctl_client *k, *found = NULL;

	for (k = c->clients; k < c->clients + CTL_CLIENTS; k++) {
		if (k->started && !atomic_load(&k->busy)) {
			pthread_join(k->thread, NULL);
			k->started = false;
		}
		if (!k->started && !found)
			found = k;
	}
	return found;
}

/*
 * The accepting thread. With every client slot taken, it stops watching the
 * listening socket (which would stay readable), and the connection waits in
 * the backlog until a client's thread ends.
 */
static int ctl_ready(void *arg, const struct pollfd *fds)
{
	struct ctl *c = arg;
	struct ctl_client *k;
	int fd, ret;

	if (fds[1].revents & POLLIN && efd_take(c->freed_fd))
		poll_thread_set_fd(&c->thread, 0, c->fd);
	if (!(fds[0].revents & POLLIN))
		return 0;
	k = free_client(c);
	if (!k) {
		poll_thread_set_fd(&c->thread, 0, -1);
		return 0;
	}
	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	k->fd = fd;
	atomic_store(&k->busy, true);
	ret = -pthread_create(&k->thread, NULL, client_main, k);
	if (ret) {
		log_err("control socket: cannot serve a client: %s", strerror(-ret));
		atomic_store(&k->busy, false);
		close(fd);
		return 0;
	}
	k->started = true;
	return 0;
}

/*
 * A socket file left by a daemon that died: nobody answers on it. Anything
 * else in its place (a symlink someone planted) is left alone, and never
 * connected through.
 */
static bool stale(const struct sockaddr_un *addr)
{
	struct stat st;
	bool dead;
	int fd;

	if (lstat(addr->sun_path, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	dead = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) && errno == ECONNREFUSED;
	close(fd);
	return dead;
}

static int listen_on(struct ctl *c, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int ret;

	ret = run_dir_make(err, errlen);
	if (ret)
		return ret;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	ret = bind(c->fd, (struct sockaddr *)&addr, sizeof(addr));
	if (ret && errno == EADDRINUSE && stale(&addr)) {
		unlink(c->path);
		ret = bind(c->fd, (struct sockaddr *)&addr, sizeof(addr));
	}
	/*
	 * Only root and the daemon's uid may steer the device. The umask is
	 * the process's, and other threads run: set the mode after bind()
	 * instead. Until then the socket is in a directory only we can enter.
	 */
	if (!ret)
		ret = chmod(c->path, 0600);
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", c->path,
			 ret == -EADDRINUSE ? "another uvdpad serves that name, or something "
			 "else is in its place" : strerror(-ret));
		return ret;
	}
	if (listen(c->fd, 8)) {
		ret = -errno;
		unlink(c->path);
		snprintf(err, errlen, "cannot listen on %s: %s", c->path, strerror(-ret));
		return ret;
	}
	return 0;
}

static void ctl_free(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->freed_fd >= 0)
		close(c->freed_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	pthread_mutex_destroy(&c->dispatch_lock);
	free(c);
}

int ctl_start(struct ctl **out, struct ctl_dev *dev, char *err, size_t errlen)
{
	struct ctl *c = calloc(1, sizeof(*c));
	unsigned int i;
	int ret, fds[2];

	if (!c)
		return -ENOMEM;
	c->dev = dev;
	c->fd = -1;
	pthread_mutex_init(&c->dispatch_lock, NULL);
	for (i = 0; i < CTL_CLIENTS; i++)
		c->clients[i].c = c;
	c->freed_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	ret = c->freed_fd < 0 || c->stop_fd < 0 ? -errno : 0;
	if (ret)
		snprintf(err, errlen, "cannot set up the control socket: %s", strerror(-ret));
	if (!ret) {
		ret = run_path(dev->name, RUN_DIR_SOCKET, c->path, sizeof(c->path));
		if (ret)
			snprintf(err, errlen, "cannot set up the control socket: %s",
				 strerror(-ret));
	}
	if (!ret)
		ret = listen_on(c, err, errlen);
	if (!ret) {
		fds[0] = c->fd;
		fds[1] = c->freed_fd;
		ret = poll_thread_start(&c->thread, "control socket", fds, 2, ctl_ready, c);
		if (ret) {
			unlink(c->path);
			snprintf(err, errlen, "cannot start the control thread: %s",
				 strerror(-ret));
		}
	}
	if (ret) {
		ctl_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void ctl_stop(struct ctl *c)
{
	struct ctl_client *k;
	int ret;

	if (!c)
		return;
	poll_thread_stop(&c->thread);
	unlink(c->path);
	/* The clients' waits for requests end; replies being written get their deadline. */
	ret = efd_signal(c->stop_fd);
	if (ret)
		log_err("control socket: cannot stop its clients: %s", strerror(-ret));
	for (k = c->clients; k < c->clients + CTL_CLIENTS; k++)
		if (k->started)
			pthread_join(k->thread, NULL);
	ctl_free(c);
}
