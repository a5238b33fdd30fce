# SPDX-License-Identifier: GPL-2.0
#
# User targets.  The module itself is built by Kbuild (./Kbuild, kmod/Kbuild),
# here or by DKMS with `make -C /lib/modules/KVER/build M=$PWD`.
#
#   make                module (for KVER, default the running kernel) + tools
#   make demo           a real guest with and without TSC-deadline, recorded (no SNP/TDX needed)
#   make check          unit tests, QEMU tests on Debian 6.1, 6.12 and 7.x, DKMS
#   make check-stress   the stress test at the issue's sizes, every kernel
#   make bench          what cvmstat and its peers (ftrace, bpftrace, perf) cost
#                       per exit, one table from one -icount boot of 6.12
#   make check-debug    on the debug 6.12 kernel (KASAN, lockdep, DEBUG_PREEMPT,
#                       kmemleak; built once and cached): the QEMU test and
#                       the stress test at its check sizes
#   make dkms-install   copy the sources to /usr/src and `dkms add` them
#   make deb            Debian packages cvmstat and cvmstat-dkms in build/deb/
#   make install        the tools, man pages

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
VERSION := $(shell cat VERSION)
# What DKMS (and the QEMU tests' DKMS-style build) needs of this tree.
MODULE_SOURCES := Kbuild VERSION kmod

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userspace:
	$(MAKE) -C userspace

install:
	$(MAKE) -C userspace install

# Copy the module sources to $(DEST), without build products.
stage-module:
	@test -n "$(DEST)" || { echo "stage-module: DEST= is required" >&2; exit 1; }
	mkdir -p $(DEST)
	tar -C $(CURDIR) --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' --exclude='modules.order' -cf - $(MODULE_SOURCES) | \
		tar -C $(DEST) -xf -

dkms-install:
	rm -rf /usr/src/cvmstat-$(VERSION)
	$(MAKE) stage-module DEST=/usr/src/cvmstat-$(VERSION)
	sed 's/@VERSION@/$(VERSION)/' dkms/dkms.conf.in > /usr/src/cvmstat-$(VERSION)/dkms.conf
	dkms add -m cvmstat -v $(VERSION)

dkms-remove:
	-dkms remove -m cvmstat -v $(VERSION) --all
	rm -rf /usr/src/cvmstat-$(VERSION)

# Debian packages, built from a copy of the tree (dpkg-buildpackage writes
# its results next to the source directory): build/deb/*.deb.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	tar -C $(CURDIR) --exclude=./build --exclude=./tests/.cache --exclude=./.git \
		--exclude='*.o' --exclude='*.d' --exclude='*.ko' -cf - . | tar -C build/deb/src -xf -
	$(MAKE) -C build/deb/src/userspace clean
	cd build/deb/src && DEB_BUILD_OPTIONS="$$DEB_BUILD_OPTIONS noddebs" dpkg-buildpackage -b -us -uc
	rm -rf build/deb/src

demo:
	bash tests/demo.sh

check:
	bash tests/check.sh

check-stress:
	bash tests/check.sh --stress

bench:
	bash tests/bench/bench.sh
	bash tests/bench/record-cpu.sh

check-debug:
	bash tests/debug-kernel.sh -r tests/qemu/run.sh -r "tests/qemu/stress.sh check"

# The module's build products need the headers' Kbuild to clean; without
# headers for KVER there can be none.
clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C userspace clean
	rm -rf build

.PHONY: all module userspace install stage-module dkms-install dkms-remove deb demo \
	check check-stress check-debug bench clean
