// SPDX-License-Identifier: GPL-2.0
/*
 * A driver's fault in words: the field that was wrong and where, as the
 * kernel's vringh.c names them ("Readable desc after writable"), so that a
 * log line tells the guest's author what to fix.
 */
#include <stdio.h>

#include "ring/vq_internal.h"

static const char *const area_names[] = {
	[VQ_AREA_DESC] = "descriptor area",
	[VQ_AREA_DRIVER] = "driver area",
	[VQ_AREA_DEVICE] = "device area",
};

/* Faults at a descriptor that need no more than where they are. */
static const char *const at_desc[VQ_FAULT_KINDS] = {
	[VQ_FAULT_READ_AFTER_WRITE] = "readable after writable",
	[VQ_FAULT_INDIRECT_FEATURE] = "INDIRECT without VIRTIO_RING_F_INDIRECT_DESC",
	[VQ_FAULT_INDIRECT_NEXT] = "INDIRECT together with NEXT",
	[VQ_FAULT_INDIRECT_MIXED] = "INDIRECT after direct descriptors of the same chain",
	[VQ_FAULT_INDIRECT_NESTED] = "INDIRECT inside an indirect table",
};

/* "descriptor 17" or "descriptor 17, indirect entry 3". */
static void where(const struct vq_fault_info *f, char *buf, size_t len)
{
	if (f->ind < 0)
		snprintf(buf, len, "descriptor %u", f->desc);
	else
		snprintf(buf, len, "descriptor %u, indirect entry %d", f->desc, f->ind);
}

static const char *access_words(int err)
{
	return err == -EACCES ? "mapped without the access the device needs" :
				"not mapped";
}

const char *vq_strerror(const struct vq *vq, int err, char *buf, size_t len)
{
	const char *id = vq->packed ? "buffer ID" : "head";
	const struct vq_fault_info *f = &vq->fault;
	char at[48];

	if (f->err != err || f->kind == VQ_FAULT_NONE) {
		snprintf(buf, len, "%s", strerror(-err));
		return buf;
	}
	where(f, at, sizeof(at));
	if (at_desc[f->kind]) {
		snprintf(buf, len, "%s: %s", at, at_desc[f->kind]);
		return buf;
	}
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
	case VQ_FAULT_LOOP:
		snprintf(buf, len, "%s: the chain loops (more than %u steps)", at, f->limit);
		break;
	case VQ_FAULT_TOO_LONG:
		snprintf(buf, len, "%s: chain longer than %u descriptors", at, f->limit);
		break;
	case VQ_FAULT_NEXT:
		snprintf(buf, len, "%s: next %u outside the table (size %u)", at, f->value,
			 f->limit);
		break;
	case VQ_FAULT_BUFFER:
		snprintf(buf, len, "%s: buffer %#llx+%u %s", at, (unsigned long long)f->addr,
			 f->value, access_words(err));
		break;
	case VQ_FAULT_IOV:
		snprintf(buf, len, "%s: chain needs more than the device's %u iovecs", at,
			 f->limit);
		break;
	case VQ_FAULT_INDIRECT_LEN:
		snprintf(buf, len, "%s: indirect table of %u bytes, not a non-zero multiple of 16",
			 at, f->value);
		break;
	case VQ_FAULT_INDIRECT_MAP:
		snprintf(buf, len, "%s: indirect table %#llx+%u %s", at,
			 (unsigned long long)f->addr, f->value, access_words(err));
		break;
	case VQ_FAULT_RING_SIZE:
		snprintf(buf, len, vq->packed ? "queue size %u: not from 1 to %u" :
			 "queue size %u: not a power of 2 from 1 to %u", f->value, f->limit);
		break;
	case VQ_FAULT_RING_ALIGN:
		snprintf(buf, len, "%s at %#llx: not aligned to %u bytes", area_names[f->desc],
			 (unsigned long long)f->addr, f->limit);
		break;
	case VQ_FAULT_RING_MAP:
		snprintf(buf, len, "%s %#llx+%u %s", area_names[f->desc],
			 (unsigned long long)f->addr, f->value,
			 err == -EFAULT ? "not mapped in one piece" : access_words(err));
		break;
	default:
		snprintf(buf, len, "%s", strerror(-err));
	}
	return buf;
}
