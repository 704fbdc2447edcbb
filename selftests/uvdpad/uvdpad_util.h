/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What uvdpad's end-to-end tests share (uvdpad, vhost and nested collections,
 * each linking uvdpad_util.o, see util.mk): run uvdpad from a test (start it
 * with its stdout on a pipe, wait for its "ready" line or its death with a
 * bounded poll, find its disk, stop it), and read what the kernel says about
 * its devices.
 */
#ifndef UVDPAD_UTIL_H
#define UVDPAD_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 60000
/* A daemon that takes longer to stop is stuck: the test says so instead of hanging. */
#define STOP_TIMEOUT_MS 60000

struct daemon {
	pid_t pid;
	int out;		/* its stdout */
	int err;		/* its stderr */
	char name[64];
	char disk[32];		/* "vda": the virtio_blk disk, once attached */
};

/* uvdpad sits two levels up from the installed test: $(OUT)/ksft/uvdpad/. */
const char *uvdpad_path(void);

/*
 * Start @prog (PATH searched) with @argv (NULL-terminated, argv[0] included)
 * as daemon @name, output on pipes.
 */
int daemon_exec(struct daemon *d, const char *name, const char *prog, const char *const *argv);

/* Start uvdpad with @args (NULL-terminated, without argv[0]), output on pipes. */
int daemon_spawnv(struct daemon *d, const char *name, const char *const *args);

/* Start "uvdpad ARGS... NULL". */
int daemon_spawn(struct daemon *d, const char *name, ...);

/* Read @fd until EOF into @buf (NUL-terminated). */
void read_all(int fd, char *buf, size_t len);

/*
 * Wait for the daemon's ready line: 0, or -ECHILD if it exited first (its
 * status in *status), or -ETIMEDOUT.
 */
int daemon_wait_ready(struct daemon *d, int *status);

/* daemon_wait_ready(), and on an error what the daemon said on stderr in @why. */
int daemon_ready(struct daemon *d, char *why, size_t whylen);

/*
 * Start uvdpad with @args and wait for its ready line: 0, or the error with
 * what it said on stderr in @why.
 */
int daemon_start(struct daemon *d, const char *name, const char *const *args, char *why,
		 size_t whylen);

/* The disk of the attached blk device: d->disk ("vda") and @dev ("/dev/vda"). */
int daemon_find_disk(struct daemon *d, char *dev, size_t devlen);

/*
 * "uvdpad blk ARGS" as device d->name, attached to virtio_vdpa (@args says
 * --attach): daemon_start(), then daemon_find_disk().
 */
int daemon_start_blk(struct daemon *d, const char *const *args, char *dev, size_t devlen,
		     char *why, size_t whylen);

/* In a test: daemon_start_blk(), with what uvdpad said in the test's log when it fails. */
#define START_BLK(d, args, dev) ({							\
		char __why[1024];							\
		int __ret = daemon_start_blk(d, args, dev, sizeof(dev), __why, sizeof(__why));	\
		if (__ret && __why[0])							\
			TH_LOG("uvdpad did not get ready %s", __why);			\
		__ret;									\
	})

/*
 * Wait at most @timeout_ms for child @pid to exit: 0 with its status in
 * *status, -ETIMEDOUT (it is left running), or -errno.
 */
int wait_exit(pid_t pid, int timeout_ms, int *status);

/*
 * Stop with @sig and return the exit status, or -1 if it did not exit
 * normally or within STOP_TIMEOUT_MS (then d->pid stays set).
 */
int daemon_stop(struct daemon *d, int sig);

void daemon_close(struct daemon *d);

long long sysfs_ll(const char *fmt, const char *disk);

/* Reads plus writes completed, from /sys/block/DISK/stat. */
long long disk_ios(const char *disk);

int count_entries(const char *fmt, const char *disk);

bool path_exists(const char *fmt, const char *arg);

/* Run a shell command quietly; its exit status, or -1. */
int run(const char *fmt, ...);

/*
 * One request on daemon @name's control socket, without uvdpactl (whose
 * start-up a busy guest would add to the time): @line without the
 * "uvdpa-ctl 1 " prefix, the whole reply in @reply. 0 or -errno.
 */
int ctl_call(const char *name, const char *line, char *reply, size_t len);

/* Run uvdpactl (next to uvdpad) with @fmt's words; its stdout in @out; its exit status or -1. */
static inline int uvdpactl(char *out, size_t len, const char *fmt, ...)
{
	const char *daemon = uvdpad_path(), *slash = strrchr(daemon, '/');
	char cmd[PATH_MAX + 600], args[512];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int status;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%.*suvdpactl %s", slash ? (int)(slash + 1 - daemon) : 0,
		 daemon, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (out && len) {
		n = fread(out, 1, len - 1, f);
		out[n] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	status = pclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * One counter of queue @vq from "uvdpactl stats NAME": a header line of
 * column names ("vq kicks completions ..."), then a line of numbers per queue.
 * Returns the counter, or -1.
 */
static inline long long ctl_queue_stat(const char *name, unsigned int vq, const char *field)
{
	char out[8192], *line, *save = NULL, *word, *wsave;
	int col = -1, i;

	if (uvdpactl(out, sizeof(out), "stats %s", name))
		return -1;
	line = strtok_r(out, "\n", &save);
	for (i = 0, word = line ? strtok_r(line, " ", &wsave) : NULL; word;
	     i++, word = strtok_r(NULL, " ", &wsave))
		if (!strcmp(word, field))
			col = i;
	if (col < 0)
		return -1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		word = strtok_r(line, " ", &wsave);
		if (!word || strtoul(word, NULL, 10) != vq)
			continue;
		for (i = 0; word && i < col; i++)
			word = strtok_r(NULL, " ", &wsave);
		return word ? atoll(word) : -1;
	}
	return -1;
}

/*
 * One counter of the device model from "uvdpactl stats NAME": after the
 * queues' table, a header line starting "dev" and a line of values.
 * Returns the counter, or -1.
 */
static inline long long ctl_model_stat(const char *name, const char *field)
{
	char out[8192], *line, *save = NULL, *word, *wsave;
	int col = -1, i;

	if (uvdpactl(out, sizeof(out), "stats %s", name))
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		word = strtok_r(line, " ", &wsave);
		if (word && !strcmp(word, "dev"))
			break;
	}
	for (i = 1, word = line ? strtok_r(NULL, " ", &wsave) : NULL; word;
	     i++, word = strtok_r(NULL, " ", &wsave))
		if (!strcmp(word, field))
			col = i;
	line = col < 0 ? NULL : strtok_r(NULL, "\n", &save);
	if (!line)
		return -1;
	for (i = 0, word = strtok_r(line, " ", &wsave); word && i < col; i++)
		word = strtok_r(NULL, " ", &wsave);
	return word ? atoll(word) : -1;
}

#endif
