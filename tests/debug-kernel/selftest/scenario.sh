#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The debug kernel's self-test, in its guest (tests/debug-kernel/selftest.sh).
. /cvm/sections.sh
sec dbgtest-insmod insmod /cvm/cvm_dbgtest.ko
sec dbgtest-rmmod rmmod cvm_dbgtest
