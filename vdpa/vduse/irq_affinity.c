// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cpumask.h"
#include "vduse/irq_affinity.h"

int irq_affinity_pin(const char *name, unsigned int queue)
{
	char path[128], mask[2400], one[2400];
	unsigned int weight;
	ssize_t n;
	int fd, cpu, ret;

	snprintf(path, sizeof(path), "/sys/class/vduse/%s/vq%u/irq_cb_affinity", name, queue);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, mask, sizeof(mask) - 1);
	ret = n < 0 ? -errno : 0;
	if (ret)
		goto out;
	mask[n] = '\0';
	cpu = cpumask_nth(mask, queue, &weight);
	ret = cpu < 0 ? cpu : 0;
	if (ret || weight == 1)
		goto out;
	ret = cpumask_print_one(cpu, one, sizeof(one));
	if (ret)
		goto out;
	if (pwrite(fd, one, strlen(one), 0) < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}
