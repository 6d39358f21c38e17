# SPDX-License-Identifier: GPL-2.0
#
# xen_channel.ko out of tree, plus the project's setup, tests and lab.
#
#   make                 build xen_channel.ko and its kernel clients (consumers/)
#                        against KDIR
#   make demo            set up everything, build, and show a channel working in the lab
#   make check           set up everything, build, and run every test
#   make check-long      the long lab tests (scripts/check --long)
#   make check-image     the guest-image test (tests/lab/image): a Debian guest with
#                        the packages scripts/debian-package builds
#   make bench           hvc_xen against this module in the lab (scripts/bench)
#   make fuzz            the short fuzz run of the pure core that check does (scripts/fuzz)
#   make fuzz-long       the long fuzz run: 10^8 executions, niced (scripts/fuzz --long)
#   make clippy          the module build with CLIPPY=1
#   make install         install the modules (KDIR's release), the udev rules, the
#                        unit for qemu-guest-agent, the modprobe.d file and the
#                        initramfs-tools hook (then run update-initramfs -u)
#   make uninstall       remove what make install installed
#
# KDIR defaults to the lab kernel tree when it is built, else to the running kernel's
# build directory. With the lab tree, rustc is pinned to the toolchain that built it.
# With a Debian kernel's headers (KDIR=/usr/src/linux-headers-<ABI>) the build runs in
# the root scripts/debian-headers prepared for <ABI>: exactly the kernel's rustc, gcc
# and bindgen, and the headers with the rust/ metadata Debian does not ship.

LAB_VARIANT ?= hvc-off
LAB_KDIR := $(shell scripts/build-kernel --print-dir $(LAB_VARIANT) 2>/dev/null)

ifneq ($(wildcard $(LAB_KDIR)/.xc-built),)
KDIR ?= $(LAB_KDIR)
endif
KDIR ?= /lib/modules/$(shell uname -r)/build

ifeq ($(KDIR),$(LAB_KDIR))
export RUSTUP_TOOLCHAIN := $(shell bash -c '. scripts/lib.sh && echo $$XC_RUST_VERSION')
LLVM ?= -19
endif
KBUILD_ARGS := -C $(KDIR) M=$(CURDIR) $(if $(LLVM),LLVM=$(LLVM))
INSTALL_ARGS := $(KBUILD_ARGS)
DEBIAN_RUN :=

DEBIAN_KDIR := $(shell scripts/debian.d/kdir-abi '$(KDIR)' 2>/dev/null)
ifeq ($(word 1,$(DEBIAN_KDIR)),missing)
$(error $(KDIR) is a Debian kernel's headers without rust/ metadata: run scripts/debian-headers $(word 2,$(DEBIAN_KDIR)) first)
endif
ifeq ($(word 1,$(DEBIAN_KDIR)),run)
KBUILD_ARGS := -C /usr/src/linux-headers-$(word 2,$(DEBIAN_KDIR)) M=$(CURDIR)
INSTALL_ARGS := -C $(KDIR) M=$(CURDIR)
DEBIAN_RUN := scripts/debian-run $(word 2,$(DEBIAN_KDIR)) -- make
endif

.PHONY: all modules consumers clippy install uninstall clean setup kernel demo check check-long check-image bench fuzz fuzz-long

all: modules consumers

modules:
	$(if $(DEBIAN_RUN),$(DEBIAN_RUN),$(MAKE)) $(KBUILD_ARGS) modules

# The clients of the in-kernel API, built as other modules would be: against the
# header and this build's Module.symvers.
consumers: modules
	$(if $(DEBIAN_RUN),$(DEBIAN_RUN),$(MAKE)) $(subst M=$(CURDIR),M=$(CURDIR)/consumers,$(KBUILD_ARGS)) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

clippy:
	$(if $(DEBIAN_RUN),$(DEBIAN_RUN),$(MAKE)) $(KBUILD_ARGS) CLIPPY=1 W=1 modules

UDEV_RULES_DIR ?= /lib/udev/rules.d
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
MODPROBE_DIR ?= /lib/modprobe.d
INITRAMFS_HOOKS_DIR ?= /usr/share/initramfs-tools/hooks
# What install puts outside the module tree, and the modules it installs.
INSTALLED_FILES := $(UDEV_RULES_DIR)/60-xen-channel.rules $(UDEV_RULES_DIR)/61-xen-channel-qemu-ga.rules \
	$(SYSTEMD_UNIT_DIR)/xen-channel-qemu-ga.service $(MODPROBE_DIR)/xen-channel.conf \
	$(INITRAMFS_HOOKS_DIR)/xen-channel
INSTALLED_MODULES := xen_channel xen_channel_rng xen_channel_panic xen_channel_ceiling
KERNELRELEASE_OF_KDIR = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

install: modules consumers
	$(MAKE) $(INSTALL_ARGS) modules_install
	$(MAKE) $(subst M=$(CURDIR),M=$(CURDIR)/consumers,$(INSTALL_ARGS)) modules_install
	install -D -m 644 udev/60-xen-channel.rules $(DESTDIR)$(UDEV_RULES_DIR)/60-xen-channel.rules
	install -D -m 644 udev/61-xen-channel-qemu-ga.rules $(DESTDIR)$(UDEV_RULES_DIR)/61-xen-channel-qemu-ga.rules
	install -D -m 644 systemd/xen-channel-qemu-ga.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/xen-channel-qemu-ga.service
	install -D -m 644 modprobe.d/xen-channel.conf $(DESTDIR)$(MODPROBE_DIR)/xen-channel.conf
	install -D -m 755 initramfs-tools/hooks/xen-channel $(DESTDIR)$(INITRAMFS_HOOKS_DIR)/xen-channel

# modules_install puts external modules in updates/ (INSTALL_MOD_DIR), compressed
# as the kernel's config says (hence .ko*).
uninstall:
	@[ -n "$(KERNELRELEASE_OF_KDIR)" ] || { echo "uninstall: no kernel release in $(KDIR)"; exit 1; }
	rm -f $(foreach m,$(INSTALLED_MODULES),$(INSTALL_MOD_PATH)/lib/modules/$(KERNELRELEASE_OF_KDIR)/updates/$(m).ko*)
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	@if command -v depmod >/dev/null; then depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KERNELRELEASE_OF_KDIR); \
	else echo "uninstall: depmod missing (kmod): run depmod -a $(KERNELRELEASE_OF_KDIR) where it is installed"; fi

clean:
	$(if $(DEBIAN_RUN),$(DEBIAN_RUN),$(MAKE)) $(KBUILD_ARGS) clean
	$(if $(DEBIAN_RUN),$(DEBIAN_RUN),$(MAKE)) $(subst M=$(CURDIR),M=$(CURDIR)/consumers,$(KBUILD_ARGS)) clean
	rm -rf tests/core/target tests/fuzz/target

setup:
	scripts/setup

# The lab kernel; a nested make so that KDIR is evaluated after it exists.
kernel: setup
	scripts/build-kernel $(LAB_VARIANT) >/dev/null

demo: kernel
	$(MAKE) --no-print-directory modules
	scripts/lab

# scripts/check builds the lab kernel itself, with Debian's root beside it.
check: setup
	scripts/check

check-long: kernel
	scripts/check --long

check-image: kernel
	tests/lab/image/run

bench: setup
	scripts/bench $(BENCH_ARGS)

fuzz: setup
	scripts/fuzz $(FUZZ_ARGS)

fuzz-long: setup
	scripts/fuzz --long $(FUZZ_ARGS)
