// SPDX-License-Identifier: GPL-2.0
/*
 * The libraries stay loaded until the process ends: librados leaves
 * threads and atexit handlers behind after rados_shutdown(), and they
 * must not outlive their code.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "backend/ceph_lib.h"

/* The soname of Debian's librbd1; it brings librados2 with it. */
#define LIBRBD "librbd.so.1"

struct ceph_lib ceph;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_why[256];

static void load(void)
{
	void *rbd = dlopen(LIBRBD, RTLD_NOW | RTLD_LOCAL);
	void *sym;

	if (!rbd) {
		snprintf(load_why, sizeof(load_why),
			 "the RBD backend needs librbd1 and librados2: %s", dlerror());
		return;
	}
	/* dlsym() on librbd's handle also searches librados, its dependency. */
#define CEPH_LIB_LOAD(name) \
	sym = dlsym(rbd, #name); \
	if (!sym) { \
		snprintf(load_why, sizeof(load_why), "%s has no %s: %s", LIBRBD, #name, \
			 dlerror()); \
		return; \
	} \
	ceph.name = (typeof(ceph.name))sym;
	CEPH_LIB_SYMS(CEPH_LIB_LOAD)
#undef CEPH_LIB_LOAD
}

int ceph_lib_load(char *why, size_t len)
{
	pthread_once(&once, load);
	if (!load_why[0])
		return 0;
	snprintf(why, len, "%s", load_why);
	return -ENOENT;
}
