// SPDX-License-Identifier: GPL-2.0
/* uvdpad blk: a virtio-blk device on a block backend (file, null, ram, nbd, rbd). */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "daemon/dev_type.h"
#include "dev/blk.h"
#include "policy/nf.h"
#include "util/array_size.h"
#include "util/log.h"

struct blk_served {
	struct blk_dev blk;
	struct be be;
	struct vduse_dev *vdev;	/* for a new capacity: from running() to stopped() */
};

/* The block backends that need a size, having nothing to take it from: "null|ram". */
static void fileless_names(char *buf, size_t size)
{
	const struct be_ops *be;
	unsigned int i, k = 0, n = 0;

	for (i = 0; (be = be_nth(BE_BLOCK, i)); i++)
		n += !!(be->needs & BE_OPT_SIZE);
	buf[0] = '\0';
	for (i = 0; (be = be_nth(BE_BLOCK, i)); i++)
		if (be->needs & BE_OPT_SIZE)
			cli_list_add(buf, size, k++, n, be->name, "|", "|");
}

static void blk_usage(FILE *out)
{
	char fileless[64], filters[128] = "";
	const struct be_ops *be;
	unsigned int i, n;

	fileless_names(fileless, sizeof(fileless));
	for (n = 0; nf_shipped[n]; n++)
		;
	for (i = 0; i < n; i++)
		cli_list_add(filters, sizeof(filters), i, n, nf_shipped[i], ", ", " or ");
	fprintf(out,
		"usage: uvdpad blk --name NAME (--file PATH [--size SIZE] [--direct] | --nbd URI |\n"
		"                  --rbd POOL/IMAGE[@SNAP] [--ceph-conf FILE] [--ceph-id NAME] |\n"
		"                  --backend %s --size SIZE)\n"
		"                  [--ro] [--queues N] [--workers N] [--queue-size N] [--packed|--split]\n"
		"                  [--no-umem] [--attach [virtio|vhost] | --reconnect]\n"
		"                  [--filter NAME | --filter-object FILE [key=value]...] [-v]\n"
		"\n"
		"Creates a virtio-blk device through VDUSE and serves it until SIGINT or SIGTERM.\n"
		"SIGUSR2 finishes the requests in flight and exits leaving the device to a new\n"
		"uvdpad started with --reconnect (an upgrade in place).\n"
		"Without --attach, add it to the vdpa bus yourself: vdpa dev add name NAME mgmtdev vduse\n"
		"\n"
		"  --name NAME        VDUSE device name (also the vdpa device name)\n"
		"  --file PATH        backing file or block device; created sparse when --size is given\n"
		"  --nbd URI          an NBD server's export: nbd://HOST[:PORT][/EXPORT] or\n"
		"                     nbd+unix:///[EXPORT]?socket=PATH (several --workers need a\n"
		"                     server that allows several connections)\n"
		"  --rbd POOL/IMAGE[@SNAP]  a Ceph RBD image (a snapshot with --ro) through librbd;\n"
		"                     also spelt --backend rbd --image POOL/IMAGE[@SNAP]\n"
		"  --ceph-conf FILE   the cluster's configuration (default: Ceph's, /etc/ceph/ceph.conf)\n"
		"  --ceph-id NAME     the Ceph client's name, without \"client.\" (default: admin)\n"
		"  --backend B        the backend (file with --file, nbd with --nbd, rbd with --rbd):\n",
		fileless);
	for (i = 0; (be = be_nth(BE_BLOCK, i)); i++)
		fprintf(out, "                       %s: %s\n", be->name, be->help);
	fprintf(out,
		"  --size SIZE        capacity: bytes or with K, M, G, T; a multiple of 512\n"
		"  --direct           open the file with O_DIRECT\n"
		"  --ro               read-only device\n"
		"  --queues N         number of virtqueues, 1 to 64 (default 1)\n"
		"  --workers N        threads serving them, 1 to --queues (default: one per queue)\n"
		"  --queue-size N     entries per queue, a power of 2 from 2 to 1024 (default 256)\n"
		"  --packed, --split  offer the packed ring, or the split ring only (default)\n"
		"  --no-umem          keep the kernel's bounce buffer instead of our own memory,\n"
		"                     registered with io_uring (for comparison)\n"
		"  --attach [virtio|vhost]  attach to the vdpa bus and bind virtio_vdpa (default)\n"
		"                     or vhost_vdpa; detach on exit\n"
		"  --reconnect        take over the existing device NAME from a daemon that died or\n"
		"                     was upgraded, with the same options, resuming from\n"
		"                     /run/uvdpa/NAME.state\n"
		"  --filter NAME      notification filter: %s\n"
		"                     (a BPF program; see docs/filters.md), with its key=value\n"
		"                     parameters; without CAP_BPF the built-in passthrough serves\n"
		"  --filter-object FILE  a filter of your own, built against uapi/uvdpa_filter.h\n"
		"  -v, --verbose      debug messages\n", filters);
}

static int blk_check(struct cli_opts *o, char *err, size_t errlen)
{
	const struct be_ops *be;
	char names[128];
	int ret;

	if (!o->backend && (be = cli_implied_backend(o, BE_BLOCK)))
		o->backend = be->name;
	if (!o->backend) {
		fileless_names(names, sizeof(names));
		return cli_fail(err, errlen, "give --file PATH, --nbd URI, --rbd POOL/IMAGE, or "
				"--backend %s with --size", names);
	}
	be = be_find(o->backend);
	if (!be || be->kind != BE_BLOCK) {
		cli_backend_names(names, sizeof(names), BE_BLOCK, ", ", " or ");
		return cli_fail(err, errlen, "--backend '%s': %s", o->backend, names);
	}
	ret = cli_check_backend(o, be, err, errlen);
	if (ret)
		return ret;
	if (o->size % 512)
		return cli_fail(err, errlen, "--size must be a multiple of 512 bytes");
	if (o->workers > o->queues)
		return cli_fail(err, errlen, "--workers %u: more workers than --queues %u",
				o->workers, o->queues);
	if (o->reconnect && o->attach)
		return cli_fail(err, errlen, "--reconnect takes over a device that is attached "
				"already: drop --attach");
	if (!o->workers)
		o->workers = o->queues;
	return 0;
}

static int blk_setup(const struct cli_opts *o, struct served *s)
{
	struct blk_opts bo = {
		.num_queues = o->queues,
		.queue_size = o->queue_size,
		.packed = o->packed,
		.name = o->name,
	};
	struct blk_served *b = calloc(1, sizeof(*b));
	int ret;

	if (!b) {
		log_err("cannot set up the virtio-blk device: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	b->be.ops = be_find(o->backend);
	b->be.fd = -1;
	ret = b->be.ops->open(&b->be, &(struct be_opts){
		.path = o->path,
		.size = o->size,
		.direct = o->direct,
		.read_only = o->read_only,
		.nbd = o->nbd,
		.rbd = o->rbd,
		.ceph_conf = o->ceph_conf,
		.ceph_id = o->ceph_id,
	});
	if (ret) {
		log_err("cannot open the %s backend%s%s: %s", o->backend, o->path ? " " : "",
			o->path ? o->path : "", b->be.why[0] ? b->be.why : strerror(-ret));
		free(b);
		return ret;
	}
	ret = blk_dev_init(&b->blk, &b->be, &bo);
	if (ret) {
		log_err("cannot set up the virtio-blk device: %s", strerror(-ret));
		b->be.ops->close(&b->be);
		free(b);
		return ret;
	}
	*s = (struct served){
		.model = &blk_model,
		.dev = &b->blk,
		.be = &b->be,
		.device_id = VIRTIO_ID_BLOCK,
		.features = b->blk.features,
		.config = &b->blk.config,
		.config_size = b->blk.config_size,
		/* A size the storage gave, not --size, may change while no daemon runs. */
		.size_off = offsetof(struct virtio_blk_config, capacity),
		.size_len = o->size ? 0 : sizeof(b->blk.config.capacity),
		.nr_queues = o->queues,
		.bounce_size = b->blk.bounce_size,
		.nr_workers = o->workers,
		.resumable = true,
		.priv = b,
	};
	snprintf(s->what, sizeof(s->what), "virtio-blk, %llu bytes",
		 (unsigned long long)b->be.size);
	return 0;
}

static void blk_stats(const struct served *s, FILE *out)
{
	static const struct dev_stat_field fields[] = {
#define FIELD(f) { #f, offsetof(struct blk_stats, f) }
		FIELD(reads), FIELD(writes), FIELD(flushes), FIELD(discards),
		FIELD(write_zeroes), FIELD(get_ids), FIELD(io_errors), FIELD(bad_requests),
#undef FIELD
	};
	const struct blk_served *b = s->priv;

	dev_type_print_stats(out, "blk", &b->blk.stats, fields, ARRAY_SIZE(fields));
}

/* The backend's watch thread: the storage has @size bytes now; tell the driver. */
static void blk_resized(void *arg, uint64_t size)
{
	struct blk_served *b = arg;
	int ret;

	b->blk.config.capacity = htole64(size / 512);
	ret = vduse_dev_set_config(b->vdev, offsetof(struct virtio_blk_config, capacity),
				   &b->blk.config.capacity, sizeof(b->blk.config.capacity));
	if (ret)
		log_err("cannot tell the driver the new capacity, %llu bytes: %s",
			(unsigned long long)size, strerror(-ret));
	else
		log_debug("new capacity: %llu bytes", (unsigned long long)size);
}

/*
 * A daemon that reconnects finds the capacity its predecessor gave the
 * driver in the log; the storage may have changed size since (an image
 * resized while no daemon ran): the driver hears of it as of a resize.
 */
static int blk_resumed(struct blk_served *b, struct vduse_dev *dev)
{
	size_t off = offsetof(struct virtio_blk_config, capacity);
	uint64_t was;
	int ret;

	if (!dev->log)
		return 0;
	memcpy(&was, dev->log->config + off, sizeof(was));
	if (was == b->blk.config.capacity)
		return 0;
	ret = vduse_dev_set_config(dev, off, &b->blk.config.capacity,
				   sizeof(b->blk.config.capacity));
	if (ret)
		log_err("cannot tell the driver the new capacity, %llu bytes: %s",
			(unsigned long long)le64toh(b->blk.config.capacity) * 512, strerror(-ret));
	else
		log_info("the disk changed size while no daemon served it: %llu bytes, was %llu",
			 (unsigned long long)le64toh(b->blk.config.capacity) * 512,
			 (unsigned long long)le64toh(was) * 512);
	return ret;
}

static int blk_running(struct served *s, struct vduse_dev *dev)
{
	struct blk_served *b = s->priv;
	int ret;

	b->vdev = dev;
	ret = blk_resumed(b, dev);
	if (ret || !b->be.ops->watch_size)
		return ret;
	ret = b->be.ops->watch_size(&b->be, blk_resized, b);
	if (ret)
		log_err("cannot watch the %s backend's size: %s", b->be.ops->name,
			strerror(-ret));
	return ret;
}

static void blk_stopped(struct served *s)
{
	struct blk_served *b = s->priv;

	/* No config change after this: the VDUSE device goes next. */
	if (b->be.ops->unwatch_size)
		b->be.ops->unwatch_size(&b->be);
}

static void blk_info(const struct cli_opts *o, const struct served *s, FILE *out)
{
	const struct blk_served *b = s->priv;
	/* The capacity the driver sees: a backend that grew has told it (blk_resized()). */
	uint64_t sectors = le64toh(__atomic_load_n(&b->blk.config.capacity, __ATOMIC_RELAXED));

	fprintf(out, "backend=%s size=%llu block_size=%u read_only=%s direct=%s\n",
		b->be.ops->name, (unsigned long long)sectors * 512, b->be.block_size,
		b->be.read_only ? "yes" : "no", o->direct ? "yes" : "no");
	if (o->nbd)
		fprintf(out, "nbd=%s\n", o->nbd);
	if (o->path)
		fprintf(out, "path=%s\n", o->path);
}

static void blk_teardown(struct served *s)
{
	struct blk_served *b = s->priv;

	b->be.ops->close(&b->be);
	free(b);
}

const struct dev_type dev_type_blk = {
	.name = "blk",
	.usage = blk_usage,
	.check = blk_check,
	.setup = blk_setup,
	.running = blk_running,
	.stopped = blk_stopped,
	.teardown = blk_teardown,
	.stats = blk_stats,
	.info = blk_info,
};
