/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which driver of the vdpa bus serves a device, through sysfs
 * (/sys/bus/vdpa): virtio_vdpa, which makes it a virtio device of this
 * kernel (a block device, a network interface), or vhost_vdpa, which hands
 * it to a VMM as /dev/vhost-vdpa-N.
 */
#ifndef UVDPA_VDPA_BUS_H
#define UVDPA_VDPA_BUS_H

#include <stddef.h>

/*
 * Bind vdpa device @name to @driver ("virtio_vdpa", "vhost_vdpa"), unbinding
 * it from its current driver first; nothing when it is already bound there.
 * The choice is also written to the device's driver_override, so that a
 * later probe of the device picks the same driver. -ENOENT when @driver is
 * not loaded, -ENODEV when there is no such device; otherwise the errno of
 * the sysfs write that failed (a failed probe's error for the bind).
 */
int vdpa_bus_bind(const char *name, const char *driver);

/*
 * Store the name of the driver bound to @name in @buf, "" when none.
 * -ENODEV when there is no such device, -ERANGE when @len is too small.
 */
int vdpa_bus_driver(const char *name, char *buf, size_t len);

/*
 * Store the kernel name of the block device that virtio_blk made of @name
 * ("vda": /dev/vda, /sys/block/vda) in @buf. -ENOENT when there is none
 * (not bound to virtio_vdpa, or not a block device).
 */
int vdpa_bus_blkdev(const char *name, char *buf, size_t len);

/*
 * Store the name of the network interface that virtio_net made of @name
 * ("eth1") in @buf. -ENOENT when there is none, or when it lives in another
 * network namespace than ours: sysfs lists a namespace's own interfaces only.
 */
int vdpa_bus_netdev(const char *name, char *buf, size_t len);

/*
 * Store the name of the character device that vhost_vdpa made of @name
 * ("vhost-vdpa-0": /dev/vhost-vdpa-0) in @buf. -ENOENT when there is none.
 */
int vdpa_bus_vhost_dev(const char *name, char *buf, size_t len);

#endif /* UVDPA_VDPA_BUS_H */
