# SPDX-License-Identifier: GPL-2.0
# Collections under selftests/, like TARGETS in the kernel's selftests Makefile.
# NATIVE_TARGETS run on any host; VDUSE_TARGETS need the vduse module and run in
# the test VM, or directly on a host that has VDUSE; the slowest first, as the
# test VMs take their programs in this order.
NATIVE_TARGETS := ring blk cli filter net service worker nbd
VDUSE_TARGETS := uvdpad vhost vduse
# Nested VMs (slow): make check runs them unless NESTED=0.
NESTED_TARGETS := nested
