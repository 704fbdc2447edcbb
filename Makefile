# SPDX-License-Identifier: GPL-2.0
#
# uvdpa top-level Makefile.
#
#   make [all]        build the library, daemon and tools into $(O)
#   make check        install what is missing, run every test, print "N passed, N failed"
#   make demo         boot the test VM and show a real device
#   make bench        benchmarks (native, then in the VM)
#   make fuzz         run the fuzz targets for FUZZ_SECONDS each
#   make soak         10 minutes of fio verify with a daemon reconnect every minute (test VM)
#   make install      PREFIX=/usr/local DESTDIR= (also the systemd unit, SYSTEMDUNITDIR)
#   make deps         install the Debian packages needed to build and test
#
#   O=dir             output directory (default: build)
#   SAN=1             AddressSanitizer + UndefinedBehaviorSanitizer build (in $(O)/san)
#   V=1               print the commands
#   NESTED=1          make check also runs the nested-VM tests (a QEMU guest on
#                     uvdpa devices inside the test VM: slow; else reported as skipped)
#   KERNELS="6.12"    make check runs the VDUSE tests on these kernels of
#                     tools/testvm/kernel.conf (default: all of them)

O ?= build
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=
FUZZ_SECONDS ?= 300
# Off by default: a guest under TCG inside a TCG guest takes 100 s to over
# 900 s to boot, and soft-locks on a loaded 2-core host (docs/testing.md).
NESTED ?= 0
SMOKE_SECONDS ?= 18
NPROC := $(shell nproc)
UVDPA_CACHE ?= $(HOME)/.cache/uvdpa
export UVDPA_CACHE

include tools/testvm/kernel.conf
# make check runs the VDUSE suites on each of KERNELS (KERNELS=6.12: on
# that one only).
KSFT ?= $(UVDPA_CACHE)/ksft-$(KERNEL_$(KSFT_FROM)_VERSION)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

ifeq ($(SAN),1)
OUT := $(O)/san
# The runtimes are linked in statically: the kselftest runner starts every
# test under stdbuf, whose LD_PRELOAD would put libstdbuf ahead of a shared
# libasan, and ASan refuses to start so ("runtime does not come first in
# initial library list"). (The flags only matter when linking; compiling
# ignores them.)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	    -static-libasan -static-libubsan
# The test build: the fault points of vdpa/util/fault.h.
CPPFLAGS += -DUVDPA_FAULTS
else
OUT := $(O)
SANFLAGS :=
endif

CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Ivdpa -Iuapi
CPPFLAGS += $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0 liburing libbpf libsystemd)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARNINGS) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

# The library holds everything but the daemon's entry point, so that tests,
# benchmarks and fuzzers link exactly the code the daemon runs.
LIB_SRCS := $(filter-out vdpa/daemon/uvdpad.c,$(wildcard vdpa/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(OUT)/%.o)
LIB := $(OUT)/libuvdpa.a

BENCH_SRCS := $(wildcard tools/bench/*.c)
BENCHES := $(BENCH_SRCS:%.c=$(OUT)/%)

FUZZ_SRCS := $(wildcard tools/fuzz/*.c)
FUZZERS := $(FUZZ_SRCS:tools/fuzz/%.c=$(O)/fuzz/%)
FUZZFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# Filter programs: BPF objects and their skeletons, generated here, never
# committed. They do not depend on SAN, so both builds share $(O)/bpf.
BPF_OUT := $(O)/bpf
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:bpf/%.c=$(BPF_OUT)/%.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(BPF_OUT)/%.skel.h)
BPFTOOL ?= bpftool
BPF_CFLAGS := -g -O2 -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine) -Iuapi
CPPFLAGS += -I$(BPF_OUT)

include selftests/targets.mk
KSFT_INSTALL := $(abspath $(OUT))/ksft

UVDPAD := $(OUT)/uvdpad
# librbd is loaded by the RBD backend when it opens (backend/ceph_lib.c).
LDLIBS += $(shell $(PKG_CONFIG) --libs liburing libnl-genl-3.0 libbpf libsystemd) -lpthread
# Only what a program calls.
LDFLAGS += -Wl,--as-needed
UVDPACTL := $(OUT)/uvdpactl

all: $(LIB) $(UVDPAD) $(UVDPACTL) $(BENCHES)

# Flags are part of what a build is made of: $(FLAGS) changes when they do
# (a new SANFLAGS, say), and everything compiled in $(OUT) depends on it.
FLAGS := $(OUT)/.flags
BUILD_FLAGS := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
$(shell mkdir -p $(OUT) && [ "$$(cat $(FLAGS) 2>/dev/null)" = '$(BUILD_FLAGS)' ] || \
	echo '$(BUILD_FLAGS)' >$(FLAGS))

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c uapi/uvdpa_filter.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Without -g the object has no BTF and bpftool makes no skeleton.
$(BPF_OUT)/%.skel.h: $(BPF_OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name nf_$* >$@.tmp && mv $@.tmp $@

$(OUT)/vdpa/policy/nf_bpf.o: $(BPF_SKELS)

# The control client is uvdpactl's, not the daemon's: outside the library.
CTL_CLIENT := $(OUT)/tools/ctl_client.o $(OUT)/tools/ctl_info.o

$(UVDPACTL): $(OUT)/tools/uvdpactl.o $(CTL_CLIENT) $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UVDPAD): $(OUT)/vdpa/daemon/uvdpad.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/%.o: %.c $(FLAGS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(OUT)/tools/bench/%: $(OUT)/tools/bench/%.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(O)/fuzz/%: tools/fuzz/%.c $(LIB_SRCS) $(wildcard vdpa/*/*.h tools/fuzz/*.h) $(BPF_SKELS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)

$(KSFT)/lib.mk:
	$(Q)tools/testvm/fetch ksft

# The kselftest way: each collection's own Makefile includes lib.mk; "install"
# lays out run_kselftest.sh, the runner and kselftest-list.txt.
ksft-install: $(LIB) $(UVDPAD) $(UVDPACTL) $(BPF_OBJS) $(KSFT)/lib.mk
	$(Q)rm -rf $(KSFT_INSTALL)
	$(Q)cmp -s $(FLAGS) $(OUT)/selftests/.flags || \
		{ rm -rf $(OUT)/selftests && mkdir -p $(OUT)/selftests && cp $(FLAGS) $(OUT)/selftests/; }
	$(Q)mkdir -p $(KSFT_INSTALL)/kselftest
	$(Q)cp $(KSFT)/run_kselftest.sh $(KSFT_INSTALL)/
	$(Q)cp $(KSFT)/kselftest/runner.sh $(KSFT)/kselftest/prefix.pl \
		$(KSFT)/kselftest/ktap_helpers.sh $(KSFT_INSTALL)/kselftest/
	$(Q)for t in $(NATIVE_TARGETS) $(VDUSE_TARGETS) $(NESTED_TARGETS); do \
		mkdir -p $(OUT)/selftests/$$t && \
		$(MAKE) -C selftests/$$t KSFT=$(KSFT) OUTPUT=$(abspath $(OUT))/selftests/$$t \
			UVDPA_LIB=$(abspath $(LIB)) UVDPA_CTL_CLIENT=$(abspath $(CTL_CLIENT)) \
			SANFLAGS="$(SANFLAGS)" \
			UVDPA_LDLIBS="$(LDLIBS)" \
			INSTALL_PATH=$(KSFT_INSTALL)/$$t install >/dev/null || exit 1; \
		$(MAKE) -s -C selftests/$$t KSFT=$(KSFT) OUTPUT=$(abspath $(OUT))/selftests/$$t \
			COLLECTION=$$t emit_tests >>$(KSFT_INSTALL)/kselftest-list.txt || exit 1; \
	done

fuzzers: $(FUZZERS)

# The native tests, the fuzz smoke runs and the VDUSE suites run from the
# sanitizer build; tools/check prints the one summary line CI reads.
check: deps
	$(Q)$(MAKE) -j$(NPROC) SAN=1 ksft-install
	$(Q)$(MAKE) -j$(NPROC) fuzzers
	$(Q)KERNELS="$(KERNELS)" NESTED=$(NESTED) tools/check --ksft $(abspath $(O))/san/ksft --fuzz $(abspath $(O))/fuzz \
		--smoke $(SMOKE_SECONDS) --native "$(NATIVE_TARGETS)" --vduse "$(VDUSE_TARGETS)" \
		--nested "$(NESTED_TARGETS)" --every-kernel "$(VDUSE_EVERY_KERNEL)"

fuzz: fuzzers
	$(Q)for f in $(FUZZERS); do tools/fuzz/run $$f $(FUZZ_SECONDS) || exit 1; done

# Native benchmarks, then the blk peers in two VM boots: deterministic
# (--icount: guest time counts instructions) and wall clock; then the RBD
# and NBD backends against qsd's in two more (a Ceph cluster in the guest,
# whose OSD keeps the image in memory: 4G); the last wall-clock
# boot goes on with the notification filters against each other and uvdpad
# net against a veth pair, which also has a deterministic boot of its own.
# The blk and storage tables, and the blk plots, are kept in $(OUT)/bench/
# (docs/bench/ holds dated ones).
KUBLK := $(OUT)/bench/kublk
BENCH_OUT := $(abspath $(OUT))/bench
# The test cluster's script, run from a directory that holds the
# ceph_pool_create it calls next to itself.
CEPH_CLUSTER := $(OUT)/bench/rbd/ceph-cluster

$(KUBLK): tools/bench/kublk/build tools/bench/kublk/uring-buf-ring.c tools/bench/kublk/uring-buf-ring.h
	$(call msg,KUBLK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)tools/bench/kublk/build $@

$(OUT)/bench/rbd/ceph_pool_create: selftests/rbd/ceph_pool_create.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror $< -lrados -o $@

$(CEPH_CLUSTER): $(OUT)/bench/rbd/ceph_pool_create
	$(Q)ln -sf $(abspath selftests/rbd/ceph-cluster) $@

bench: deps all $(KUBLK) $(CEPH_CLUSTER)
	$(Q)for b in $(BENCHES); do $$b || exit 1; done
	$(Q)for m in det wall; do \
		tools/testvm/run $$([ $$m = wall ] || echo --icount) --timeout 2700 -- \
			env MODE=$$m KUBLK=$(abspath $(KUBLK)) UVDPAD=$(abspath $(UVDPAD)) \
			tools/bench/blk-vm >$(BENCH_OUT)/blk-$$m.txt || exit 1; \
		cat $(BENCH_OUT)/blk-$$m.txt; \
		gnuplot -e "in='$(BENCH_OUT)/blk-$$m.txt'; out='$(BENCH_OUT)/blk-$$m.png'" \
			tools/bench/blk-plot.gp || exit 1; \
		UVDPA_VM_MEM=4G tools/testvm/run $$([ $$m = wall ] || echo --icount) --timeout 2700 -- \
			env MODE=$$m UVDPAD=$(abspath $(UVDPAD)) CEPH_CLUSTER=$(abspath $(CEPH_CLUSTER)) \
			tools/bench/storage-vm >$(BENCH_OUT)/storage-$$m.txt || exit 1; \
		cat $(BENCH_OUT)/storage-$$m.txt; \
	done
	$(Q)tools/testvm/run --icount --timeout 2700 -- env MODE=det UVDPAD=$(abspath $(UVDPAD)) \
		tools/bench/net-vm >$(BENCH_OUT)/net-det.txt || exit 1; cat $(BENCH_OUT)/net-det.txt
	$(Q)tools/testvm/run --timeout 2700 -- sh -c 'tools/bench/filter-vm && tools/bench/net-vm'

demo: deps
	$(Q)$(MAKE) all
	$(Q)tools/demo

# Not part of check: SOAK_SECONDS (600) of load, a new daemon every SOAK_CYCLE (60).
soak: deps all
	$(Q)tools/testvm/run --timeout $$(( $${SOAK_SECONDS:-600} + 300 )) -- \
		env SOAK_SECONDS=$${SOAK_SECONDS:-600} SOAK_CYCLE=$${SOAK_CYCLE:-60} \
		tools/soak $(UVDPAD)

deps:
	$(Q)tools/deps

UAPI_HDRS := $(wildcard uapi/*.h)

MANDIR ?= $(PREFIX)/share/man
# systemd reads units and modules-load.d files under /usr/local/lib too.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSCONFDIR ?= /etc

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(INCLUDEDIR)/uvdpa $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(MODULESLOADDIR) $(DESTDIR)$(SYSCONFDIR)/uvdpa
	install -m 0755 $(UVDPAD) $(DESTDIR)$(SBINDIR)/uvdpad
	install -m 0755 $(UVDPACTL) $(DESTDIR)$(SBINDIR)/uvdpactl
	install -m 0644 docs/uvdpad.8 docs/uvdpactl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/uvdpad.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|@SBINDIR@|$(SBINDIR)|' dist/uvdpad@.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/uvdpad@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/uvdpad@.service
	install -m 0644 dist/modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/uvdpa.conf
	install -m 0644 dist/example.conf $(DESTDIR)$(SYSCONFDIR)/uvdpa/example.conf.sample
	$(if $(UAPI_HDRS),install -m 0644 $(UAPI_HDRS) $(DESTDIR)$(INCLUDEDIR)/uvdpa/)

clean:
	rm -rf $(O)

.PHONY: all check demo bench fuzz fuzzers install deps clean ksft-install soak

# Keep objects of linked programs: they are the dependency graph, not temporaries.
.SECONDARY:
