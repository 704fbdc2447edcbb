/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run uvdpad from a test: start it with its stdout on a pipe, wait for its
 * "ready" line (or its death) with a bounded poll, and stop it.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 60000

struct daemon {
	pid_t pid;
	int out;		/* its stdout */
	int err;		/* its stderr */
	char name[64];
	char disk[32];		/* "vda": the virtio_blk disk, once attached */
};

/* uvdpad sits two levels up from the installed test: $(OUT)/ksft/uvdpad/. */
static inline const char *uvdpad_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("UVDPAD");
	ssize_t n;

	if (env)
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (n < 0)
		return "uvdpad";
	path[n] = '\0';
	strcpy(strrchr(path, '/'), "/../../uvdpad");
	return path;
}

/* Start uvdpad with @args (NULL-terminated, without argv[0]), output on pipes. */
static inline int daemon_spawnv(struct daemon *d, const char *name, const char *const *args)
{
	const char *argv[32];
	int out[2], err[2], i;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	argv[0] = "uvdpad";
	for (i = 0; i < 30 && args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(uvdpad_path(), (char **)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	d->out = out[0];
	d->err = err[0];
	return 0;
}

/* Start "uvdpad ARGS... NULL". */
static inline int daemon_spawn(struct daemon *d, const char *name, ...)
{
	const char *args[31];
	int i = 0;
	va_list ap;

	va_start(ap, name);
	while (i < 30 && (args[i] = va_arg(ap, const char *)))
		i++;
	va_end(ap);
	args[i] = NULL;
	return daemon_spawnv(d, name, args);
}

/* Read @fd until EOF into @buf (NUL-terminated). */
static inline void read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
}

/*
 * Wait for the daemon's ready line: 0, or -ECHILD if it exited first (its
 * status in *status), or -ETIMEDOUT.
 */
static inline int daemon_wait_ready(struct daemon *d, int *status)
{
	char line[512];
	size_t got = 0;
	struct pollfd p = { .fd = d->out, .events = POLLIN };
	ssize_t n;

	while (got + 1 < sizeof(line)) {
		if (poll(&p, 1, READY_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(d->out, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		line[got] = '\0';
		if (strstr(line, " ready:"))
			return 0;
	}
	waitpid(d->pid, status, 0);
	d->pid = 0;
	return -ECHILD;
}

/*
 * Start uvdpad with @args and wait for its ready line: 0, or the error with
 * what it said on stderr in @why.
 */
static inline int daemon_start(struct daemon *d, const char *name, const char *const *args,
			       char *why, size_t whylen)
{
	int status = 0, ret;

	why[0] = '\0';
	ret = daemon_spawnv(d, name, args);
	if (ret)
		return ret;
	ret = daemon_wait_ready(d, &status);
	if (ret) {
		int n = snprintf(why, whylen, "(%d, status %#x) ", ret, status);

		read_all(d->err, why + n, whylen - n);
	}
	return ret;
}

/* Stop with @sig and return the exit status, or -1 if it did not exit normally. */
static inline int daemon_stop(struct daemon *d, int sig)
{
	int status;

	if (!d->pid)
		return -1;
	kill(d->pid, sig);
	if (waitpid(d->pid, &status, 0) < 0)
		return -1;
	d->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline void daemon_close(struct daemon *d)
{
	if (d->pid)
		daemon_stop(d, SIGKILL);
	if (d->out > 0)
		close(d->out);
	if (d->err > 0)
		close(d->err);
	d->out = d->err = -1;
}

static inline long long sysfs_ll(const char *fmt, const char *disk)
{
	char path[PATH_MAX], buf[64] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), fmt, disk);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -EIO;
}

/* Reads plus writes completed, from /sys/block/DISK/stat. */
static inline long long disk_ios(const char *disk)
{
	char path[PATH_MAX];
	long long r = 0, w = 0, x;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", disk);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%lld %lld %lld %lld %lld", &r, &x, &x, &x, &w) != 5)
		r = w = 0;
	fclose(f);
	return r + w;
}

static inline int count_entries(const char *fmt, const char *disk)
{
	char path[PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), fmt, disk);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

static inline bool path_exists(const char *fmt, const char *arg)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), fmt, arg);
	return access(path, F_OK) == 0;
}

/* Run a shell command quietly; its exit status, or -1. */
static inline int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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

#endif
