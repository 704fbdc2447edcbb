// SPDX-License-Identifier: GPL-2.0
/*
 * The Ceph RBD backend: an image in a Ceph cluster through librbd's
 * asynchronous API. librbd runs its own threads (messengers, a finisher);
 * none is ours per request. Its completion callback only pushes the
 * request onto its worker's lock-free list and signals that worker's
 * eventfd, whose read is armed on the worker's ring (be_sqe_event): the
 * request then completes on the worker's thread like any other. One
 * eventfd per ring, not rbd_set_image_notification()'s one per image, so
 * that every worker of a multi-queue disk completes its own requests.
 *
 * Timeouts: librbd waits forever for an OSD unless rados_osd_op_timeout is
 * set, and for a monitor at open for client_mount_timeout (300 s). Unless
 * the configuration sets them, uvdpad uses RBD_OP_TIMEOUT and
 * RBD_MOUNT_TIMEOUT, so that a cluster gone fails I/O (the guest sees
 * IOERR) instead of hanging it, and a cluster never reached fails the start.
 *
 * librbd's cache: its default policy (writearound) completes a write before
 * the OSD has it, once the client has flushed once; a daemon killed then
 * loses writes the guest saw completed, which uvdpad promises to keep
 * (docs/reliability.md). Unless the configuration sets another policy,
 * uvdpad uses writethrough: reads are still cached, a write completes when
 * the OSD has it.
 *
 * A resize (rbd resize, by anyone) reaches us through librbd's update
 * watch; a thread of ours reads the new size, as reading it may wait for
 * the OSD, which a worker must never do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/ceph_lib.h"
#include "util/efd.h"
#include "util/log.h"
#include "util/poll_thread.h"

#define RBD_OP_TIMEOUT "30"
#define RBD_MOUNT_TIMEOUT "20"
/* A format 2 image's header object: this and the image's id. */
#define RBD_HEADER_OBJ "rbd_header."

struct rbd_ring;

/* A request in librbd's hands. */
struct rbd_aio {
	struct rbd_aio *next;	/* on its ring's done list, or free list */
	struct rbd_ring *ring;
	rbd_completion_t c;
	uint64_t req;
	int res;		/* what a success reports: the byte count */
};

/* A worker ring's share (be_ctx.priv). */
struct rbd_ring {
	struct be_event ev;	/* first: the CQE's pointer is the ring's */
	struct rbd_ring *next;
	struct be_ctx *ctx;
	int efd;
	uint64_t efd_buf;
	/* Finished by librbd, newest first; pushed by its threads, taken by the worker. */
	_Atomic(struct rbd_aio *) done;
	struct rbd_aio *free;	/* the worker's only */
};

struct rbd {
	rados_t cluster;
	rados_ioctx_t io;
	rbd_image_t image;
	struct rbd_ring *rings;	/* one per worker ring, freed by close() */
	/* watch_size(): librbd's update watch rings @watch_efd, @watch's thread reads the size. */
	struct be *be;
	uint64_t watch_handle;
	int watch_efd;
	struct poll_thread watch;
	void (*resized)(void *arg, uint64_t size);
	void *arg;
	struct rbd *left;	/* on rbd_left */
};

/* Clients closed while their cluster did not answer (rbd_free()). */
static struct rbd *rbd_left;

/* Set @key to @value unless the configuration already moved it off Ceph's @dflt. */
static int conf_default(rados_t cluster, const char *key, const char *dflt, const char *value)
{
	char cur[64];

	if (ceph.rados_conf_get(cluster, key, cur, sizeof(cur)))
		return 0;
	if (strcmp(cur, dflt))
		return 0;
	return ceph.rados_conf_set(cluster, key, value);
}

/*
 * POOL/IMAGE[@SNAP] into its parts (in @buf): 0, or -EINVAL. Pool and image
 * names cannot hold '/' or '@' in Ceph.
 */
static int split_spec(const char *spec, char *buf, size_t len, char **pool, char **image,
		      char **snap)
{
	char *slash, *at;

	if (snprintf(buf, len, "%s", spec) >= (int)len)
		return -EINVAL;
	slash = strchr(buf, '/');
	if (!slash || slash == buf || !slash[1] || strchr(slash + 1, '/'))
		return -EINVAL;
	*slash = '\0';
	*pool = buf;
	*image = slash + 1;
	at = strchr(*image, '@');
	*snap = NULL;
	if (at) {
		*at = '\0';
		*snap = at + 1;
		if (!**snap || at == *image)
			return -EINVAL;
	}
	return 0;
}

static int rbd_fail(struct be *be, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rbd_fail(struct be *be, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(be->why, sizeof(be->why), fmt, ap);
	va_end(ap);
	return ret;
}

static int rbd_connect(struct be *be, struct rbd *r, const struct be_opts *opts)
{
	int ret;

	ret = ceph.rados_create(&r->cluster, opts->ceph_id);
	if (ret)
		return rbd_fail(be, ret, "cannot set up a Ceph client%s%s: %s",
				opts->ceph_id ? " for " : "", opts->ceph_id ? opts->ceph_id : "",
				strerror(-ret));
	/* NULL: $CEPH_CONF, /etc/ceph/ceph.conf, ~/.ceph/config, ./ceph.conf. */
	ret = ceph.rados_conf_read_file(r->cluster, opts->ceph_conf);
	if (ret)
		return rbd_fail(be, ret, "cannot read the Ceph configuration %s: %s",
				opts->ceph_conf ? opts->ceph_conf : "(/etc/ceph/ceph.conf)",
				strerror(-ret));
	ret = ceph.rados_conf_parse_env(r->cluster, NULL);
	/* librados's own messages would follow ours on stderr: one line says what failed. */
	if (!ret)
		ret = ceph.rados_conf_set(r->cluster, "log_to_stderr", "false");
	if (!ret)
		ret = ceph.rados_conf_set(r->cluster, "err_to_stderr", "false");
	if (!ret)
		ret = conf_default(r->cluster, "rados_osd_op_timeout", "0", RBD_OP_TIMEOUT);
	if (!ret)
		ret = conf_default(r->cluster, "client_mount_timeout", "300", RBD_MOUNT_TIMEOUT);
	if (!ret)
		ret = conf_default(r->cluster, "rbd_cache_policy", "writearound", "writethrough");
	if (ret)
		return rbd_fail(be, ret, "bad Ceph configuration: %s", strerror(-ret));
	ret = ceph.rados_connect(r->cluster);
	switch (ret) {
	case 0:
		return 0;
	case -ETIMEDOUT:
		return rbd_fail(be, ret, "cannot reach the Ceph cluster: no monitor answered");
	case -ENOENT:
		/* What librados says when cephx finds no keyring for the client. */
		return rbd_fail(be, ret, "cannot connect to the Ceph cluster: no keyring for "
				"client.%s (see 'keyring' in the configuration)",
				opts->ceph_id ? opts->ceph_id : "admin");
	case -EACCES:
	case -EPERM:
		return rbd_fail(be, ret, "the Ceph cluster refused client.%s: %s",
				opts->ceph_id ? opts->ceph_id : "admin", strerror(-ret));
	}
	return rbd_fail(be, ret, "cannot connect to the Ceph cluster: %s", strerror(-ret));
}

static int rbd_open_image(struct be *be, struct rbd *r, const struct be_opts *opts)
{
	char buf[512], *pool, *image, *snap;
	rbd_image_t img;
	int ret;

	if (!opts->rbd || split_spec(opts->rbd, buf, sizeof(buf), &pool, &image, &snap))
		return rbd_fail(be, -EINVAL, "bad --rbd '%s': POOL/IMAGE or POOL/IMAGE@SNAP",
				opts->rbd ? opts->rbd : "");
	if (snap && !opts->read_only)
		return rbd_fail(be, -EROFS, "snapshot '%s' is read-only: add --ro", snap);
	ret = ceph.rados_ioctx_create(r->cluster, pool, &r->io);
	if (ret)
		return rbd_fail(be, ret, ret == -ENOENT ? "pool '%s' does not exist" :
				"cannot open pool '%s': %s", pool, strerror(-ret));
	/* Read-only also takes no exclusive lock: another client may write the image. */
	ret = opts->read_only ? ceph.rbd_open_read_only(r->io, image, &img, snap) :
				ceph.rbd_open(r->io, image, &img, NULL);
	if (!ret)
		r->image = img;
	if (ret == -ENOENT && snap && !ceph.rbd_open_read_only(r->io, image, &img, NULL)) {
		ceph.rbd_close(img);
		return rbd_fail(be, ret, "image '%s/%s' has no snapshot '%s'", pool, image, snap);
	}
	if (ret == -ENOENT)
		return rbd_fail(be, ret, "image '%s' does not exist in pool '%s'", image, pool);
	if (ret)
		return rbd_fail(be, ret, "cannot open image '%s/%s': %s", pool, image,
				strerror(-ret));
	return 0;
}

/* Once every worker is gone: every request has completed, librbd holds none of ours. */
static void ring_free(struct rbd_ring *rr)
{
	struct rbd_aio *a;

	while ((a = rr->free)) {
		rr->free = a->next;
		free(a);
	}
	close(rr->efd);
	free(rr);
}

/*
 * Whether the image can be closed. Closing releases its exclusive lock if
 * we hold it, and librbd 16.2 can crash in that release when the OSD's
 * reply times out: with the cluster gone, a daemon told to stop would die
 * of SIGSEGV. So an owner first asks the image's header object for its
 * size, one request to the same OSD within the same op timeout.
 */
static bool rbd_can_close(struct rbd *r)
{
	char id[64], obj[sizeof(RBD_HEADER_OBJ) + sizeof(id)];
	int owner = 0, ret;
	uint64_t size;
	time_t mtime;

	/* It refreshes the header first when a notification said it changed. */
	ret = ceph.rbd_is_exclusive_lock_owner(r->image, &owner);
	if (!ret && !owner)
		return true;
	if (!ret)
		ret = ceph.rbd_get_id(r->image, id, sizeof(id));
	if (!ret) {
		snprintf(obj, sizeof(obj), RBD_HEADER_OBJ "%s", id);
		ret = ceph.rados_stat(r->io, obj, &size, &mtime);
	}
	if (!ret)
		return true;
	log_err("rbd: the cluster does not answer (%s): leaving without releasing the "
		"image's lock, which the cluster drops when our client times out",
		strerror(-ret));
	return false;
}

static void rbd_free(struct rbd *r)
{
	struct rbd_ring *rr;

	while ((rr = r->rings)) {
		r->rings = rr->next;
		ring_free(rr);
	}
	/*
	 * The client is left to the process's exit, as its threads still
	 * wait on the cluster; kept on a list, as it is not lost.
	 */
	if (r->image && !rbd_can_close(r)) {
		r->left = rbd_left;
		rbd_left = r;
		return;
	}
	if (r->image)
		ceph.rbd_close(r->image);
	if (r->io)
		ceph.rados_ioctx_destroy(r->io);
	if (r->cluster)
		ceph.rados_shutdown(r->cluster);
	free(r);
}

static int rbd_be_open(struct be *be, const struct be_opts *opts)
{
	struct rbd *r;
	uint64_t size;
	int ret;

	ret = ceph_lib_load(be->why, sizeof(be->why));
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->be = be;
	r->watch_efd = -1;
	ret = rbd_connect(be, r, opts);
	if (!ret)
		ret = rbd_open_image(be, r, opts);
	if (!ret) {
		ret = ceph.rbd_get_size(r->image, &size);
		if (ret)
			rbd_fail(be, ret, "cannot read the image's size: %s", strerror(-ret));
		else if (size < 512)
			ret = rbd_fail(be, -EINVAL, "the image is smaller than one sector");
	}
	if (ret) {
		rbd_free(r);
		return ret;
	}
	be->priv = r;
	be->fd = -1;
	be->size = size & ~511ULL;
	be->block_size = 512;
	/* Objects are 4 MiB; 4 KiB is what the OSD stores without a read first. */
	be->phys_block_size = 4096;
	be->read_only = opts->read_only;
	be->discard = !be->read_only;
	be->write_zeroes = !be->read_only;
	return 0;
}

/* The eventfd's read on the worker's ring: 0, or -EBUSY without an SQE. */
static int rbd_arm(struct rbd_ring *rr)
{
	struct io_uring_sqe *sqe = be_sqe_event(rr->ctx, &rr->ev);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, rr->efd, &rr->efd_buf, sizeof(rr->efd_buf), 0);
	return 0;
}

/* librbd's thread: hand the request to its worker. */
static void rbd_aio_done(rbd_completion_t c, void *arg)
{
	struct rbd_aio *a = arg;
	struct rbd_ring *rr = a->ring;
	struct rbd_aio *head = atomic_load_explicit(&rr->done, memory_order_relaxed);
	uint64_t one = 1;

	do
		a->next = head;
	while (!atomic_compare_exchange_weak_explicit(&rr->done, &head, a, memory_order_release,
						      memory_order_relaxed));
	/* The worker takes the whole list per wakeup: only the first needs to wake it. */
	if (!head && write(rr->efd, &one, sizeof(one)) != sizeof(one))
		log_err("rbd: cannot wake the worker: %s", strerror(errno));
}

/* The worker: the eventfd fired; complete what librbd finished. */
static void rbd_ring_event(struct be_event *ev, struct be_ctx *ctx,
			   const struct io_uring_cqe *cqe)
{
	struct rbd_ring *rr = (struct rbd_ring *)ev;
	struct rbd_aio *a, *next;
	ssize_t ret;

	/* Unarmed, the ring never hears of librbd's completions: its requests hang the driver. */
	if (rbd_arm(rr))
		log_fatal("rbd: cannot wait for librbd's completions again: no SQE");
	a = atomic_exchange_explicit(&rr->done, NULL, memory_order_acquire);
	for (; a; a = next) {
		next = a->next;
		ret = ceph.rbd_aio_get_return_value(a->c);
		ceph.rbd_aio_release(a->c);
		a->next = rr->free;
		rr->free = a;
		be_complete(ctx, a->req, ret < 0 ? (int)ret : a->res);
	}
}

static int rbd_be_attach(struct be *be, struct be_ctx *ctx)
{
	struct rbd *r = be->priv;
	struct rbd_ring *rr = calloc(1, sizeof(*rr));
	int ret;

	if (!rr)
		return -ENOMEM;
	rr->efd = eventfd(0, EFD_CLOEXEC);
	if (rr->efd < 0) {
		ret = -errno;
		free(rr);
		return ret;
	}
	rr->next = r->rings;
	r->rings = rr;
	rr->ev.cqe = rbd_ring_event;
	rr->ctx = ctx;
	ctx->priv = rr;
	ret = rbd_arm(rr);
	if (ret)
		rbd_fail(be, ret, "no SQE to wait for librbd's completions");
	return ret;
}

static int rbd_be_submit(struct be *be, struct be_ctx *ctx, const struct be_io *io,
			 uint64_t req)
{
	struct rbd *r = be->priv;
	struct rbd_ring *rr = ctx->priv;
	struct rbd_aio *a = rr->free;
	int ret;

	if (io->op == BE_TRANSMIT || io->op == BE_RECEIVE)
		return -EOPNOTSUPP;
	if (a)
		rr->free = a->next;
	else if (!(a = malloc(sizeof(*a))))
		return -ENOMEM;
	a->ring = rr;
	a->req = req;
	a->res = io->op == BE_READ || io->op == BE_WRITE ? (int)io->len : 0;
	ret = ceph.rbd_aio_create_completion(a, rbd_aio_done, &a->c);
	if (ret)
		goto out_free;
	switch (io->op) {
	case BE_READ:
		ret = ceph.rbd_aio_readv(r->image, io->iov, io->iovcnt, io->offset, a->c);
		break;
	case BE_WRITE:
		ret = ceph.rbd_aio_writev(r->image, io->iov, io->iovcnt, io->offset, a->c);
		break;
	case BE_FLUSH:
		ret = ceph.rbd_aio_flush(r->image, a->c);
		break;
	case BE_DISCARD:
		ret = ceph.rbd_aio_discard(r->image, io->offset, io->len, a->c);
		break;
	default:
		/* Without UNMAP the zeroes must stay allocated (virtio 5.2.6.2). */
		ret = ceph.rbd_aio_write_zeroes(r->image, io->offset, io->len, a->c,
						io->unmap ? 0 :
						RBD_WRITE_ZEROES_FLAG_THICK_PROVISION, 0);
		break;
	}
	if (!ret)
		return 1;
	ceph.rbd_aio_release(a->c);
out_free:
	a->next = rr->free;
	rr->free = a;
	return ret;
}

/*
 * librbd's thread, after the image's header changed (a resize, a snapshot,
 * a lock): it asks its callbacks not to block, so the size is read on our
 * watch thread.
 */
static void rbd_header_changed(void *arg)
{
	struct rbd *r = arg;
	int ret = efd_signal(r->watch_efd);

	if (ret)
		log_err("rbd: cannot wake the size watch: %s", strerror(-ret));
}

/* The watch thread: rbd_get_size() refreshes the header from the OSD if it must. */
static int rbd_watch_ready(void *arg, const struct pollfd *fds)
{
	struct rbd *r = arg;
	uint64_t size;
	int ret;

	if (!efd_take(r->watch_efd))
		return 0;
	ret = ceph.rbd_get_size(r->image, &size);
	if (ret) {
		log_err("rbd: cannot read the image's new size: %s", strerror(-ret));
		return 0;
	}
	size &= ~511ULL;
	if (size == __atomic_load_n(&r->be->size, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&r->be->size, size, __ATOMIC_RELAXED);
	r->resized(r->arg, size);
	return 0;
}

static int rbd_be_watch_size(struct be *be, void (*cb)(void *arg, uint64_t size), void *arg)
{
	struct rbd *r = be->priv;
	int ret;

	r->resized = cb;
	r->arg = arg;
	r->watch_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->watch_efd < 0)
		return -errno;
	ret = poll_thread_start(&r->watch, "rbd: size watch", &r->watch_efd, 1, rbd_watch_ready,
				r);
	if (ret)
		goto err_fd;
	ret = ceph.rbd_update_watch(r->image, &r->watch_handle, rbd_header_changed, r);
	if (ret)
		goto err_thread;
	/* A resize between open() and the watch. */
	return efd_signal(r->watch_efd);
err_thread:
	poll_thread_stop(&r->watch);
err_fd:
	close(r->watch_efd);
	r->watch_efd = -1;
	return ret;
}

static void rbd_be_unwatch_size(struct be *be)
{
	struct rbd *r = be->priv;

	if (r->watch_efd < 0)
		return;
	/* librbd calls the callback no more once this returns. */
	ceph.rbd_update_unwatch(r->image, r->watch_handle);
	poll_thread_stop(&r->watch);
	close(r->watch_efd);
	r->watch_efd = -1;
}

static void rbd_be_close(struct be *be)
{
	rbd_be_unwatch_size(be);
	rbd_free(be->priv);
	be->priv = NULL;
}

const struct be_ops be_rbd_ops = {
	.name = "rbd",
	.help = "an image in a Ceph cluster (--rbd POOL/IMAGE[@SNAP])",
	.kind = BE_BLOCK,
	.takes = BE_OPT_RBD | BE_OPT_CEPH,
	.needs = BE_OPT_RBD,
	.open = rbd_be_open,
	.close = rbd_be_close,
	.attach = rbd_be_attach,
	.submit = rbd_be_submit,
	.watch_size = rbd_be_watch_size,
	.unwatch_size = rbd_be_unwatch_size,
};
