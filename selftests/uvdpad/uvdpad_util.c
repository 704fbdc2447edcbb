// SPDX-License-Identifier: GPL-2.0
/* What uvdpad's end-to-end tests share (uvdpad_util.h), compiled once per collection. */
#include "uvdpad_util.h"
#include <sys/socket.h>
#include <sys/un.h>

#include "util/run_dir.h"
#include "vduse/vdpa_bus.h"

/* uvdpad sits two levels up from the installed test: $(OUT)/ksft/uvdpad/. */
const char *uvdpad_path(void)
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
int daemon_exec(struct daemon *d, const char *name, const char *prog, const char *const *argv)
{
	char copy[sizeof(d->name)];
	int out[2], err[2];

	/* @name may be d->name, and @argv point to it. */
	snprintf(copy, sizeof(copy), "%s", name);
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", copy);
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(prog, (char **)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	d->out = out[0];
	d->err = err[0];
	return 0;
}

int daemon_spawnv(struct daemon *d, const char *name, const char *const *args)
{
	const char *argv[32];
	int i;

	argv[0] = "uvdpad";
	for (i = 0; i < 30 && args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	return daemon_exec(d, name, uvdpad_path(), argv);
}

/* Start "uvdpad ARGS... NULL". */
int daemon_spawn(struct daemon *d, const char *name, ...)
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
void read_all(int fd, char *buf, size_t len)
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
int daemon_wait_ready(struct daemon *d, int *status)
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
	/* Its stdout closed: it is exiting, unless something else holds the pipe. */
	if (wait_exit(d->pid, READY_TIMEOUT_MS, status))
		return -ETIMEDOUT;
	d->pid = 0;
	return -ECHILD;
}

/*
 * Start uvdpad with @args and wait for its ready line: 0, or the error with
 * what it said on stderr in @why.
 */
int daemon_ready(struct daemon *d, char *why, size_t whylen)
{
	int status = 0, ret;

	why[0] = '\0';
	ret = daemon_wait_ready(d, &status);
	if (ret) {
		int n = snprintf(why, whylen, "(%d, status %#x) ", ret, status);

		read_all(d->err, why + n, whylen - n);
	}
	return ret;
}

int daemon_start(struct daemon *d, const char *name, const char *const *args, char *why,
		 size_t whylen)
{
	int ret;

	why[0] = '\0';
	ret = daemon_spawnv(d, name, args);
	return ret ? ret : daemon_ready(d, why, whylen);
}

int daemon_find_disk(struct daemon *d, char *dev, size_t devlen)
{
	int ret = vdpa_bus_blkdev(d->name, d->disk, sizeof(d->disk));

	snprintf(dev, devlen, "/dev/%s", d->disk);
	return ret;
}

int daemon_start_blk(struct daemon *d, const char *const *args, char *dev, size_t devlen,
		     char *why, size_t whylen)
{
	int ret = daemon_start(d, d->name, args, why, whylen);

	return ret ? ret : daemon_find_disk(d, dev, devlen);
}

int wait_exit(pid_t pid, int timeout_ms, int *status)
{
	struct pollfd p = { .events = POLLIN };
	int ret = 0;

	p.fd = pidfd_open(pid, 0);
	if (p.fd < 0)
		return -errno;
	/* The pidfd is readable once the child has exited: waitpid() then returns at once. */
	if (poll(&p, 1, timeout_ms) != 1)
		ret = -ETIMEDOUT;
	else if (waitpid(pid, status, 0) != pid)
		ret = -errno;
	close(p.fd);
	return ret;
}

/* Where each thread of a daemon that does not stop waits, and what it said: for the test's log. */
static void report_stuck(const struct daemon *d, int sig)
{
	char path[PATH_MAX], buf[4096];
	struct dirent *e;
	DIR *dir;
	int fd;

	fprintf(stderr, "# uvdpad %d (%s) did not exit within %d ms of signal %d\n", d->pid,
		d->name, STOP_TIMEOUT_MS, sig);
	snprintf(path, sizeof(path), "/proc/%d/task", d->pid);
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", d->pid, e->d_name);
		fd = open(path, O_RDONLY);
		buf[0] = '\0';
		if (fd >= 0) {
			read_all(fd, buf, 32);
			close(fd);
		}
		fprintf(stderr, "# thread %s %s", e->d_name, buf);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", d->pid, e->d_name);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			read_all(fd, buf, sizeof(buf));
			close(fd);
			fprintf(stderr, "%s", buf);
		}
	}
	if (dir)
		closedir(dir);
	/* What it logged so far; it still runs, so only what is there. */
	if (d->err >= 0 && fcntl(d->err, F_SETFL, O_NONBLOCK) == 0) {
		read_all(d->err, buf, sizeof(buf));
		fprintf(stderr, "# its stderr:\n%s\n", buf);
	}
}

/* Stop with @sig and return the exit status, or -1 if it did not exit normally (or in time). */
int daemon_stop(struct daemon *d, int sig)
{
	int status;

	if (!d->pid)
		return -1;
	kill(d->pid, sig);
	if (wait_exit(d->pid, STOP_TIMEOUT_MS, &status)) {
		report_stuck(d, sig);
		return -1;
	}
	d->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void daemon_close(struct daemon *d)
{
	if (d->pid)
		daemon_stop(d, SIGKILL);
	if (d->out > 0)
		close(d->out);
	if (d->err > 0)
		close(d->err);
	d->out = d->err = -1;
}

long long sysfs_ll(const char *fmt, const char *disk)
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
long long disk_ios(const char *disk)
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

int count_entries(const char *fmt, const char *disk)
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

bool path_exists(const char *fmt, const char *arg)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), fmt, arg);
	return access(path, F_OK) == 0;
}

/* Run a shell command quietly; its exit status, or -1. */
int run(const char *fmt, ...)
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

int ctl_call(const char *name, const char *line, char *reply, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char req[256];
	size_t got = 0;
	ssize_t n;
	int fd, ret;

	ret = run_path(name, RUN_DIR_SOCKET, a.sun_path, sizeof(a.sun_path));
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = snprintf(req, sizeof(req), "uvdpa-ctl 1 %s\n", line);
	ret = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, req, n, MSG_NOSIGNAL) != n)
		ret = -errno;
	while (!ret && got + 1 < len && (n = read(fd, reply + got, len - 1 - got)) > 0)
		got += n;
	if (!ret && n < 0)
		ret = -errno;
	reply[got] = '\0';
	close(fd);
	return ret;
}
