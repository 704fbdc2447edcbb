// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/cpumask.h"

/* 8192 CPUs, the most a Debian kernel is built for (CONFIG_NR_CPUS). */
#define MAX_GROUPS 256

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The groups of @text, the lowest first, into @g: how many, or -EINVAL. */
static int parse(const char *text, uint32_t *g)
{
	size_t len = strcspn(text, "\n");
	unsigned int nr = 0, digits = 0, i;
	uint32_t cur = 0;

	if (!len || (text[len] && text[len + 1]))
		return -EINVAL;
	for (i = 0; i <= len; i++) {
		int v = i < len ? hexval(text[i]) : -1;

		if (v >= 0) {
			if (++digits > 8)
				return -EINVAL;
			cur = cur << 4 | v;
			continue;
		}
		if ((i < len && text[i] != ',') || !digits || nr == MAX_GROUPS)
			return -EINVAL;
		g[nr++] = cur;
		cur = 0;
		digits = 0;
	}
	/* Printed highest first: turn them round. */
	for (i = 0; i < nr / 2; i++) {
		cur = g[i];
		g[i] = g[nr - 1 - i];
		g[nr - 1 - i] = cur;
	}
	return nr;
}

int cpumask_nth(const char *text, unsigned int n, unsigned int *weight)
{
	uint32_t g[MAX_GROUPS];
	unsigned int i, w = 0, cpu;
	int nr = parse(text, g);

	if (nr < 0)
		return nr;
	for (i = 0; i < (unsigned int)nr; i++)
		w += __builtin_popcount(g[i]);
	*weight = w;
	if (!w)
		return -ENOENT;
	n %= w;
	for (cpu = 0;; cpu++)
		if (g[cpu / 32] & 1U << cpu % 32 && !n--)
			return cpu;
}

int cpumask_print_one(unsigned int cpu, char *buf, size_t len)
{
	unsigned int i, groups = cpu / 32;
	int n = snprintf(buf, len, "%x", 1U << cpu % 32);

	for (i = 0; i < groups && n >= 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, ",00000000");
	return n >= 0 && (size_t)n < len ? 0 : -ENOSPC;
}
