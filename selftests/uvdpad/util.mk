# SPDX-License-Identifier: GPL-2.0
# uvdpad_util.c, the helpers uvdpad's end-to-end tests share, compiled once
# into each collection that includes this after $(KSFT)/lib.mk (uvdpad,
# vhost, nested) and linked into every one of its programs. It finds disks
# with vdpa_bus_blkdev() from UVDPA_LIB.
UVDPAD_UTIL_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
UVDPAD_UTIL := $(OUTPUT)/uvdpad_util.o

$(UVDPAD_UTIL): $(UVDPAD_UTIL_DIR)/uvdpad_util.c $(UVDPAD_UTIL_DIR)/uvdpad_util.h
	$(CC) $(CFLAGS) -I$(UVDPAD_UTIL_DIR) -I$(TOP)/vdpa -c $< -o $@

# The library last on the command line too, after every object that needs it.
$(TEST_GEN_PROGS): $(UVDPAD_UTIL) $(UVDPA_LIB)
LDLIBS += $(UVDPA_LIB)
