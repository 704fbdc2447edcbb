/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block backends: what a virtio-blk request becomes once parsed. A backend
 * turns a struct be_io into an io_uring SQE on the calling worker's ring, or
 * completes it at once (null, ram). Adding a backend is one file with a
 * struct be_ops and one entry in be_find()'s table.
 */
#ifndef UVDPA_BACKEND_H
#define UVDPA_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <liburing.h>

enum be_op {
	BE_READ,
	BE_WRITE,
	BE_FLUSH,
	BE_DISCARD,
	BE_WRITE_ZEROES,
};

struct be_io {
	enum be_op op;
	/* BE_WRITE_ZEROES: the range may be deallocated (VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP). */
	bool unmap;
	/* Bytes from the start of the disk, and the length (for READ/WRITE the iovecs' sum). */
	uint64_t offset;
	uint64_t len;
	const struct iovec *iov;
	unsigned int iovcnt;
};

struct be_opts {
	const char *path;	/* file or block device; NULL for null/ram */
	uint64_t size;		/* bytes; 0: the file's size (file), required for null/ram */
	bool direct;		/* O_DIRECT */
	bool read_only;
};

struct be {
	const struct be_ops *ops;
	/* Set by open(). */
	uint64_t size;		/* bytes, a multiple of 512 */
	uint32_t block_size;	/* logical block size to advertise: 512, or the device's */
	uint32_t phys_block_size; /* smallest write without read-modify-write, >= block_size */
	bool read_only;
	bool discard;		/* BE_DISCARD and BE_WRITE_ZEROES with unmap are supported */
	bool write_zeroes;
	int fd;			/* the backend's file, or -1 */
	/*
	 * Memory registered as fixed buffer 0 on every worker's ring (VDUSE's
	 * bounce buffer, when the daemon supplies it), or empty. Set before
	 * the workers start serving queues.
	 */
	struct iovec fixed;
	void *priv;
};

struct be_ops {
	const char *name;
	/* Fill in @be from @opts: 0 or -errno (the caller prints what failed). */
	int (*open)(struct be *be, const struct be_opts *opts);
	void (*close)(struct be *be);
	/* A worker's ring will carry this backend's I/O: register files etc. */
	int (*attach)(struct be *be, struct io_uring *ring);
	/*
	 * Queue @io on @ring with @user_data and return 1 (the CQE's res is the
	 * byte count, possibly short, or -errno), or do it now and return 0
	 * (done in full) or -errno. Never submits a partial request.
	 */
	int (*queue)(struct be *be, struct io_uring *ring, const struct be_io *io,
		     uint64_t user_data);
};

extern const struct be_ops be_file_ops;
extern const struct be_ops be_null_ops;
extern const struct be_ops be_ram_ops;

/* The backend called @name ("file", "null", "ram"), or NULL. */
const struct be_ops *be_find(const char *name);

/*
 * Fill @be for a backend without a file that stores @opts->size bytes and
 * supports every operation (null, ram): 0, or -EINVAL for a size that is 0
 * or not a multiple of 512.
 */
int be_init_fileless(struct be *be, const struct be_opts *opts);

/* An attach() for backends that need nothing of a ring. */
int be_attach_none(struct be *be, struct io_uring *ring);

/*
 * An SQE from @ring, submitting what is queued first if the SQ is full.
 * NULL only if the ring is broken.
 */
struct io_uring_sqe *be_get_sqe(struct io_uring *ring);

#endif
