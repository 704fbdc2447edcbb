// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
