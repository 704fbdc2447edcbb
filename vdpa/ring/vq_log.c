// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight log (see vq_log.h). Stores are ordered with release
 * semantics: what matters is the order in which they reach the shared
 * mapping, which outlives the process, not when another thread sees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "uvdpa_ctl.h"
#include "ring/vq_log.h"

/* "uvdpast1" */
#define VQ_LOG_MAGIC 0x3174736170647675ULL
#define VQ_LOG_VERSION 1

static size_t log_size(uint32_t nr_queues)
{
	return sizeof(struct vq_log_hdr) + (size_t)nr_queues * sizeof(struct vq_log_vq);
}

static const char *log_dir(void)
{
	const char *dir = getenv(UVDPA_CTL_DIR_ENV);

	return dir && *dir ? dir : VQ_LOG_DIR;
}

int vq_log_path(const char *name, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s.state", log_dir(), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int log_path(struct vq_log *log, const char *name)
{
	return vq_log_path(name, log->path, sizeof(log->path));
}

static int log_map(struct vq_log *log, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	log->hdr = p;
	log->size = size;
	return 0;
}

int vq_log_create(struct vq_log *log, const struct vq_log_params *p)
{
	struct vq_log_hdr *h;
	int fd, ret;

	log->hdr = NULL;
	if (p->config_size > VQ_LOG_CONFIG_MAX)
		return -EINVAL;
	ret = log_path(log, p->name);
	if (ret)
		return ret;
	if (mkdir(log_dir(), 0700) && errno != EEXIST)
		return -errno;
	fd = open(log->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = ftruncate(fd, log_size(p->nr_queues)) ? -errno : log_map(log, fd, log_size(p->nr_queues));
	close(fd);
	if (ret) {
		unlink(log->path);
		return ret;
	}
	h = log->hdr;
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

static int log_check(const struct vq_log_hdr *h, size_t size, const struct vq_log_params *p,
		     char *why, size_t whylen)
{
	if (size < sizeof(*h) || h->magic != VQ_LOG_MAGIC || h->version != VQ_LOG_VERSION ||
	    size != log_size(h->nr_queues) || h->config_size > VQ_LOG_CONFIG_MAX)
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
		 memcmp(h->config, p->config, p->config_size))
		snprintf(why, whylen, "its configuration (capacity, geometry) differs");
	else
		return 0;
	return -ESTALE;
}

int vq_log_open(struct vq_log *log, const struct vq_log_params *p, char *why, size_t whylen)
{
	struct stat st;
	int fd, ret;

	log->hdr = NULL;
	why[0] = '\0';
	ret = log_path(log, p->name);
	if (ret)
		return ret;
	fd = open(log->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = fstat(fd, &st) ? -errno : 0;
	if (!ret && (st.st_size < (off_t)sizeof(struct vq_log_hdr) ||
		     st.st_size > (off_t)log_size(VQ_MAX_SIZE))) {
		snprintf(why, whylen, "not a uvdpad state file of this version");
		ret = -ESTALE;
	}
	if (!ret)
		ret = log_map(log, fd, st.st_size);
	close(fd);
	if (ret)
		return ret;
	ret = log_check(log->hdr, log->size, p, why, whylen);
	if (ret) {
		munmap(log->hdr, log->size);
		log->hdr = NULL;
	}
	return ret;
}

void vq_log_close(struct vq_log *log, bool keep)
{
	if (!log->hdr)
		return;
	munmap(log->hdr, log->size);
	log->hdr = NULL;
	if (!keep)
		unlink(log->path);
}

void vq_log_set_status(struct vq_log *log, uint8_t status, uint64_t driver_features)
{
	__atomic_store_n(&log->hdr->driver_features, driver_features, __ATOMIC_RELEASE);
	__atomic_store_n(&log->hdr->status, status, __ATOMIC_RELEASE);
}

void vq_log_set_clean(struct vq_log *log, bool clean)
{
	__atomic_store_n(&log->hdr->clean, clean, __ATOMIC_RELEASE);
}

static void set_bit(struct vq_log_vq *v, uint16_t id)
{
	__atomic_fetch_or(&v->inflight[id / 64], 1ULL << (id % 64), __ATOMIC_RELEASE);
}

static void clear_bit(struct vq_log_vq *v, uint16_t id)
{
	__atomic_fetch_and(&v->inflight[id / 64], ~(1ULL << (id % 64)), __ATOMIC_RELEASE);
}

static bool test_bit(const struct vq_log_vq *v, uint16_t id)
{
	return __atomic_load_n(&v->inflight[id / 64], __ATOMIC_ACQUIRE) & (1ULL << (id % 64));
}

static void store_state(struct vq_log_vq *v, const struct vq_state *st)
{
	__atomic_store_n(&v->avail_wrap, st->avail_wrap, __ATOMIC_RELEASE);
	__atomic_store_n(&v->avail_idx, st->avail_idx, __ATOMIC_RELEASE);
}

void vq_log_reset(struct vq_log_vq *v, const struct vq_config *cfg, const struct vq_state *st)
{
	__atomic_store_n(&v->num, 0, __ATOMIC_RELEASE);
	memset(v->inflight, 0, sizeof(v->inflight));
	if (!cfg)
		return;
	v->desc_addr = cfg->desc_addr;
	v->driver_addr = cfg->driver_addr;
	v->device_addr = cfg->device_addr;
	v->used_idx = st->used_idx;
	v->used_wrap = st->used_wrap;
	store_state(v, st);
	__atomic_store_n(&v->num, cfg->num, __ATOMIC_RELEASE);
}

void vq_log_pop(struct vq_log_vq *v, uint16_t id, const struct vq_state *st)
{
	set_bit(v, id);
	store_state(v, st);
}

void vq_log_commit(struct vq_log_vq *v, const uint16_t *ids, unsigned int n,
		   const struct vq_state *st)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		clear_bit(v, ids[i]);
	__atomic_store_n(&v->used_wrap, st->used_wrap, __ATOMIC_RELEASE);
	__atomic_store_n(&v->used_idx, st->used_idx, __ATOMIC_RELEASE);
}

int vq_log_next(const struct vq_log_vq *v, unsigned int from)
{
	unsigned int id, num = v->num < VQ_MAX_SIZE ? v->num : VQ_MAX_SIZE;

	for (id = from; id < num; id++)
		if (test_bit(v, id))
			return id;
	return -1;
}

int vq_log_recover(struct vq_log_vq *v, struct vq *vq, struct vq_state *st)
{
	uint16_t pos;
	int id, n = 0, steps;

	if (v->num != vq_size(vq))
		return -EINVAL;
	/* Ids past the queue size are garbage a stale log cannot act on. */
	for (id = v->num; id % 64; id++)
		clear_bit(v, id);
	memset(&v->inflight[id / 64], 0, sizeof(v->inflight) - id / 64 * sizeof(v->inflight[0]));
	id = vq_used_id(vq, v->used_idx);
	if (id == -EOPNOTSUPP) {
		/* Packed: the ring no longer holds the descriptors of chains in flight. */
		if (vq_log_next(v, 0) >= 0)
			return -EOPNOTSUPP;
		st->avail_idx = v->avail_idx;
		st->avail_wrap = v->avail_wrap;
		st->used_idx = v->used_idx;
		st->used_wrap = v->used_wrap;
		return 0;
	}
	/* Used elements published but not yet committed: those chains are done. */
	pos = v->used_idx;
	for (steps = 0; steps < v->num && (id = vq_used_id(vq, pos)) >= 0; steps++, pos++)
		clear_bit(v, id);
	__atomic_store_n(&v->used_idx, pos, __ATOMIC_RELEASE);
	/* A chain marked in flight whose pop did not move the avail position yet. */
	id = vq_avail_id(vq, v->avail_idx);
	if (id >= 0 && test_bit(v, id))
		__atomic_store_n(&v->avail_idx, v->avail_idx + 1, __ATOMIC_RELEASE);
	st->avail_idx = v->avail_idx;
	st->avail_wrap = false;
	st->used_idx = v->used_idx;
	st->used_wrap = false;
	for (id = vq_log_next(v, 0); id >= 0; id = vq_log_next(v, id + 1))
		n++;
	return n;
}
