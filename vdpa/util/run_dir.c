// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uvdpa_ctl.h"
#include "util/run_dir.h"

const char *run_dir(void)
{
	const char *dir = getenv(UVDPA_CTL_DIR_ENV);

	return dir && *dir ? dir : UVDPA_CTL_DIR;
}

int run_path(const char *name, const char *ext, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s.%s", run_dir(), name, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int run_dir_make(char *err, size_t errlen)
{
	const char *dir = run_dir();
	struct stat st;

	/* 0700 has no bits a umask could add; it can only take the owner's away. */
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the run directory %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st)) {
		snprintf(err, errlen, "cannot read the run directory %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "the run directory %s is not a directory%s: remove it, "
			 "or set %s", dir, S_ISLNK(st.st_mode) ? " (a symlink)" : "",
			 UVDPA_CTL_DIR_ENV);
		return -ENOTDIR;
	}
	/* Root could write anything anywhere: trusting its directory adds no risk. */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "the run directory %s belongs to uid %u, not to root or "
			 "this daemon's uid %u: remove it, or set %s", dir, (unsigned int)st.st_uid,
			 (unsigned int)geteuid(), UVDPA_CTL_DIR_ENV);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "the run directory %s is writable by %s (mode %04o): "
			 "chmod go-w %s", dir, st.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned int)(st.st_mode & 07777), dir);
		return -EPERM;
	}
	return 0;
}
