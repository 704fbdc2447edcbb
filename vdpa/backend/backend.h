/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backends: what a device model's request becomes once parsed. A backend
 * turns a struct be_io into SQEs on the calling worker's ring (be_ctx.h),
 * or into its library's asynchronous calls, or completes it at once (null,
 * ram). Adding a backend is one file with a struct be_ops and one entry in
 * be_find()'s table.
 */
#ifndef UVDPA_BACKEND_H
#define UVDPA_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "backend/be_ctx.h"

enum be_op {
	BE_READ,
	BE_WRITE,
	BE_FLUSH,
	BE_DISCARD,
	BE_WRITE_ZEROES,
	/* Net: one frame with its vnet header, in or out of the iovecs. */
	BE_TRANSMIT,
	BE_RECEIVE,
};

/*
 * What a net backend may hand over on receive (set_offload()): frames with
 * a partial checksum, and TCP segments larger than the MTU over IPv4 and
 * IPv6 (they need BE_OFFLOAD_CSUM).
 */
#define BE_OFFLOAD_CSUM (1U << 0)
#define BE_OFFLOAD_TSO4 (1U << 1)
#define BE_OFFLOAD_TSO6 (1U << 2)

/* The device model a backend serves. */
enum be_kind {
	BE_BLOCK,
	BE_NET,
};

struct be_io {
	enum be_op op;
	/* BE_WRITE_ZEROES: the range may be deallocated (VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP). */
	bool unmap;
	/*
	 * Bytes from the start of the disk, and the length (for READ/WRITE the
	 * iovecs' sum; unused for TRANSMIT and RECEIVE).
	 */
	uint64_t offset;
	uint64_t len;
	const struct iovec *iov;
	unsigned int iovcnt;
};

/*
 * The fields of struct be_opts a backend reads (be_ops.takes) and those it
 * cannot do without (be_ops.needs); read_only every block backend takes.
 */
#define BE_OPT_PATH (1U << 0)
#define BE_OPT_SIZE (1U << 1)
#define BE_OPT_DIRECT (1U << 2)
#define BE_OPT_NBD (1U << 3)
#define BE_OPT_RBD (1U << 4)
#define BE_OPT_CEPH (1U << 5)	/* --ceph-conf, --ceph-id */

struct be_opts {
	const char *path;	/* file or block device; NULL for null/ram */
	uint64_t size;		/* bytes; 0: the file's size (file), required for null/ram */
	bool direct;		/* O_DIRECT */
	bool read_only;
	const char *ifname;	/* tap: attach to it or create it */
	int tap_fd;		/* tap: an open tap to use instead of @ifname, or -1 */
	unsigned int mtu;	/* tap: of a tap created here */
	const char *nbd;	/* nbd: the export's URI (backend/nbd_uri.h) */
	const char *rbd;	/* rbd: POOL/IMAGE[@SNAP] */
	const char *ceph_conf;	/* rbd: the cluster's configuration; NULL: Ceph's search */
	const char *ceph_id;	/* rbd: the client's name without "client."; NULL: admin */
};

struct be {
	const struct be_ops *ops;
	/* Set by open(). */
	uint64_t size;		/* bytes, a multiple of 512; may change (watch_size) */
	uint32_t block_size;	/* logical block size to advertise: 512, or the device's */
	uint32_t phys_block_size; /* smallest write without read-modify-write, >= block_size */
	bool read_only;
	bool discard;		/* BE_DISCARD and BE_WRITE_ZEROES with unmap are supported */
	bool write_zeroes;
	int fd;			/* the backend's file (a tap's fd), or -1 */
	/*
	 * Memory registered as fixed buffer 0 on every worker's ring (VDUSE's
	 * bounce buffer, when the daemon supplies it), or empty. Set before
	 * the workers start serving queues.
	 */
	struct iovec fixed;
	/* Set by an open() or attach() that fails for a reason its errno does not tell, or empty. */
	char why[160];
	void *priv;
};

struct be_ops {
	const char *name;
	const char *help;	/* what it is, a few words for uvdpad --help */
	enum be_kind kind;
	unsigned int takes, needs;	/* BE_OPT_* */
	/* Fill in @be from @opts: 0 or -errno (the caller prints what failed). */
	int (*open)(struct be *be, const struct be_opts *opts);
	void (*close)(struct be *be);
	/*
	 * A worker's ring will carry this backend's I/O, before the worker
	 * runs: register files, arm the backend's own SQEs, set ctx->priv.
	 * What it makes per ring, close() frees: it runs once every worker
	 * is gone.
	 */
	int (*attach)(struct be *be, struct be_ctx *ctx);
	/*
	 * Start @io for request @req and return 1: it completes exactly once
	 * later, with the byte count (possibly short) or -errno, by a CQE of
	 * be_sqe_req(ctx, req) or by be_complete(ctx, req, res). Or do it now
	 * and return 0 (done in full) or -errno. Never starts part of @io.
	 * BE_RECEIVE always completes later: its result is the frame's length.
	 */
	int (*submit)(struct be *be, struct be_ctx *ctx, const struct be_io *io, uint64_t req);
	/* Optional: have @req, submitted, complete soon (-ECANCELED, say). */
	void (*cancel)(struct be *be, struct be_ctx *ctx, uint64_t req);
	/* Net, optional: what receive may hand over (BE_OFFLOAD_*); errors are logged. */
	void (*set_offload)(struct be *be, unsigned int flags);
	/*
	 * Block, optional: from now until unwatch_size(), hear of the storage
	 * changing size under us (an image resized) on a thread of the
	 * backend's own, which stores the new size in be->size (atomically:
	 * the workers check requests against it) and then calls @cb. Never on
	 * a worker: learning the size may wait for the storage. 0 or -errno.
	 */
	int (*watch_size)(struct be *be, void (*cb)(void *arg, uint64_t size), void *arg);
	void (*unwatch_size)(struct be *be);
};

extern const struct be_ops be_file_ops;
extern const struct be_ops be_null_ops;
extern const struct be_ops be_ram_ops;
extern const struct be_ops be_tap_ops;
extern const struct be_ops be_nbd_ops;
extern const struct be_ops be_rbd_ops;

/* The backend called @name ("file", "null", "ram", "tap", "nbd", "rbd"), or NULL. */
const struct be_ops *be_find(const char *name);
/* The @i-th backend of @kind, to list them: NULL past the last. */
const struct be_ops *be_nth(enum be_kind kind, unsigned int i);

/*
 * Fill @be for a backend without a file that stores @opts->size bytes and
 * supports every operation (null, ram): 0, or -EINVAL for a size that is 0
 * or not a multiple of 512.
 */
int be_init_fileless(struct be *be, const struct be_opts *opts);

/* An attach() for backends that need nothing of a ring. */
int be_attach_none(struct be *be, struct be_ctx *ctx);

#endif
