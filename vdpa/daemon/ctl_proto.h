/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's side of the control protocol's syntax (uapi/uvdpa_ctl.h):
 * where a request line ends, its words, its version, the arguments of
 * filter set. No I/O and no device here, so that a fuzzer can drive every
 * byte a client may send through exactly the code the daemon runs.
 */
#ifndef UVDPA_CTL_PROTO_H
#define UVDPA_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "uvdpa_ctl.h"

#define CTL_MAX_WORDS 64

/*
 * @buf holds the @len bytes a client sent so far (@len < UVDPA_CTL_LINE_MAX).
 * Returns the length of the request line, its newline replaced by a NUL;
 * -EAGAIN when more bytes are needed; -E2BIG when the line cannot fit in
 * UVDPA_CTL_LINE_MAX bytes; -EPROTO for a NUL byte in the line.
 */
int ctl_frame(char *buf, size_t len);

/* A request line in words: the command and its arguments. */
struct ctl_words {
	unsigned int version;
	int argc;
	char *argv[CTL_MAX_WORDS];
};

/*
 * Split @line (one framed request) in place and check "uvdpa-ctl VERSION
 * COMMAND": 0, or -errno and one line for a person in @err.
 */
int ctl_parse(char *line, struct ctl_words *w, char *err, size_t errlen);

/* filter set [--reload] NAME [K=V]... or filter set [--reload] --object PATH [K=V]... */
struct ctl_filter_set {
	/* A fresh copy even of the filter running (its defaults, its state from zero). */
	bool reload;
	const char *name;	/* one of name and path is set */
	const char *path;	/* absolute */
	char *const *params;	/* "key=value" words, unchecked */
	unsigned int nr_params;
};

/* The words after "filter set": 0, or -EINVAL and one line in @err. */
int ctl_parse_filter_set(int argc, char *const *argv, struct ctl_filter_set *s, char *err,
			 size_t errlen);

#endif
