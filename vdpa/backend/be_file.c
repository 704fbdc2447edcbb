// SPDX-License-Identifier: GPL-2.0
/*
 * The file backend: a regular file or a block device, driven through the
 * worker's io_uring. The file is registered with each ring so that SQEs
 * skip the fd table lookup (IOSQE_FIXED_FILE, index 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "backend/backend.h"

/*
 * Which fallocate modes the file system of @path supports, tried on an
 * unnamed file next to it so that the disk itself never changes.
 */
static void file_probe(struct be *be, const char *path)
{
	char *dir = strdup(path);
	int fd;

	if (!dir)
		return;
	fd = open(dirname(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	free(dir);
	if (fd < 0)
		return;
	be->discard = !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 0, 4096);
	be->write_zeroes = !fallocate(fd, FALLOC_FL_ZERO_RANGE |
				      FALLOC_FL_KEEP_SIZE, 0, 4096);
	close(fd);
}

static int file_size(struct be *be, const struct be_opts *opts,
		     const struct stat *st)
{
	uint64_t dev_size;
	unsigned int pbs;
	int lbs;

	if (S_ISBLK(st->st_mode)) {
		if (ioctl(be->fd, BLKGETSIZE64, &dev_size) ||
		    ioctl(be->fd, BLKSSZGET, &lbs) ||
		    ioctl(be->fd, BLKPBSZGET, &pbs))
			return -errno;
		if (opts->size > dev_size)
			return -ENOSPC;
		be->size = opts->size ? opts->size : dev_size;
		be->block_size = lbs;
		be->phys_block_size = pbs > (unsigned int)lbs ? pbs : (unsigned int)lbs;
		/* blkdev_fallocate() zeroes out, unmapping only for PUNCH_HOLE. */
		be->discard = !be->read_only;
		be->write_zeroes = !be->read_only;
		return 0;
	}
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if ((uint64_t)st->st_size < opts->size) {
		if (be->read_only)
			return -EINVAL;
		/* A hole: the new space costs nothing until written. */
		if (ftruncate(be->fd, opts->size))
			return -errno;
	}
	be->size = opts->size ? opts->size : (uint64_t)st->st_size;
	be->block_size = 512;
	/* Smaller writes make the page cache read the file system block first. */
	be->phys_block_size = st->st_blksize > 512 && st->st_blksize <= 65536 &&
			      !(st->st_blksize & (st->st_blksize - 1)) ?
			      st->st_blksize : 512;
	if (!be->read_only)
		file_probe(be, opts->path);
	return 0;
}

static int file_open(struct be *be, const struct be_opts *opts)
{
	int flags = O_CLOEXEC | (opts->direct ? O_DIRECT : 0);
	struct stat st;
	int ret;

	if (!opts->path || opts->size % 512)
		return -EINVAL;
	if (opts->read_only)
		flags |= O_RDONLY;
	else
		flags |= O_RDWR | (opts->size ? O_CREAT : 0);
	be->read_only = opts->read_only;
	be->discard = false;
	be->write_zeroes = false;
	be->priv = NULL;
	be->fd = open(opts->path, flags, 0600);
	if (be->fd < 0)
		return -errno;
	ret = fstat(be->fd, &st) ? -errno : file_size(be, opts, &st);
	if (!ret && (!be->size || be->size % 512))
		ret = -EINVAL;
	if (ret) {
		close(be->fd);
		be->fd = -1;
	}
	return ret;
}

static void file_close(struct be *be)
{
	close(be->fd);
	be->fd = -1;
}

static int file_attach(struct be *be, struct be_ctx *ctx)
{
	return io_uring_register_files(ctx->ring, &be->fd, 1);
}

/*
 * A single buffer inside the registered memory: io_uring then skips pinning
 * its pages for every I/O (READ_FIXED/WRITE_FIXED take one buffer only).
 */
static bool in_fixed(const struct be *be, const struct be_io *io)
{
	uintptr_t base = (uintptr_t)be->fixed.iov_base;
	uintptr_t p = (uintptr_t)io->iov->iov_base;

	/* Guest memory on vhost_vdpa lies anywhere around it. */
	return io->iovcnt == 1 && be->fixed.iov_len && p >= base &&
	       p - base < be->fixed.iov_len &&
	       io->iov->iov_len <= be->fixed.iov_len - (p - base);
}

static int file_submit(struct be *be, struct be_ctx *ctx,
		       const struct be_io *io, uint64_t req)
{
	struct io_uring_sqe *sqe;

	/* Frames are for net backends. */
	if (io->op == BE_TRANSMIT || io->op == BE_RECEIVE)
		return -EOPNOTSUPP;
	sqe = be_sqe_req(ctx, req);
	if (!sqe)
		return -EBUSY;
	switch (io->op) {
	case BE_READ:
		if (in_fixed(be, io))
			io_uring_prep_read_fixed(sqe, 0, io->iov->iov_base, io->iov->iov_len,
						 io->offset, 0);
		else
			io_uring_prep_readv(sqe, 0, io->iov, io->iovcnt, io->offset);
		break;
	case BE_WRITE:
		if (in_fixed(be, io))
			io_uring_prep_write_fixed(sqe, 0, io->iov->iov_base, io->iov->iov_len,
						  io->offset, 0);
		else
			io_uring_prep_writev(sqe, 0, io->iov, io->iovcnt, io->offset);
		break;
	case BE_FLUSH:
		io_uring_prep_fsync(sqe, 0, IORING_FSYNC_DATASYNC);
		break;
	case BE_DISCARD:
		io_uring_prep_fallocate(sqe, 0, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, io->offset, io->len);
		break;
	case BE_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, 0, (io->unmap ? FALLOC_FL_PUNCH_HOLE :
						 FALLOC_FL_ZERO_RANGE) |
					FALLOC_FL_KEEP_SIZE, io->offset, io->len);
		break;
	case BE_TRANSMIT:
	case BE_RECEIVE:
		break;	/* refused above */
	}
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	return 1;
}

const struct be_ops be_file_ops = {
	.name = "file",
	.help = "a file or block device",
	.kind = BE_BLOCK,
	.takes = BE_OPT_PATH | BE_OPT_SIZE | BE_OPT_DIRECT,
	.needs = BE_OPT_PATH,
	.open = file_open,
	.close = file_close,
	.attach = file_attach,
	.submit = file_submit,
};
