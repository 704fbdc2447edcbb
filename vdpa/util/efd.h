/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Eventfds as doorbells between our own threads: one side rings, the other
 * wakes in poll() or io_uring and takes the count.
 */
#ifndef UVDPA_EFD_H
#define UVDPA_EFD_H

#include <stdbool.h>

/* Add 1 to eventfd @fd: 0, or -errno. */
int efd_signal(int fd);
/* Take the count of the non-blocking eventfd @fd: whether it had been signalled. */
bool efd_take(int fd);

#endif
