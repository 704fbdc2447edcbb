/* SPDX-License-Identifier: GPL-2.0 */
/* How the fuzz targets read their input: bytes, little-endian, zeroes once it runs out. */
#ifndef UVDPA_FUZZ_INPUT_H
#define UVDPA_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t next(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t next16(struct input *in)
{
	uint16_t lo = next(in);

	return lo | next(in) << 8;
}

static inline uint32_t next32(struct input *in)
{
	uint32_t lo = next16(in);

	return lo | (uint32_t)next16(in) << 16;
}

static inline uint64_t next64(struct input *in)
{
	uint64_t lo = next32(in);

	return lo | (uint64_t)next32(in) << 32;
}

#endif
