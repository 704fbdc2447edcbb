/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio feature and status bits by name, for a person (uvdpactl show): the
 * device type's features and the transport's. Here, beside the models,
 * since which name a feature bit has depends on the device type.
 */
#ifndef UVDPA_FEATURE_NAMES_H
#define UVDPA_FEATURE_NAMES_H

#include <stddef.h>
#include <stdint.h>

/*
 * @features of a device of virtio type @device_id as names separated by
 * commas, lowest bit first ("FLUSH,MQ,VERSION_1"), a bit without a name as
 * "bit50"; "none" for no bit. Truncated to fit @len; returns @buf.
 */
char *feature_names(uint32_t device_id, uint64_t features, char *buf, size_t len);

/*
 * A driver's status byte (VIRTIO_CONFIG_S_*) as names separated by commas
 * ("ACKNOWLEDGE,DRIVER,FEATURES_OK,DRIVER_OK"), "none" for 0, in @buf.
 */
char *status_names(uint8_t status, char *buf, size_t len);

#endif
