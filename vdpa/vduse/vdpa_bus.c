// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa bus driver binding through sysfs.
 *
 * The driver core probes synchronously on a write to a driver's "bind" file
 * and removes synchronously on "unbind", and device_add() creates a device's
 * sysfs directory (and, through devtmpfs, its /dev node) before it returns.
 * So when a write below returns, the driver's children (virtioN, its block
 * device, vhost-vdpa-N) are already in sysfs: nothing here polls.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vduse/vdpa_bus.h"

#define VDPA_BUS "/sys/bus/vdpa"

/* A sysfs name is one path component: refuse anything that would walk. */
static bool valid_name(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/');
}

__attribute__((format(printf, 2, 3)))
static int path_fmt(char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, PATH_MAX, fmt, ap);
	va_end(ap);
	return n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int copy_out(char *buf, size_t len, const char *s)
{
	if (strlen(s) >= len)
		return -ERANGE;
	strcpy(buf, s);
	return 0;
}

static int sysfs_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static int dev_path(char *path, const char *name, const char *file)
{
	if (!valid_name(name))
		return -EINVAL;
	return path_fmt(path, VDPA_BUS "/devices/%s/%s", name, file);
}

int vdpa_bus_driver(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int ret;

	ret = dev_path(path, name, "driver");
	if (ret)
		return ret;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		/* No driver link: an unbound device, or no device at all. */
		ret = dev_path(path, name, "");
		if (ret)
			return ret;
		if (access(path, F_OK))
			return errno == ENOENT ? -ENODEV : -errno;
		return copy_out(buf, len, "");
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	return copy_out(buf, len, base ? base + 1 : target);
}

int vdpa_bus_bind(const char *name, const char *driver)
{
	char path[PATH_MAX], cur[NAME_MAX + 1];
	struct stat st;
	int ret;

	if (!valid_name(driver))
		return -EINVAL;
	ret = path_fmt(path, VDPA_BUS "/drivers/%s", driver);
	if (ret)
		return ret;
	/* A vdpa driver module has its directory there while it is loaded. */
	if (stat(path, &st))
		return -errno;

	ret = vdpa_bus_driver(name, cur, sizeof(cur));
	if (ret)
		return ret;
	if (!strcmp(cur, driver))
		return 0;
	if (cur[0]) {
		ret = dev_path(path, name, "driver/unbind");
		if (!ret)
			ret = sysfs_write(path, name);
		if (ret)
			return ret;
	}
	/*
	 * The vdpa bus matches a device that has a driver_override against
	 * that driver only; without one, against every vdpa driver.
	 */
	ret = dev_path(path, name, "driver_override");
	if (!ret)
		ret = sysfs_write(path, driver);
	if (ret)
		return ret;
	ret = path_fmt(path, VDPA_BUS "/drivers/%s/bind", driver);
	if (ret)
		return ret;
	return sysfs_write(path, name);
}

/* True when @s is @prefix followed by a decimal number. */
static bool numbered(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) || !s[n])
		return false;
	for (s += n; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/*
 * Store in @buf the name of the entry of directory @dir that is @prefix
 * followed by a number or, when @prefix is NULL, the first one that is not
 * a dot entry. -ENOENT when there is none.
 */
static int find_entry(const char *dir, const char *prefix, char *buf, size_t len)
{
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (prefix ? numbered(de->d_name, prefix) : de->d_name[0] != '.') {
			ret = copy_out(buf, len, de->d_name);
			break;
		}
	}
	closedir(d);
	return ret;
}

/* The first entry of @class ("block", "net") under @name's virtio device. */
static int virtio_child(const char *name, const char *class, char *buf, size_t len)
{
	char path[PATH_MAX], virtio[NAME_MAX + 1];
	int ret;

	ret = dev_path(path, name, "");
	if (!ret)
		ret = find_entry(path, "virtio", virtio, sizeof(virtio));
	if (ret)
		return ret;
	ret = path_fmt(path, VDPA_BUS "/devices/%s/%s/%s", name, virtio, class);
	if (ret)
		return ret;
	return find_entry(path, NULL, buf, len);
}

int vdpa_bus_blkdev(const char *name, char *buf, size_t len)
{
	/* virtio_blk's gendisk is a child of the virtio device, in "block/". */
	return virtio_child(name, "block", buf, len);
}

int vdpa_bus_netdev(const char *name, char *buf, size_t len)
{
	return virtio_child(name, "net", buf, len);
}

int vdpa_bus_vhost_dev(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret;

	ret = dev_path(path, name, "");
	if (ret)
		return ret;
	return find_entry(path, "vhost-vdpa-", buf, len);
}
