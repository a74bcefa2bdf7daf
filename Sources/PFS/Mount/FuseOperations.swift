import CFuse

#if canImport(Glibc)
import Glibc
#endif

/// libfuse's operations table: C callbacks that find the mount's `FuseFileSystem` through the
/// context's private data, call it, and turn its `FuseError` into a negative errno.
enum FuseOperations {
    static var table: fuse_operations {
        var ops = fuse_operations()
        ops.getattr = { path, stat in
            FuseOperations.run { () throws(FuseError) in FuseOperations.fill(stat!, try FuseOperations.fileSystem().attributes(FuseOperations.string(path))) }
        }
        ops.fgetattr = { path, stat, _ in
            FuseOperations.run { () throws(FuseError) in FuseOperations.fill(stat!, try FuseOperations.fileSystem().attributes(FuseOperations.string(path))) }
        }
        ops.opendir = { path, info in
            FuseOperations.run { () throws(FuseError) in info!.pointee.fh = try FuseOperations.fileSystem().openDirectory(FuseOperations.string(path)) }
        }
        ops.readdir = { _, buffer, filler, offset, info in
            FuseOperations.run { () throws(FuseError) in
                var position = Int(offset)
                try FuseOperations.fileSystem().list(info!.pointee.fh, from: position) { entry in
                    position += 1
                    var stat = Glibc.stat()
                    let full: Int32
                    if let attributes = entry.attributes {
                        FuseOperations.fill(&stat, attributes)
                        full = entry.name.withCString { name in withUnsafePointer(to: &stat) { filler!(buffer, name, $0, off_t(position)) } }
                    } else {
                        full = entry.name.withCString { filler!(buffer, $0, nil, off_t(position)) }
                    }
                    return full == 0
                }
            }
        }
        ops.releasedir = { _, info in
            FuseOperations.fileSystem().closeDirectory(info!.pointee.fh)
            return 0
        }
        ops.open = { path, info in
            FuseOperations.run { () throws(FuseError) in
                let opened = try FuseOperations.fileSystem().open(FuseOperations.string(path), flags: cfuse_flags(info!))
                info!.pointee.fh = opened.handle
                cfuse_set_keep_cache(info!, opened.keepCache ? 1 : 0)
            }
        }
        ops.read = { _, buffer, size, offset, info in
            FuseOperations.count { () throws(FuseError) in
                try FuseOperations.fileSystem().read(info!.pointee.fh, into: UnsafeMutableRawBufferPointer(start: buffer, count: size),
                                      at: UInt64(offset))
            }
        }
        ops.flush = { _, info in
            FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().flush(info!.pointee.fh) }
        }
        ops.release = { _, info in
            FuseOperations.fileSystem().release(info!.pointee.fh)
            return 0
        }
        ops.fsync = { _, _, info in
            FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().flush(info!.pointee.fh) }
        }
        ops.create = { path, mode, info in
            FuseOperations.run { () throws(FuseError) in
                let opened = try FuseOperations.fileSystem().create(FuseOperations.string(path), mode: UInt32(mode))
                info!.pointee.fh = opened.handle
            }
        }
        ops.write = { _, bytes, size, offset, info in
            FuseOperations.count { () throws(FuseError) in
                try FuseOperations.fileSystem().write(info!.pointee.fh, UnsafeRawBufferPointer(start: bytes, count: size), at: UInt64(offset))
            }
        }
        ops.truncate = { path, size in
            FuseOperations.run { () throws(FuseError) in
                guard size >= 0 else { throw .invalid }
                try FuseOperations.fileSystem().truncate(FuseOperations.string(path), handle: nil, to: UInt64(size))
            }
        }
        ops.ftruncate = { path, size, info in
            FuseOperations.run { () throws(FuseError) in
                guard size >= 0 else { throw .invalid }
                try FuseOperations.fileSystem().truncate(FuseOperations.string(path), handle: info!.pointee.fh, to: UInt64(size))
            }
        }
        ops.unlink = { path in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().remove(FuseOperations.string(path)) } }
        ops.mkdir = { path, _ in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().makeDirectory(FuseOperations.string(path)) } }
        ops.rmdir = { path in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().removeDirectory(FuseOperations.string(path)) } }
        ops.rename = { from, to in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().rename(FuseOperations.string(from), to: FuseOperations.string(to)) } }
        // Times, modes and owners are not versioned: accepted (and dropped) where writes are, EROFS elsewhere.
        ops.utimens = { path, _ in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().acceptMetadataChange(FuseOperations.string(path)) } }
        ops.chmod = { path, _ in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().acceptMetadataChange(FuseOperations.string(path)) } }
        ops.chown = { path, _, _ in FuseOperations.run { () throws(FuseError) in try FuseOperations.fileSystem().acceptMetadataChange(FuseOperations.string(path)) } }
        ops.statfs = { _, info in
            info!.pointee = statvfs()
            info!.pointee.f_bsize = 4096
            info!.pointee.f_frsize = 4096
            info!.pointee.f_namemax = 255
            return 0
        }
        return ops
    }

    private static func fileSystem() -> any FuseFileSystem {
        Unmanaged<FuseBox>.fromOpaque(fuse_get_context()!.pointee.private_data).takeUnretainedValue().fileSystem
    }

    private static func string(_ path: UnsafePointer<CChar>?) -> String {
        path.map { String(cString: $0) } ?? "/"
    }

    private static func run(_ body: () throws(FuseError) -> Void) -> Int32 {
        do throws(FuseError) {
            try body()
            return 0
        } catch {
            return -error.code
        }
    }

    private static func count(_ body: () throws(FuseError) -> Int) -> Int32 {
        do throws(FuseError) { return Int32(try body()) } catch { return -error.code }
    }

    /// `stat` for an entry: owned by whoever mounted, read-only unless the entry is writable.
    static func fill(_ stat: UnsafeMutablePointer<stat>, _ attributes: FuseAttributes) {
        stat.pointee = Glibc.stat()
        let write: mode_t = attributes.writable ? 0o200 : 0
        switch attributes.kind {
        case .directory:
            stat.pointee.st_mode = S_IFDIR | 0o555 | write
            stat.pointee.st_nlink = 2
        case .file:
            stat.pointee.st_mode = S_IFREG | 0o444 | write
            stat.pointee.st_nlink = 1
            stat.pointee.st_size = off_t(clamping: attributes.sizeBytes)
            stat.pointee.st_blocks = blkcnt_t(clamping: (attributes.sizeBytes + 511) / 512)
        }
        stat.pointee.st_blksize = 1 << 20
        stat.pointee.st_uid = getuid()
        stat.pointee.st_gid = getgid()
        let time = timespec(tv_sec: Int(attributes.modifiedNanos / 1_000_000_000),
                            tv_nsec: Int(attributes.modifiedNanos % 1_000_000_000))
        stat.pointee.st_mtim = time
        stat.pointee.st_ctim = time
        stat.pointee.st_atim = time
    }
}
