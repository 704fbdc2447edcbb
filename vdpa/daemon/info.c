// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "daemon/info.h"
#include "dev/feature_names.h"
#include "vduse/vdpa_bus.h"

/* Where the kernel bound the device and what it made of it: "none" and "-" for nothing. */
static void print_bus(const char *name, FILE *out)
{
	char driver[NAME_MAX + 1], kdev[NAME_MAX + 1] = "-";

	if (vdpa_bus_driver(name, driver, sizeof(driver)) || !driver[0])
		snprintf(driver, sizeof(driver), "none");
	if (!strcmp(driver, "vhost_vdpa")) {
		if (vdpa_bus_vhost_dev(name, kdev, sizeof(kdev)))
			snprintf(kdev, sizeof(kdev), "-");
	} else if (!strcmp(driver, "virtio_vdpa") &&
		   vdpa_bus_blkdev(name, kdev, sizeof(kdev)) &&
		   vdpa_bus_netdev(name, kdev, sizeof(kdev))) {
		/* A virtio device with no disk or interface we can see: moved to a container. */
		snprintf(kdev, sizeof(kdev), "other-netns");
	}
	fprintf(out, "driver=%s dev=%s\n", driver, kdev);
}

/* The ring the driver took; before it took any, "-". */
static void print_ring(const struct info_dev *d, uint64_t taken, bool negotiated, FILE *out)
{
	const char *ring = !negotiated ? "-" :
			   taken & 1ULL << VIRTIO_F_RING_PACKED ? "packed" : "split";

	fprintf(out, "ring=%s queue_size=%u event_idx=%s indirect=%s\n", ring, d->o->queue_size,
		taken & 1ULL << VIRTIO_RING_F_EVENT_IDX ? "yes" : "no",
		taken & 1ULL << VIRTIO_RING_F_INDIRECT_DESC ? "yes" : "no");
}

void info_print(const struct info_dev *d, FILE *out)
{
	const struct served *s = d->s;
	uint8_t status = vduse_dev_status(d->dev);
	bool negotiated = status & VIRTIO_CONFIG_S_FEATURES_OK;
	uint64_t taken = 0;
	char names[1024];

	fprintf(out, "name=%s type=%s queues=%u workers=%u pid=%d\n", d->o->name, d->type->name,
		s->nr_queues, s->nr_workers, (int)getpid());
	if (d->type->info)
		d->type->info(d->o, s, out);
	print_bus(d->o->name, out);
	fprintf(out, "features_offered=%s\n", feature_names(s->device_id, s->features, names,
							    sizeof(names)));
	if (negotiated && vduse_dev_driver_features(d->dev, &taken))
		negotiated = false;
	fprintf(out, "features_negotiated=%s\n", negotiated ?
		feature_names(s->device_id, taken, names, sizeof(names)) : "none");
	fprintf(out, "driver_status=%s\n", status_names(status, names, sizeof(names)));
	print_ring(d, taken, negotiated, out);
	/* Whether a crash loses the device, and whether this daemon took it over. */
	fprintf(out, "reconnect=%s\n", !d->state_path ? "none" :
		d->o->reconnect ? "resumed" : "ready");
	if (d->state_path)
		fprintf(out, "state_file=%s\n", d->state_path);
}
