/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's vdpa management interface (generic netlink family "vdpa"):
 * put a device that a management device such as VDUSE holds onto the vdpa
 * bus, take it off again, and look at it. Every request waits for the
 * kernel's answer; errors are the kernel's own errno, negated.
 */
#ifndef UVDPA_VDPA_NL_H
#define UVDPA_VDPA_NL_H

#include <stdint.h>

struct vdpa_nl;

/* What VDPA_CMD_DEV_GET reports about a device on the bus. */
struct vdpa_nl_dev_info {
	char mgmtdev[64];	/* management device name, e.g. "vduse" */
	uint32_t device_id;	/* virtio device ID */
	uint32_t vendor_id;
	uint32_t max_vqs;
	uint16_t max_vq_size;
};

/*
 * Connect and resolve the family. -ENOENT when the kernel has no "vdpa"
 * family: the vdpa module is not loaded.
 */
int vdpa_nl_open(struct vdpa_nl **nl);
void vdpa_nl_close(struct vdpa_nl *nl);

/*
 * Create device @name through management device @mgmtdev (for VDUSE,
 * "vduse", and @name the VDUSE device's name). The kernel probes the bus
 * driver before it answers, so a VDUSE device must already be served.
 */
int vdpa_nl_dev_add(struct vdpa_nl *nl, const char *mgmtdev, const char *name);

/* Remove device @name from the bus; its driver is unbound first. */
int vdpa_nl_dev_del(struct vdpa_nl *nl, const char *name);

/*
 * Fill @info (which may be NULL to test for existence) for device @name.
 * -ENODEV when there is no such device.
 */
int vdpa_nl_dev_get(struct vdpa_nl *nl, const char *name,
		    struct vdpa_nl_dev_info *info);

#endif /* UVDPA_VDPA_NL_H */
