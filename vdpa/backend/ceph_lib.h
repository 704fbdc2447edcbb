/* SPDX-License-Identifier: GPL-2.0 */
/*
 * librados and librbd, loaded when the first RBD backend opens. Linked in,
 * they and the C++ runtime under them cost every uvdpad start a few hundred
 * milliseconds of relocations and static constructors, on disks that never
 * touch Ceph, and tie the daemon to librbd1 being installed.
 */
#ifndef UVDPA_BACKEND_CEPH_LIB_H
#define UVDPA_BACKEND_CEPH_LIB_H

#include <stddef.h>
#include <rados/librados.h>
#include <rbd/librbd.h>

/* Every function the RBD backend calls; each one's type is its header's. */
#define CEPH_LIB_SYMS(X) \
	X(rados_create) \
	X(rados_conf_read_file) \
	X(rados_conf_parse_env) \
	X(rados_conf_get) \
	X(rados_conf_set) \
	X(rados_connect) \
	X(rados_ioctx_create) \
	X(rados_ioctx_destroy) \
	X(rados_shutdown) \
	X(rados_stat) \
	X(rbd_open) \
	X(rbd_open_read_only) \
	X(rbd_close) \
	X(rbd_get_id) \
	X(rbd_is_exclusive_lock_owner) \
	X(rbd_get_size) \
	X(rbd_aio_create_completion) \
	X(rbd_aio_get_return_value) \
	X(rbd_aio_release) \
	X(rbd_aio_readv) \
	X(rbd_aio_writev) \
	X(rbd_aio_flush) \
	X(rbd_aio_discard) \
	X(rbd_aio_write_zeroes) \
	X(rbd_update_watch) \
	X(rbd_update_unwatch)

struct ceph_lib {
#define CEPH_LIB_PTR(sym) typeof(sym) *sym;
	CEPH_LIB_SYMS(CEPH_LIB_PTR)
#undef CEPH_LIB_PTR
};

/* Valid once ceph_lib_load() has returned 0. */
extern struct ceph_lib ceph;

/* Load both libraries once per process: 0, or -ENOENT with the reason in @why. */
int ceph_lib_load(char *why, size_t len);

#endif
