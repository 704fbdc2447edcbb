// SPDX-License-Identifier: GPL-2.0
/*
 * ceph_pool_create CONF POOL: make the RBD pool POOL through the monitor,
 * for ceph-cluster. What the ceph command does, without its Python: in the
 * TCG test VM each ceph command costs many seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <rados/librados.h>

int main(int argc, char **argv)
{
	rados_ioctx_t io;
	rados_t c;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: ceph_pool_create CONF POOL\n");
		return 2;
	}
	ret = rados_create(&c, NULL);
	if (!ret)
		ret = rados_conf_read_file(c, argv[1]);
	/* The monitor may still be forming its quorum: rados_connect() waits this long. */
	if (!ret)
		ret = rados_conf_set(c, "client_mount_timeout", "60");
	if (!ret)
		ret = rados_connect(c);
	if (!ret)
		ret = rados_pool_create(c, argv[2]);
	if (!ret)
		ret = rados_ioctx_create(c, argv[2], &io);
	if (!ret) {
		ret = rados_application_enable(io, "rbd", 1);
		rados_ioctx_destroy(io);
	}
	if (ret)
		fprintf(stderr, "ceph_pool_create: %s: %s\n", argv[2], strerror(-ret));
	rados_shutdown(c);
	return ret ? 1 : 0;
}
