# SPDX-License-Identifier: GPL-2.0
# Collections under selftests/, like TARGETS in the kernel's selftests Makefile.
# NATIVE_TARGETS run on any host; VDUSE_TARGETS need the vduse module and run in
# the test VM, or directly on a host that has VDUSE; the slowest first, as the
# test VMs take their programs in this order.
NATIVE_TARGETS := ring blk cli filter net service worker nbd rbd util
VDUSE_TARGETS := uvdpad vhost vduse
# What of them runs on every kernel of KERNELS, the rest on the first only:
# the programs that drive VDUSE, vhost-vdpa and virtio_vdpa the most
# (attach and removal under I/O, reconnect, interrupts held back and kicks
# switched off by the filters, every ring from a userspace driver, the
# control device). The others test uvdpad's own logic, which
# does not change with the kernel under it (docs/testing.md).
VDUSE_EVERY_KERNEL := vhost uvdpad:reconnect_test uvdpad:blk_test uvdpad:filter_test vduse
# Nested VMs (slow, minutes to boot under TCG): make check runs them with NESTED=1.
NESTED_TARGETS := nested
