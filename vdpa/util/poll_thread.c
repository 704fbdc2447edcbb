// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/efd.h"
#include "util/log.h"
#include "util/poll_thread.h"

static void *poll_thread_main(void *arg)
{
	struct poll_thread *t = arg;

	for (;;) {
		/* Back from the callback: the probe sent so far is answered. */
		atomic_store(&t->pong, atomic_load(&t->ping));
		if (poll(t->fds, t->nr + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			/* What it watches would go unanswered while the daemon looks alive. */
			log_fatal("%s: poll: %s", t->what, strerror(errno));
		}
		if (t->fds[t->nr].revents)
			break;
		/* Only a probe: round again, which answers it; the others stay readable. */
		if (t->fds[t->nr + 1].revents && efd_take(t->probe_fd))
			continue;
		if (t->ready(t->arg, t->fds))
			break;
	}
	return NULL;
}

int poll_thread_start(struct poll_thread *t, const char *what, const int *fds, unsigned int nr,
		      int (*ready)(void *arg, const struct pollfd *fds), void *arg)
{
	unsigned int i;
	int ret;

	if (nr > POLL_THREAD_MAX_FDS)
		return -EINVAL;
	snprintf(t->what, sizeof(t->what), "%s", what);
	t->nr = nr;
	t->ready = ready;
	t->arg = arg;
	for (i = 0; i < nr; i++)
		t->fds[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	atomic_init(&t->ping, 0);
	atomic_init(&t->pong, 0);
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (t->stop_fd < 0)
		return -errno;
	t->probe_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->probe_fd < 0) {
		ret = -errno;
		close(t->stop_fd);
		t->stop_fd = -1;
		return ret;
	}
	t->fds[nr] = (struct pollfd){ .fd = t->stop_fd, .events = POLLIN };
	t->fds[nr + 1] = (struct pollfd){ .fd = t->probe_fd, .events = POLLIN };
	ret = -pthread_create(&t->thread, NULL, poll_thread_main, t);
	if (ret) {
		close(t->stop_fd);
		close(t->probe_fd);
		t->stop_fd = t->probe_fd = -1;
	}
	return ret;
}

bool poll_thread_alive(struct poll_thread *t)
{
	unsigned int sent = atomic_load(&t->ping);
	int ret;

	if (atomic_load(&t->pong) != sent)
		return false;
	atomic_store(&t->ping, sent + 1);
	ret = efd_signal(t->probe_fd);
	if (ret)
		log_err("%s: cannot wake: %s", t->what, strerror(-ret));
	return true;
}

void poll_thread_set_fd(struct poll_thread *t, unsigned int i, int fd)
{
	t->fds[i].fd = fd;
	t->fds[i].revents = 0;
}

void poll_thread_stop(struct poll_thread *t)
{
	int ret = efd_signal(t->stop_fd);

	if (ret)
		log_err("%s: cannot stop: %s", t->what, strerror(-ret));
	pthread_join(t->thread, NULL);
	close(t->stop_fd);
	close(t->probe_fd);
	t->stop_fd = t->probe_fd = -1;
}
