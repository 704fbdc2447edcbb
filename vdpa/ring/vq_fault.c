// SPDX-License-Identifier: GPL-2.0
/*
 * A driver's fault in words: the field that was wrong and where, as the
 * kernel's vringh.c names them ("Readable desc after writable"), so that a
 * log line tells the guest's author what to fix.
 */
#include <stdio.h>

#include "ring/vq_internal.h"

/* Faults at a descriptor: the format takes where, then value and limit. */
static const char *const at_desc[VQ_FAULT_KINDS] = {
	[VQ_FAULT_LOOP] = "%s: the chain loops (more than %u steps)",
	[VQ_FAULT_TOO_LONG] = "%s: chain longer than %u descriptors",
	[VQ_FAULT_NEXT] = "%s: next %u outside the table (size %u)",
	[VQ_FAULT_READ_AFTER_WRITE] = "%s: readable after writable",
	[VQ_FAULT_INDIRECT_FEATURE] = "%s: INDIRECT without VIRTIO_RING_F_INDIRECT_DESC",
	[VQ_FAULT_INDIRECT_NEXT] = "%s: INDIRECT together with NEXT",
	[VQ_FAULT_INDIRECT_MIXED] = "%s: INDIRECT after direct descriptors of the same chain",
	[VQ_FAULT_INDIRECT_NESTED] = "%s: INDIRECT inside an indirect table",
	[VQ_FAULT_INDIRECT_LEN] = "%s: indirect table of %u bytes, not a non-zero multiple of 16",
};

/* Faults at memory: where, the address and length, then what is wrong with it. */
static const char *const at_mem[VQ_FAULT_KINDS] = {
	[VQ_FAULT_INDIRECT_MAP] = "%s: indirect table %#llx+%u %s",
	[VQ_FAULT_RING_MAP] = "%s %#llx+%u %s",
};

static const char *const area_names[] = {
	[VQ_AREA_DESC] = "descriptor area",
	[VQ_AREA_DRIVER] = "driver area",
	[VQ_AREA_DEVICE] = "device area",
};

/* "descriptor 17", "descriptor 17, indirect entry 3", or a ring area. */
static void where(const struct vq_fault_info *f, char *buf, size_t len)
{
	if (f->kind == VQ_FAULT_RING_MAP)
		snprintf(buf, len, "%s", area_names[f->desc]);
	else if (f->ind < 0)
		snprintf(buf, len, "descriptor %u", f->desc);
	else
		snprintf(buf, len, "descriptor %u, indirect entry %d", f->desc, f->ind);
}

static const char *access_words(const struct vq_fault_info *f)
{
	if (f->err == -EACCES)
		return "mapped without the access the device needs";
	/* A ring must be mapped in one piece; an indirect table is refused whole. */
	return f->kind == VQ_FAULT_RING_MAP ? "not mapped in one piece" : "not mapped";
}

/* The faults that are not at one descriptor. */
static void other(const struct vq *vq, const struct vq_fault_info *f, char *buf, size_t len)
{
	const char *id = vq->packed ? "buffer ID" : "head";

	switch (f->kind) {
	case VQ_FAULT_AVAIL_IDX:
		snprintf(buf, len, "avail index %u: more than the queue size %u ahead of %u",
			 f->value, f->limit, f->desc);
		break;
	case VQ_FAULT_AVAIL_HEAD:
		snprintf(buf, len, "avail ring entry %u: head %u outside the queue (size %u)",
			 f->desc, f->value, f->limit);
		break;
	case VQ_FAULT_ID_RANGE:
		snprintf(buf, len, "%s %u outside the queue (size %u)", id, f->value, f->limit);
		break;
	case VQ_FAULT_ID_BUSY:
		snprintf(buf, len, "%s %u made available again while in flight", id, f->value);
		break;
	case VQ_FAULT_RING_SIZE:
		snprintf(buf, len, vq->packed ? "queue size %u: not from 1 to %u" :
			 "queue size %u: not a power of 2 from 1 to %u", f->value, f->limit);
		break;
	case VQ_FAULT_LOG_CHAIN:
		snprintf(buf, len, "%s %u: its %u descriptors in the in-flight log are not one chain",
			 id, f->desc, f->value);
		break;
	case VQ_FAULT_RING_ALIGN:
		snprintf(buf, len, "%s at %#llx: not aligned to %u bytes", area_names[f->desc],
			 (unsigned long long)f->addr, f->limit);
		break;
	default:
		snprintf(buf, len, "%s", strerror(-f->err));
	}
}

const char *vq_strerror(const struct vq *vq, int err, char *buf, size_t len)
{
	const struct vq_fault_info *f = &vq->fault;
	char at[48];

	if (f->err != err || f->kind == VQ_FAULT_NONE) {
		snprintf(buf, len, "%s", strerror(-err));
		return buf;
	}
	where(f, at, sizeof(at));
	if (at_desc[f->kind])
		snprintf(buf, len, at_desc[f->kind], at, f->value, f->limit);
	else if (at_mem[f->kind])
		snprintf(buf, len, at_mem[f->kind], at, (unsigned long long)f->addr, f->value,
			 access_words(f));
	else
		other(vq, f, buf, len);
	return buf;
}
