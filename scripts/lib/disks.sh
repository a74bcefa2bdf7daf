#!/usr/bin/env bash
# Per-node data disks for scripts/cluster.sh (`up --disk-mib M`): node K's data dir is an ext4 file
# system of M MiB in a sparse image file, loop-mounted, so that a node can run out of space for real
# (`fill K`) while the others and the rest of this machine do not. Sourced; every function takes the
# node's folder (.cluster/node<K>), which holds disk.img and the mount point data/.
#
#   disk_ensure DIR MIB   make the image if absent (mkfs.ext4, no root reserve) and mount it at DIR/data
#   disk_unmount DIR      unmount DIR/data if mounted (the image and its data stay)
#   disk_fill DIR         fill DIR/data to the last block with DIR/data/fill (returns the bytes taken)
#   disk_unfill DIR       delete the fill file
#   disk_state DIR        one line: "M MiB, F MiB free" plus ", full (filled)" when the fill file is there

disk_mounted() { mountpoint -q "$1/data" 2>/dev/null; }

disk_ensure() {
    local dir="$1" mib="$2"
    mkdir -p "$dir/data"
    disk_mounted "$dir" && return 0
    if [ ! -f "$dir/disk.img" ]; then
        truncate -s "${mib}M" "$dir/disk.img.new" || return 1
        # -m 0: no blocks reserved for root (pachd runs as root here and would use them); the lazy inits
        # keep mkfs instant on a sparse image.
        mkfs.ext4 -q -F -m 0 -E lazy_itable_init=1,lazy_journal_init=1 "$dir/disk.img.new" >/dev/null || return 1
        mv "$dir/disk.img.new" "$dir/disk.img"
    fi
    # A loop mount made with -o loop has autoclear: the loop device goes with the unmount.
    mount -o loop "$dir/disk.img" "$dir/data" || return 1
}

disk_unmount() {
    local dir="$1" i
    disk_mounted "$dir" || return 0
    for ((i = 0; i < 50; i++)); do
        umount "$dir/data" 2>/dev/null && return 0
        sleep 0.1  # a process that just exited may still hold a file open for a moment
    done
    umount -l "$dir/data"
}

disk_free_bytes() { df --output=avail -B1 "$1/data" | tail -n 1 | tr -d ' '; }

disk_fill() {
    local dir="$1" free
    disk_mounted "$dir" || return 1
    free="$(disk_free_bytes "$dir")"
    if [ "$free" -gt 0 ]; then fallocate -l "$free" "$dir/data/fill" 2>/dev/null || true; fi
    # fallocate may leave a few blocks (metadata it needed itself); write until the kernel says ENOSPC.
    dd if=/dev/zero of="$dir/data/fill" bs=4096 oflag=append conv=notrunc status=none 2>/dev/null || true
    sync -f "$dir/data" 2>/dev/null || true
    stat -c %s "$dir/data/fill"
}

disk_unfill() { rm -f -- "$1/data/fill"; }

disk_state() {
    local dir="$1" size free
    disk_mounted "$dir" || { echo "not mounted"; return 0; }
    size="$(df --output=size -B1M "$dir/data" | tail -n 1 | tr -d ' ')"
    free="$(($(disk_free_bytes "$dir") / 1048576))"
    printf '%s MiB, %s MiB free%s\n' "$size" "$free" "$([ -e "$dir/data/fill" ] && echo ', full (filled)')"
}
