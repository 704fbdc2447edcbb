/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread that sleeps in poll() on a few file descriptors and on a stop
 * eventfd of its own, and hands what is ready to a callback: the shape of
 * the daemon's side threads (VDUSE messages, the control socket, a tap's
 * link watch). poll_thread_stop() ends it from any other thread.
 */
#ifndef UVDPA_POLL_THREAD_H
#define UVDPA_POLL_THREAD_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define POLL_THREAD_MAX_FDS 4

struct poll_thread {
	pthread_t thread;
	int stop_fd;
	int probe_fd;		/* poll_thread_alive()'s wake-up */
	/* poll_thread_alive(): the probe sent, and the last one the loop answered. */
	atomic_uint ping;
	atomic_uint pong;
	/* The caller's descriptors, then the stop and the probe eventfds. */
	struct pollfd fds[POLL_THREAD_MAX_FDS + 2];
	unsigned int nr;
	int (*ready)(void *arg, const struct pollfd *fds);
	void *arg;
	char what[64];
};

/*
 * Watch @fds[0, nr) for POLLIN (a negative fd is left out, as poll() does)
 * and call @ready(@arg, fds) on the new thread after each wakeup, with
 * revents set in the same order: it returns 0 to go on, or nonzero to end
 * the thread. @what names the thread in messages. 0, or -errno.
 */
int poll_thread_start(struct poll_thread *t, const char *what, const int *fds, unsigned int nr,
		      int (*ready)(void *arg, const struct pollfd *fds), void *arg);
/*
 * For the service manager's watchdog: true if the thread came back to
 * poll() since the previous call (the first call: true), and then wakes it
 * for the next probe. Never waits for the thread.
 */
bool poll_thread_alive(struct poll_thread *t);
/*
 * From @ready only, on the thread itself: watch @fd (or nothing, if
 * negative) in place of the caller's descriptor @i from the next poll() on.
 */
void poll_thread_set_fd(struct poll_thread *t, unsigned int i, int fd);
/* End the thread (or wait for it, if @ready ended it) and release it. */
void poll_thread_stop(struct poll_thread *t);

#endif
