/* SPDX-License-Identifier: GPL-2.0 */
/* uvdpad's command line: parsed and checked before anything is created. */
#ifndef UVDPA_CLI_H
#define UVDPA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cli_attach {
	CLI_ATTACH_NONE,	/* the user runs "vdpa dev add" */
	CLI_ATTACH_VIRTIO,	/* a host device, through virtio_vdpa */
	CLI_ATTACH_VHOST,	/* /dev/vhost-vdpa-N for a VM */
};

/* uvdpad net only. */
struct cli_net {
	const char *tap;	/* --tap NAME; NULL: a new tap named by the kernel */
	int tap_fd;		/* --tap-fd N, inherited; -1: none */
	uint8_t mac[6];
	bool mac_set;
	unsigned int mtu;
};

struct cli_opts {
	const char *type;	/* "blk" or "net" */
	const char *name;
	const char *backend;	/* "file", "null", "ram" */
	const char *path;
	uint64_t size;		/* bytes; 0: the file's size */
	bool direct;
	bool read_only;
	unsigned int queues;
	unsigned int workers;	/* threads the queues are spread over; 0: one per queue */
	unsigned int queue_size;
	bool packed;
	bool no_umem;		/* leave VDUSE's bounce buffer to the kernel */
	enum cli_attach attach;
	const char *filter;	/* a shipped filter; NULL: the built-in passthrough */
	const char *filter_object;	/* or a BPF object file */
	char **filter_params;	/* "key=value" words after the options */
	unsigned int nr_filter_params;
	struct cli_net net;
	bool reconnect;		/* take over NAME from the log of a previous daemon */
	bool verbose;
	bool help;
};

/*
 * Parse argv into @o. On a bad argument return -EINVAL with a one-line
 * message for a person in @err.
 */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
/* "02:00:00:00:00:01" into 6 bytes: 0, or -EINVAL (also for multicast or zero). */
int cli_parse_mac(const char *s, uint8_t mac[6]);
/* "512", "4k", "1M", "2G", "1T" (powers of 1024) into bytes: 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *bytes);
extern const char cli_usage[];

#endif
