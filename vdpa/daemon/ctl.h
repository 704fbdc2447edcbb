/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's control socket (uapi/uvdpa_ctl.h): threads that answer one
 * request per connection from a table of commands, a few connections at
 * once. Adding a command is one
 * handler and one line in that table (ctl.c).
 */
#ifndef UVDPA_CTL_H
#define UVDPA_CTL_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "daemon/ctl_proto.h"
#include "daemon/info.h"
#include "policy/nf.h"
#include "worker/worker.h"

struct served;

/* What the commands act on: one device and the workers serving it. */
struct ctl_dev {
	const char *name;
	/* The model's counters, after the queues' in stats (NULL: none). */
	void (*model_stats)(const struct served *s, FILE *out);
	const struct served *served;
	/* The device's lines of the info request before the filter's and the queues' (NULL: none). */
	const struct info_dev *info;
	struct worker **workers;
	unsigned int nr_workers;
	unsigned int nr_queues;
	/* The filter every queue follows (NULL: built-in); swapped under lock. */
	struct nf_prog *filter;
	pthread_mutex_t filter_lock;
};

struct ctl;

/* Connections served at once; more wait in the listen backlog. */
#define CTL_CLIENTS 4

/*
 * The filter @s names (a shipped one, NF_BUILTIN_NAME, or an object file)
 * with its "key=value" parameters. The filter running already, unless
 * @s->reload: those parameters change in place, the program keeping its
 * state. Any other: loaded with its defaults plus those, and every queue
 * of @dev handed to it; the previous one is freed once no worker uses it.
 * On failure nothing changes, and @err says why.
 */
int ctl_set_filter(struct ctl_dev *dev, const struct ctl_filter_set *s, char *err,
		   size_t errlen);

/* Listen on UVDPA_CTL_DIR/NAME.sock and serve @dev until ctl_stop(). */
int ctl_start(struct ctl **out, struct ctl_dev *dev, char *err, size_t errlen);
void ctl_stop(struct ctl *c);

#endif
