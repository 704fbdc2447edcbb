// SPDX-License-Identifier: GPL-2.0
/*
 * The ram backend: a volatile disk in anonymous memory, every request done
 * at once with memcpy. Discarded whole pages go back to the kernel.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "backend/backend.h"

static int ram_open(struct be *be, const struct be_opts *opts)
{
	void *mem;
	int ret = be_init_fileless(be, opts);

	if (ret)
		return ret;
	if (opts->size > SIZE_MAX)
		return -EINVAL;
	/* Untouched anonymous pages read as zeroes and cost nothing. */
	mem = mmap(NULL, opts->size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	be->priv = mem;
	return 0;
}

static void ram_close(struct be *be)
{
	munmap(be->priv, be->size);
	be->priv = NULL;
}

/* Zero [off, off + len); with @unmap, free the whole pages in it. */
static void ram_zero(struct be *be, uint64_t off, uint64_t len, bool unmap)
{
	uint8_t *mem = be->priv;
	uint64_t page = sysconf(_SC_PAGESIZE);
	uint64_t start = (off + page - 1) & ~(page - 1);
	uint64_t end = (off + len) & ~(page - 1);

	/* MADV_DONTNEED on private anonymous memory reads back as zeroes. */
	if (unmap && start < end &&
	    !madvise(mem + start, end - start, MADV_DONTNEED)) {
		memset(mem + off, 0, start - off);
		memset(mem + end, 0, off + len - end);
		return;
	}
	memset(mem + off, 0, len);
}

static int ram_submit(struct be *be, struct be_ctx *ctx,
		      const struct be_io *io, uint64_t req)
{
	uint8_t *p = (uint8_t *)be->priv + io->offset;
	unsigned int i;

	if (io->offset > be->size || io->len > be->size - io->offset)
		return -EINVAL;
	switch (io->op) {
	case BE_READ:
		for (i = 0; i < io->iovcnt; p += io->iov[i].iov_len, i++)
			memcpy(io->iov[i].iov_base, p, io->iov[i].iov_len);
		return 0;
	case BE_WRITE:
		for (i = 0; i < io->iovcnt; p += io->iov[i].iov_len, i++)
			memcpy(p, io->iov[i].iov_base, io->iov[i].iov_len);
		return 0;
	case BE_FLUSH:
		return 0;
	case BE_DISCARD:
		ram_zero(be, io->offset, io->len, true);
		return 0;
	case BE_WRITE_ZEROES:
		ram_zero(be, io->offset, io->len, io->unmap);
		return 0;
	case BE_TRANSMIT:
	case BE_RECEIVE:
		break;
	}
	return -EOPNOTSUPP;
}

const struct be_ops be_ram_ops = {
	.name = "ram",
	.help = "a disk in memory",
	.kind = BE_BLOCK,
	.takes = BE_OPT_SIZE,
	.needs = BE_OPT_SIZE,
	.open = ram_open,
	.close = ram_close,
	.attach = be_attach_none,
	.submit = ram_submit,
};
