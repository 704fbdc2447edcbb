// SPDX-License-Identifier: GPL-2.0
/*
 * The test "guest" over vhost-vdpa: see vhost_guest.h. Descriptors are
 * handed out in ring order without a free list: tests keep far fewer chains
 * in flight than a queue has entries, so a slot is always free again by the
 * time the ring comes round to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "vhost_guest.h"

#define F_AVAIL (1 << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1 << VRING_PACKED_DESC_F_USED)
/* Per-request scratch: a blk header and status byte, and an indirect table. */
#define SCRATCH 32
#define TABLE_DESCS 8

int vg_open(struct vg *g, const char *path)
{
	uint64_t bf = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;
	uint64_t have = 0;

	memset(g, 0, sizeof(*g));
	g->fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	if (ioctl(g->fd, VHOST_SET_OWNER) ||
	    ioctl(g->fd, VHOST_GET_BACKEND_FEATURES, &have))
		goto err;
	if (!(have & bf)) {
		errno = EOPNOTSUPP;
		goto err;
	}
	/* Where the device can be suspended (7.x VDUSE with VDUSE_F_SUSPEND). */
	bf |= have & (1ULL << VHOST_BACKEND_F_SUSPEND);
	g->backend_features = bf;
	if (ioctl(g->fd, VHOST_SET_BACKEND_FEATURES, &bf) ||
	    ioctl(g->fd, VHOST_VDPA_GET_DEVICE_ID, &g->device_id) ||
	    ioctl(g->fd, VHOST_GET_FEATURES, &g->device_features) ||
	    ioctl(g->fd, VHOST_VDPA_GET_VRING_NUM, &g->max_queue_size))
		goto err;
	return 0;
err:
	close(g->fd);
	g->fd = -1;
	return -errno;
}

static int iotlb_msg(struct vg *g, uint8_t type, uint64_t iova, uint64_t size, void *va)
{
	struct vhost_msg_v2 m = {
		.type = VHOST_IOTLB_MSG_V2,
		.iotlb = {
			.iova = iova,
			.size = size,
			.uaddr = (uintptr_t)va,
			.perm = VHOST_ACCESS_RW,
			.type = type,
		},
	};

	if (write(g->fd, &m, sizeof(m)) != sizeof(m))
		return -errno;
	return 0;
}

int vg_map(struct vg *g, unsigned int r)
{
	struct vg_region *reg = &g->regions[r];
	int ret = iotlb_msg(g, VHOST_IOTLB_UPDATE, reg->iova, reg->size, reg->va);

	if (!ret)
		reg->mapped = true;
	return ret;
}

int vg_unmap(struct vg *g, unsigned int r)
{
	struct vg_region *reg = &g->regions[r];
	int ret = iotlb_msg(g, VHOST_IOTLB_INVALIDATE, reg->iova, reg->size, NULL);

	if (!ret)
		reg->mapped = false;
	return ret;
}

int vg_add_region(struct vg *g, uint64_t iova, size_t size)
{
	struct vg_region *reg = &g->regions[g->nr_regions];
	int ret;

	if (g->nr_regions == VG_MAX_REGIONS)
		return -ENOSPC;
	reg->memfd = memfd_create("vg-region", MFD_CLOEXEC);
	if (reg->memfd < 0)
		return -errno;
	if (ftruncate(reg->memfd, size)) {
		ret = -errno;
		close(reg->memfd);
		return ret;
	}
	reg->va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, reg->memfd, 0);
	if (reg->va == MAP_FAILED) {
		ret = -errno;
		close(reg->memfd);
		return ret;
	}
	reg->iova = iova;
	reg->size = size;
	reg->used = 0;
	g->nr_regions++;
	return vg_map(g, g->nr_regions - 1);
}

void *vg_alloc(struct vg *g, unsigned int r, size_t len, size_t align, uint64_t *iova)
{
	struct vg_region *reg = &g->regions[r];
	size_t off = (reg->used + align - 1) & ~(align - 1);

	if (off + len > reg->size)
		return NULL;
	reg->used = off + len;
	*iova = reg->iova + off;
	return reg->va + off;
}

void *vg_ptr(struct vg *g, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < g->nr_regions; i++) {
		struct vg_region *reg = &g->regions[i];

		if (iova >= reg->iova && iova - reg->iova < reg->size)
			return reg->va + (iova - reg->iova);
	}
	return NULL;
}

int vg_set_status(struct vg *g, uint8_t status)
{
	return ioctl(g->fd, VHOST_VDPA_SET_STATUS, &status) ? -errno : 0;
}

int vg_get_status(struct vg *g, uint8_t *status)
{
	return ioctl(g->fd, VHOST_VDPA_GET_STATUS, status) ? -errno : 0;
}

int vg_get_config(struct vg *g, unsigned int off, void *buf, unsigned int len)
{
	struct vhost_vdpa_config *c = calloc(1, sizeof(*c) + len);
	int ret;

	if (!c)
		return -ENOMEM;
	c->off = off;
	c->len = len;
	ret = ioctl(g->fd, VHOST_VDPA_GET_CONFIG, c) ? -errno : 0;
	memcpy(buf, c->buf, len);
	free(c);
	return ret;
}

static void close_fds(struct vg_queue *q)
{
	if (q->kick_fd > 0)
		close(q->kick_fd);
	if (q->call_fd > 0)
		close(q->call_fd);
	q->kick_fd = q->call_fd = 0;
	free(q->chain_len);
	q->chain_len = NULL;
}

static int setup_queue(struct vg *g, unsigned int i, uint16_t size, unsigned int r)
{
	struct vg_queue *q = &g->queues[i];
	struct vhost_vring_state num = { .index = i, .num = size };
	struct vhost_vring_state base = { .index = i };
	struct vhost_vring_file kick = { .index = i }, call = { .index = i };
	struct vhost_vring_addr addr = { .index = i };
	void *a, *b, *c;

	close_fds(q);
	memset(q, 0, sizeof(*q));
	q->num = size;
	if (g->packed) {
		a = vg_alloc(g, r, 16 * size, 16, &q->desc_iova);
		b = vg_alloc(g, r, 4, 4, &q->driver_iova);
		c = vg_alloc(g, r, 4, 4, &q->device_iova);
		q->pdesc = a;
		q->pdriver = b;
		q->avail_wrap = q->used_wrap = true;
		q->chain_len = calloc(size, sizeof(*q->chain_len));
		/* Fresh ring: positions 0, both wrap counters 1 (2.8.1). */
		base.num = 0x8000u | 0x8000u << 16;
	} else {
		a = vg_alloc(g, r, 16 * size, 16, &q->desc_iova);
		b = vg_alloc(g, r, 6 + 2 * size, 2, &q->driver_iova);
		c = vg_alloc(g, r, 6 + 8 * size, 4, &q->device_iova);
		q->desc = a;
		q->avail = b;
		q->used = c;
	}
	q->hdr = vg_alloc(g, r, SCRATCH * size, 16, &q->hdr_iova);
	q->table = vg_alloc(g, r, 16 * TABLE_DESCS * size, 16, &q->table_iova);
	q->next = 0;
	q->next_desc = 0;
	if (!a || !b || !c || !q->hdr || !q->table || (g->packed && !q->chain_len))
		return -ENOMEM;
	memset(a, 0, 16 * size);
	memset(b, 0, g->packed ? 4 : 6 + 2 * size);
	memset(c, 0, g->packed ? 4 : 6 + 8 * size);
	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0 || q->call_fd < 0)
		return -errno;
	kick.fd = q->kick_fd;
	call.fd = q->call_fd;
	addr.desc_user_addr = q->desc_iova;
	addr.avail_user_addr = q->driver_iova;
	addr.used_user_addr = q->device_iova;
	if (ioctl(g->fd, VHOST_SET_VRING_NUM, &num) ||
	    ioctl(g->fd, VHOST_SET_VRING_ADDR, &addr) ||
	    ioctl(g->fd, VHOST_SET_VRING_BASE, &base) ||
	    ioctl(g->fd, VHOST_SET_VRING_KICK, &kick) ||
	    ioctl(g->fd, VHOST_SET_VRING_CALL, &call))
		return -errno;
	return g->enable_late ? 0 : vg_enable(g, i, true);
}

int vg_enable(struct vg *g, unsigned int q, bool on)
{
	struct vhost_vring_state enable = { .index = q, .num = on };

	return ioctl(g->fd, VHOST_VDPA_SET_VRING_ENABLE, &enable) ? -errno : 0;
}

int vg_vring_base(struct vg *g, unsigned int q, uint32_t *base)
{
	struct vhost_vring_state s = { .index = q };

	if (ioctl(g->fd, VHOST_GET_VRING_BASE, &s))
		return -errno;
	*base = s.num;
	return 0;
}

int vg_suspend(struct vg *g)
{
	if (!(g->backend_features & (1ULL << VHOST_BACKEND_F_SUSPEND)))
		return -EOPNOTSUPP;
	return ioctl(g->fd, VHOST_VDPA_SUSPEND) ? -errno : 0;
}

int vg_start(struct vg *g, uint64_t features, unsigned int nr_queues, uint16_t size,
	     unsigned int r, bool driver_ok)
{
	uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint8_t got;
	unsigned int i;
	int ret;

	if (nr_queues > VG_MAX_QUEUES)
		return -EINVAL;
	features |= 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	features &= g->device_features;
	ret = vg_set_status(g, 0);
	if (!ret)
		ret = vg_set_status(g, st);
	if (ret)
		return ret;
	if (ioctl(g->fd, VHOST_SET_FEATURES, &features))
		return -errno;
	g->features = features;
	g->packed = features & 1ULL << VIRTIO_F_RING_PACKED;
	g->indirect = features & 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	st |= VIRTIO_CONFIG_S_FEATURES_OK;
	ret = vg_set_status(g, st);
	if (!ret)
		ret = vg_get_status(g, &got);
	if (ret)
		return ret;
	if (!(got & VIRTIO_CONFIG_S_FEATURES_OK))
		return -EPROTO;
	g->nr_queues = nr_queues;
	for (i = 0; i < nr_queues; i++) {
		ret = setup_queue(g, i, size, r);
		if (ret)
			return ret;
	}
	if (!driver_ok)
		return 0;
	ret = vg_set_status(g, st | VIRTIO_CONFIG_S_DRIVER_OK);
	for (i = 0; !ret && g->enable_late && i < nr_queues; i++)
		ret = vg_enable(g, i, true);
	return ret;
}

void vg_kick(struct vg *g, unsigned int q)
{
	uint64_t one = 1;

	if (write(g->queues[q].kick_fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void fill_table(struct vg *g, char *table, const struct vg_buf *bufs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (g->packed) {
			struct vring_packed_desc *d = (void *)table;

			d[i].addr = htole64(bufs[i].iova);
			d[i].len = htole32(bufs[i].len);
			d[i].id = 0;
			d[i].flags = htole16(bufs[i].write ? VRING_DESC_F_WRITE : 0);
		} else {
			struct vring_desc *d = (void *)table;

			d[i].addr = htole64(bufs[i].iova);
			d[i].len = htole32(bufs[i].len);
			d[i].next = htole16(i + 1);
			d[i].flags = htole16((bufs[i].write ? VRING_DESC_F_WRITE : 0) |
					     (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		}
	}
}

static int post_split(struct vg *g, unsigned int qi, const struct vg_buf *bufs, unsigned int n,
		      uint64_t table)
{
	struct vg_queue *q = &g->queues[qi];
	uint16_t head = q->next_desc, i = head;
	unsigned int k;

	for (k = 0; k < (table ? 1 : n); k++) {
		struct vring_desc *d = &q->desc[i];
		uint16_t next = (i + 1) % q->num;

		if (table) {
			d->addr = htole64(table);
			d->len = htole32(16 * n);
			d->flags = htole16(VRING_DESC_F_INDIRECT);
		} else {
			d->addr = htole64(bufs[k].iova);
			d->len = htole32(bufs[k].len);
			d->flags = htole16((bufs[k].write ? VRING_DESC_F_WRITE : 0) |
					   (k + 1 < n ? VRING_DESC_F_NEXT : 0));
			d->next = htole16(next);
		}
		i = next;
	}
	q->next_desc = i;
	q->avail->ring[q->avail_idx % q->num] = htole16(head);
	__atomic_store_n(&q->avail->idx, htole16(++q->avail_idx), __ATOMIC_RELEASE);
	return head;
}

static int post_packed(struct vg *g, unsigned int qi, const struct vg_buf *bufs, unsigned int n,
		       uint64_t table)
{
	struct vg_queue *q = &g->queues[qi];
	uint16_t id = q->next_id, head = q->next_avail, head_flags = 0;
	unsigned int k, slots = table ? 1 : n;

	q->next_id = (q->next_id + 1) % q->num;
	for (k = 0; k < slots; k++) {
		struct vring_packed_desc *d = &q->pdesc[q->next_avail];
		uint16_t flags = q->avail_wrap ? F_AVAIL : F_USED;

		if (table) {
			d->addr = htole64(table);
			d->len = htole32(16 * n);
			flags |= VRING_DESC_F_INDIRECT;
		} else {
			d->addr = htole64(bufs[k].iova);
			d->len = htole32(bufs[k].len);
			flags |= (bufs[k].write ? VRING_DESC_F_WRITE : 0) |
				 (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		}
		d->id = htole16(id);
		if (k)
			d->flags = htole16(flags);
		else
			head_flags = flags;
		if (++q->next_avail == q->num) {
			q->next_avail = 0;
			q->avail_wrap = !q->avail_wrap;
		}
	}
	q->chain_len[id] = slots;
	/* The head's flags last: they make the whole chain available (2.8.6). */
	__atomic_store_n(&q->pdesc[head].flags, htole16(head_flags), __ATOMIC_RELEASE);
	return id;
}

int vg_post(struct vg *g, unsigned int qi, const struct vg_buf *bufs, unsigned int n,
	    bool indirect, unsigned int r)
{
	struct vg_queue *q = &g->queues[qi];
	uint64_t table = 0;
	int ret;

	if (indirect && g->indirect) {
		unsigned int slot = q->next++ % q->num;

		if (n > TABLE_DESCS)
			return -E2BIG;
		table = q->table_iova + (uint64_t)slot * 16 * TABLE_DESCS;
		fill_table(g, q->table + slot * 16 * TABLE_DESCS, bufs, n);
	}
	ret = g->packed ? post_packed(g, qi, bufs, n, table) : post_split(g, qi, bufs, n, table);
	q->outstanding++;
	vg_kick(g, qi);
	return ret;
}

bool vg_used_pending(struct vg *g, unsigned int qi)
{
	struct vg_queue *q = &g->queues[qi];

	if (g->packed) {
		uint16_t f = le16toh(__atomic_load_n(&q->pdesc[q->next_used].flags,
						     __ATOMIC_ACQUIRE));

		return !!(f & F_AVAIL) == q->used_wrap && !!(f & F_USED) == q->used_wrap;
	}
	return le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE)) != q->last_used;
}

static void take_used(struct vg *g, unsigned int qi, uint32_t *id, uint32_t *len)
{
	struct vg_queue *q = &g->queues[qi];

	if (g->packed) {
		struct vring_packed_desc *d = &q->pdesc[q->next_used];

		*id = le16toh(d->id);
		*len = le32toh(d->len);
		q->next_used += *id < q->num ? q->chain_len[*id] : 1;
		if (q->next_used >= q->num) {
			q->next_used -= q->num;
			q->used_wrap = !q->used_wrap;
		}
	} else {
		struct vring_used_elem *e = &q->used->ring[q->last_used % q->num];

		*id = le32toh(e->id);
		*len = le32toh(e->len);
		q->last_used++;
		/* With EVENT_IDX: interrupt me for the next one. */
		q->avail->ring[q->num] = htole16(q->last_used);
	}
	q->outstanding--;
}

unsigned int vg_repost_used(struct vg *g, unsigned int qi)
{
	struct vg_queue *q = &g->queues[qi];
	unsigned int n = 0;
	uint32_t id, len;

	while (vg_used_pending(g, qi)) {
		take_used(g, qi, &id, &len);
		q->avail->ring[q->avail_idx % q->num] = htole16(id);
		__atomic_store_n(&q->avail->idx, htole16(++q->avail_idx), __ATOMIC_RELEASE);
		q->outstanding++;
		n++;
	}
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int vg_wait_used(struct vg *g, unsigned int qi, uint32_t *id, uint32_t *len, int ms)
{
	struct pollfd p = { .fd = g->queues[qi].call_fd, .events = POLLIN };
	long long deadline = now_ms() + ms;
	uint64_t n;

	for (;;) {
		if (vg_used_pending(g, qi)) {
			take_used(g, qi, id, len);
			return 1;
		}
		long long left = deadline - now_ms();

		if (left <= 0)
			return 0;
		/* The interrupt may be suppressed: look at the ring now and then too. */
		if (poll(&p, 1, left < 100 ? left : 100) > 0 &&
		    read(p.fd, &n, sizeof(n)) != sizeof(n))
			return -errno;
	}
}

int vg_blk_post(struct vg *g, unsigned int qi, uint32_t type, uint64_t sector,
		uint64_t data_iova, uint32_t len, bool indirect, unsigned int r,
		uint8_t **status)
{
	struct vg_queue *q = &g->queues[qi];
	unsigned int slot = q->next++ % q->num;
	struct virtio_blk_outhdr *h = (void *)(q->hdr + slot * SCRATCH);
	uint64_t hdr_iova = q->hdr_iova + slot * SCRATCH;
	struct vg_buf bufs[3] = {
		{ hdr_iova, sizeof(*h), false },
		{ data_iova, len, type == VIRTIO_BLK_T_IN },
		{ hdr_iova + sizeof(*h), 1, true },
	};

	h->type = htole32(type);
	h->ioprio = 0;
	h->sector = htole64(sector);
	*status = (uint8_t *)h + sizeof(*h);
	**status = 0xff;
	return vg_post(g, qi, bufs, 3, indirect, r);
}

int vg_blk_rw(struct vg *g, unsigned int qi, uint32_t type, uint64_t sector,
	      uint64_t data_iova, uint32_t len, bool indirect, unsigned int r)
{
	uint32_t id, used_len;
	uint8_t *status;
	int ret;

	ret = vg_blk_post(g, qi, type, sector, data_iova, len, indirect, r, &status);
	if (ret < 0)
		return ret;
	ret = vg_wait_used(g, qi, &id, &used_len, 20000);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	return *status;
}

void vg_close(struct vg *g)
{
	unsigned int i;

	if (g->fd >= 0) {
		vg_set_status(g, 0);
		close(g->fd);
	}
	g->fd = -1;
	for (i = 0; i < VG_MAX_QUEUES; i++)
		close_fds(&g->queues[i]);
	for (i = 0; i < g->nr_regions; i++) {
		munmap(g->regions[i].va, g->regions[i].size);
		close(g->regions[i].memfd);
	}
	g->nr_regions = 0;
}
