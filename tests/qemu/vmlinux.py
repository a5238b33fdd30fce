#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unpacks the kernel ELF image (vmlinux) from a compressed bzImage.

Usage: vmlinux.py VMLINUZ VMLINUX

The L2 guest boots it through its PVH entry point (QEMU -kernel takes an ELF
with a PVH note): the same kernel without its decompressor, which under
nested emulation takes some 20 s for an xz-compressed kernel.  The payload
is the first xz or zstd stream in VMLINUZ that unpacks to an ELF file.
Exit status 1 if there is none.
"""
import lzma
import subprocess
import sys

MAGICS = ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))


def unpack(data, at, kind):
    if kind == "xz":
        try:
            # stops at the end of the stream, whatever follows
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:])
        except lzma.LZMAError:
            return b""
    # zstd complains about what follows the frame, after writing it out
    return subprocess.run(["zstd", "-dcq"], input=data[at:], capture_output=True,
                          check=False).stdout


def main(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    for magic, kind in MAGICS:
        at = data.find(magic)
        while at >= 0:
            out = unpack(data, at, kind)
            if out[:4] == b"\x7fELF":
                with open(dst, "wb") as f:
                    f.write(out)
                return 0
            at = data.find(magic, at + 1)
    print(f"vmlinux.py: no xz or zstd payload unpacking to an ELF in {src}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
