# SPDX-License-Identifier: GPL-2.0
# Included by a collection's Makefile after lib.mk: its programs run a
# LeakSanitizer check in every process the harness ends with _exit()
# (leak_check.c says why).
LEAK_CHECK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))

$(TEST_GEN_PROGS): LDFLAGS += -Wl,--wrap=_exit
$(TEST_GEN_PROGS): $(LEAK_CHECK_DIR)leak_check.c
