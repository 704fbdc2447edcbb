/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdpad's options: parsed and checked before anything is created. One
 * table of options serves the command line and any other source of them
 * (a configuration file): cli_init(), cli_set_type(), cli_set() per option,
 * then cli_finish() for the checks across options. The device types
 * (daemon/dev_type.h) and the backend table (backend/backend.h) say which
 * types and backends exist.
 */
#ifndef UVDPA_CLI_H
#define UVDPA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend/backend.h"

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
	const char *backend;	/* "file", "null", "ram", "nbd", "rbd" */
	const char *path;
	const char *nbd;	/* --nbd URI */
	const char *rbd;	/* --rbd POOL/IMAGE[@SNAP] */
	const char *ceph_conf, *ceph_id;
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
	uint64_t given;		/* bit i: the i-th option of the table was set */
};

/*
 * Parse argv into @o. On a bad argument return -EINVAL with a one-line
 * message for a person in @err.
 */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
/*
 * The same one piece at a time. cli_init() sets the defaults; then the
 * device type ("blk"); cli_set() one option by its long name without "--"
 * (@value NULL for a flag, or an optional value left out), with the
 * command line's checks and messages; cli_finish() the checks across
 * options, and the defaults that depend on others. Each returns 0 or
 * -EINVAL with a line for a person in @err.
 */
void cli_init(struct cli_opts *o);
int cli_set_type(struct cli_opts *o, const char *type, char *err, size_t errlen);
int cli_set(struct cli_opts *o, const char *name, const char *value, char *err, size_t errlen);
int cli_finish(struct cli_opts *o, char *err, size_t errlen);
/*
 * The options in @argv[1..@argc-1] as on the command line (--opt=X or
 * --opt X, -v, -h), each through cli_set(); the words that are no options
 * (filter parameters, key=value) end up in o->filter_params, pointing into
 * @argv, which getopt reorders. 0, or -EINVAL with a line in @err.
 */
int cli_set_args(struct cli_opts *o, int argc, char **argv, char *err, size_t errlen);
/* How --@name takes a value: no_argument, required_argument or optional_argument, or -ENOENT. */
int cli_option_arg(const char *name);
/* uvdpad --help: every device type's usage. */
void cli_usage(FILE *out);
/* "02:00:00:00:00:01" into 6 bytes: 0, or -EINVAL (also for multicast or zero). */
int cli_parse_mac(const char *s, uint8_t mac[6]);
/* "512", "4k", "1M", "2G", "1T" (powers of 1024) into bytes: 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *bytes);

/* For the device types' checks and usage. */
int cli_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether option --@name was set. */
bool cli_given(const struct cli_opts *o, const char *name);
/*
 * Append @word, the @i-th of @n words of a list, to @buf: after @sep, or
 * after @last for the last one ("a, b or c").
 */
void cli_list_add(char *buf, size_t size, unsigned int i, unsigned int n, const char *word,
		  const char *sep, const char *last);
/*
 * The backend options given (BE_OPT_*) against those @be takes and needs:
 * 0, or -EINVAL and a line in @err.
 */
int cli_check_backend(const struct cli_opts *o, const struct be_ops *be, char *err,
		      size_t errlen);
/*
 * The backend of @kind that the options given call for when --backend is
 * not: the first given that only one backend needs names it (--file: file;
 * --size names none, null and ram both need it), or NULL.
 */
const struct be_ops *cli_implied_backend(const struct cli_opts *o, enum be_kind kind);
/* The names of the backends of @kind: "file, null or ram". */
void cli_backend_names(char *buf, size_t size, enum be_kind kind, const char *sep,
		       const char *last);

#endif
