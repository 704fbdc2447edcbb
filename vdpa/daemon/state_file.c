// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/state_file.h"
#include "util/run_dir.h"

int state_file_path(const char *name, char *path, size_t len)
{
	return run_path(name, RUN_DIR_STATE, path, len);
}

static int file_map(struct state_file *f, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	f->hdr = p;
	f->size = size;
	return 0;
}

int state_file_create(struct state_file *f, const struct state_file_params *p)
{
	struct vq_log_hdr *h;
	int fd, ret;

	f->hdr = NULL;
	if (p->config_size > VQ_LOG_CONFIG_MAX)
		return -EINVAL;
	ret = state_file_path(p->name, f->path, sizeof(f->path));
	if (ret)
		return ret;
	/* A symlink planted in its place is refused (ELOOP), never followed. */
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	ret = ftruncate(fd, vq_log_size(p->nr_queues)) ? -errno :
	      file_map(f, fd, vq_log_size(p->nr_queues));
	close(fd);
	if (ret) {
		unlink(f->path);
		return ret;
	}
	h = f->hdr;
	h->version = VQ_LOG_VERSION;
	h->nr_queues = p->nr_queues;
	h->queue_size = p->queue_size;
	h->config_size = p->config_size;
	h->device_features = p->device_features;
	memcpy(h->config, p->config, p->config_size);
	/* Last: a log cut short while being made is never taken for a valid one. */
	__atomic_store_n(&h->magic, VQ_LOG_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static int file_check(const struct vq_log_hdr *h, size_t size, const struct state_file_params *p,
		      char *why, size_t whylen)
{
	if (size < sizeof(*h) || h->magic != VQ_LOG_MAGIC || h->version != VQ_LOG_VERSION ||
	    size != vq_log_size(h->nr_queues) || h->config_size > VQ_LOG_CONFIG_MAX)
		snprintf(why, whylen, "not a uvdpad state file of this version");
	else if (h->nr_queues != p->nr_queues)
		snprintf(why, whylen, "it has %u queue(s), not %u", h->nr_queues, p->nr_queues);
	else if (h->queue_size != p->queue_size)
		snprintf(why, whylen, "its queue size is %u, not %u", h->queue_size,
			 p->queue_size);
	else if (h->device_features != p->device_features)
		snprintf(why, whylen, "it offered features %#llx, not %#llx",
			 (unsigned long long)h->device_features,
			 (unsigned long long)p->device_features);
	else if (h->config_size != p->config_size ||
		 memcmp(h->config, p->config, p->size_off) ||
		 memcmp(h->config + p->size_off + p->size_len,
			(const uint8_t *)p->config + p->size_off + p->size_len,
			p->config_size - p->size_off - p->size_len))
		snprintf(why, whylen, "its configuration (capacity, geometry) differs");
	else
		return 0;
	return -ESTALE;
}

int state_file_open(struct state_file *f, const struct state_file_params *p, char *why,
		    size_t whylen)
{
	struct stat st;
	int fd, ret;

	f->hdr = NULL;
	why[0] = '\0';
	ret = state_file_path(p->name, f->path, sizeof(f->path));
	if (ret)
		return ret;
	fd = open(f->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ret = fstat(fd, &st) ? -errno : 0;
	if (!ret && (st.st_size < (off_t)sizeof(struct vq_log_hdr) ||
		     st.st_size > (off_t)vq_log_size(VQ_MAX_SIZE))) {
		snprintf(why, whylen, "not a uvdpad state file of this version");
		ret = -ESTALE;
	}
	if (!ret)
		ret = file_map(f, fd, st.st_size);
	close(fd);
	if (ret)
		return ret;
	ret = file_check(f->hdr, f->size, p, why, whylen);
	if (ret) {
		munmap(f->hdr, f->size);
		f->hdr = NULL;
	}
	return ret;
}

void state_file_close(struct state_file *f, bool keep)
{
	if (!f->hdr)
		return;
	munmap(f->hdr, f->size);
	f->hdr = NULL;
	if (!keep)
		unlink(f->path);
}
