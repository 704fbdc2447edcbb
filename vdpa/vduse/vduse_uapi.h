/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What 7.x added to <linux/vduse.h> that bookworm's linux-libc-dev (6.1's
 * headers) lacks, with the values of 7.3's include/uapi/linux/vduse.h.
 * Each is defined here only where the installed header has none; the
 * request types are an enum there, so they get names of our own.
 */
#ifndef UVDPA_VDUSE_UAPI_H
#define UVDPA_VDUSE_UAPI_H

#include <linux/vduse.h>

/* API version 1: virtqueue groups and address spaces. */
#ifndef VDUSE_API_VERSION_1
#define VDUSE_API_VERSION_1	1
/* Two reserved words of struct vduse_dev_config before 7.x. */
#define VDUSE_CONFIG_NGROUPS(c)	((c)->reserved[0])
#define VDUSE_CONFIG_NAS(c)	((c)->reserved[1])
#else
#define VDUSE_CONFIG_NGROUPS(c)	((c)->ngroups)
#define VDUSE_CONFIG_NAS(c)	((c)->nas)
#endif

/* VDUSE features, asked for on the control device before VDUSE_CREATE_DEV. */
#ifndef VDUSE_GET_FEATURES
#define VDUSE_GET_FEATURES	_IOR(VDUSE_BASE, 0x04, __u64)
#define VDUSE_SET_FEATURES	_IOW(VDUSE_BASE, 0x05, __u64)
#endif
#ifndef VDUSE_F_QUEUE_READY
#define VDUSE_F_QUEUE_READY	0
#endif
#ifndef VDUSE_F_SUSPEND
#define VDUSE_F_SUSPEND		1
#endif

/* enum vduse_req_type's 7.x members, and their payloads in the request's union. */
#define UVDPA_VDUSE_SET_VQ_GROUP_ASID	3
#define UVDPA_VDUSE_SET_VQ_READY	4
#define UVDPA_VDUSE_SUSPEND		5

struct uvdpa_vduse_vq_group_asid {
	__u32 group;
	__u32 asid;
};

struct uvdpa_vduse_vq_ready {
	__u32 num;
	__u32 ready;
};

#endif
