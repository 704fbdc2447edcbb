// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "dev/feature_names.h"
#include "util/array_size.h"

struct name {
	unsigned int bit;
	const char *name;
};

#define N(prefix, f) { prefix##f, #f }

/* Bits 24 to 40: the transport's, whatever the device type (virtio 1.2, 6). */
static const struct name transport[] = {
	N(VIRTIO_F_, NOTIFY_ON_EMPTY), N(VIRTIO_F_, ANY_LAYOUT), N(VIRTIO_RING_F_, INDIRECT_DESC),
	N(VIRTIO_RING_F_, EVENT_IDX), N(VIRTIO_F_, VERSION_1), N(VIRTIO_F_, ACCESS_PLATFORM),
	N(VIRTIO_F_, RING_PACKED), N(VIRTIO_F_, IN_ORDER), N(VIRTIO_F_, ORDER_PLATFORM),
	N(VIRTIO_F_, SR_IOV), N(VIRTIO_F_, RING_RESET),
};

static const struct name blk[] = {
	N(VIRTIO_BLK_F_, BARRIER), N(VIRTIO_BLK_F_, SIZE_MAX), N(VIRTIO_BLK_F_, SEG_MAX),
	N(VIRTIO_BLK_F_, GEOMETRY), N(VIRTIO_BLK_F_, RO), N(VIRTIO_BLK_F_, BLK_SIZE),
	N(VIRTIO_BLK_F_, SCSI), N(VIRTIO_BLK_F_, FLUSH), N(VIRTIO_BLK_F_, TOPOLOGY),
	N(VIRTIO_BLK_F_, CONFIG_WCE), N(VIRTIO_BLK_F_, MQ), N(VIRTIO_BLK_F_, DISCARD),
	N(VIRTIO_BLK_F_, WRITE_ZEROES), N(VIRTIO_BLK_F_, SECURE_ERASE),
};

static const struct name net[] = {
	N(VIRTIO_NET_F_, CSUM), N(VIRTIO_NET_F_, GUEST_CSUM), N(VIRTIO_NET_F_, CTRL_GUEST_OFFLOADS),
	N(VIRTIO_NET_F_, MTU), N(VIRTIO_NET_F_, MAC), N(VIRTIO_NET_F_, GSO),
	N(VIRTIO_NET_F_, GUEST_TSO4), N(VIRTIO_NET_F_, GUEST_TSO6), N(VIRTIO_NET_F_, GUEST_ECN),
	N(VIRTIO_NET_F_, GUEST_UFO), N(VIRTIO_NET_F_, HOST_TSO4), N(VIRTIO_NET_F_, HOST_TSO6),
	N(VIRTIO_NET_F_, HOST_ECN), N(VIRTIO_NET_F_, HOST_UFO), N(VIRTIO_NET_F_, MRG_RXBUF),
	N(VIRTIO_NET_F_, STATUS), N(VIRTIO_NET_F_, CTRL_VQ), N(VIRTIO_NET_F_, CTRL_RX),
	N(VIRTIO_NET_F_, CTRL_VLAN), N(VIRTIO_NET_F_, CTRL_RX_EXTRA),
	N(VIRTIO_NET_F_, GUEST_ANNOUNCE), N(VIRTIO_NET_F_, MQ), N(VIRTIO_NET_F_, CTRL_MAC_ADDR),
	N(VIRTIO_NET_F_, NOTF_COAL), N(VIRTIO_NET_F_, HASH_REPORT), N(VIRTIO_NET_F_, RSS),
	N(VIRTIO_NET_F_, RSC_EXT), N(VIRTIO_NET_F_, STANDBY), N(VIRTIO_NET_F_, SPEED_DUPLEX),
};

/* By mask: VIRTIO_CONFIG_S_* are values of the status byte, not bit numbers. */
static const struct name status[] = {
	N(VIRTIO_CONFIG_S_, ACKNOWLEDGE), N(VIRTIO_CONFIG_S_, DRIVER),
	N(VIRTIO_CONFIG_S_, DRIVER_OK), N(VIRTIO_CONFIG_S_, FEATURES_OK),
	N(VIRTIO_CONFIG_S_, NEEDS_RESET), N(VIRTIO_CONFIG_S_, FAILED),
};

#undef N

static const char *lookup(const struct name *t, size_t n, unsigned int bit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].name;
	return NULL;
}

/* @name after what @buf holds (@used bytes): false when it does not fit whole. */
static bool append(char *buf, size_t len, size_t *used, const char *name)
{
	int n = snprintf(buf + *used, len - *used, "%s%s", *used ? "," : "", name);

	if (n < 0 || *used + n >= len) {
		buf[*used] = '\0';
		return false;
	}
	*used += n;
	return true;
}

char *feature_names(uint32_t device_id, uint64_t features, char *buf, size_t len)
{
	const struct name *dev = device_id == VIRTIO_ID_BLOCK ? blk :
				 device_id == VIRTIO_ID_NET ? net : NULL;
	size_t nr_dev = device_id == VIRTIO_ID_BLOCK ? ARRAY_SIZE(blk) :
			device_id == VIRTIO_ID_NET ? ARRAY_SIZE(net) : 0;
	const char *name;
	size_t used = 0;
	unsigned int bit;
	char other[8];

	snprintf(buf, len, "none");
	for (bit = 0; bit < 64; bit++) {
		if (!(features & (1ULL << bit)))
			continue;
		name = bit >= 24 && bit <= 40 ? lookup(transport, ARRAY_SIZE(transport), bit) :
		       NULL;
		if (!name && dev)
			name = lookup(dev, nr_dev, bit);
		if (!name) {
			snprintf(other, sizeof(other), "bit%u", bit);
			name = other;
		}
		if (!append(buf, len, &used, name))
			break;
	}
	return buf;
}

char *status_names(uint8_t st, char *buf, size_t len)
{
	const char *name;
	size_t used = 0;
	unsigned int bit;
	char other[8];

	snprintf(buf, len, "none");
	for (bit = 0; bit < 8; bit++) {
		if (!(st & (1U << bit)))
			continue;
		name = lookup(status, ARRAY_SIZE(status), 1U << bit);
		if (!name) {
			snprintf(other, sizeof(other), "bit%u", bit);
			name = other;
		}
		if (!append(buf, len, &used, name))
			break;
	}
	return buf;
}
