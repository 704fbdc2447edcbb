// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "util/netns.h"

struct netns_req {
	int nsfd;
	int domain;
	int type;
	int protocol;
	int ret;
};

/*
 * setns() moves only the calling thread, and this one ends right after:
 * no thread that runs the daemon's code is ever left in a namespace that
 * is not its own.
 */
static void *netns_socket_main(void *arg)
{
	struct netns_req *r = arg;

	if (setns(r->nsfd, CLONE_NEWNET)) {
		r->ret = -errno;
		return NULL;
	}
	r->ret = socket(r->domain, r->type, r->protocol);
	if (r->ret < 0)
		r->ret = -errno;
	return NULL;
}

/* Our own namespace needs no setns(), and so no CAP_SYS_ADMIN (a container's root may lack it). */
static bool netns_ours(int nsfd)
{
	struct stat ns, ours;

	return !fstat(nsfd, &ns) && !stat("/proc/thread-self/ns/net", &ours) &&
	       ns.st_dev == ours.st_dev && ns.st_ino == ours.st_ino;
}

int netns_socket(int nsfd, int domain, int type, int protocol)
{
	struct netns_req r = { nsfd, domain, type, protocol, -EINVAL };
	pthread_t thread;
	int ret;

	if (netns_ours(nsfd)) {
		ret = socket(domain, type, protocol);
		return ret < 0 ? -errno : ret;
	}
	ret = pthread_create(&thread, NULL, netns_socket_main, &r);
	if (ret)
		return -ret;
	pthread_join(thread, NULL);
	return r.ret;
}
