/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a daemon keeps what other processes find by its device's name: the
 * control socket NAME.sock and the reconnect state NAME.state, in
 * $UVDPA_RUN_DIR or else UVDPA_CTL_DIR (uapi/uvdpa_ctl.h). The daemon and
 * uvdpactl both ask here, so they always agree.
 */
#ifndef UVDPA_RUN_DIR_H
#define UVDPA_RUN_DIR_H

#include <stddef.h>

#define RUN_DIR_SOCKET "sock"
#define RUN_DIR_STATE "state"

const char *run_dir(void);
/*
 * Make the run directory, mode 0700, or check the one there: a directory
 * (not a symlink to one) owned by root or this uid, not writable by group or
 * others, since whoever can write in it can plant the socket or the state
 * file another daemon trusts. 0, or -errno with one line in @err.
 */
int run_dir_make(char *err, size_t errlen);
/* @path = RUN_DIR/NAME.EXT: 0, or -ENAMETOOLONG when it does not fit in @len. */
int run_path(const char *name, const char *ext, char *path, size_t len);

#endif
