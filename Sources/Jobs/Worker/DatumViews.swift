import Foundation
import Logging
import PFS
import Replication

/// Datums' inputs as FUSE views: one mount per node (`ViewFileSystem` at `<jobs>/inputs`), where a
/// batch's datum shows at `/<view>/<input>/<original path>` while it runs. The sandbox binds that
/// folder at `/pfs/<input>`, and the code reads only the bytes it touches; nothing is copied first.
public final class DatumViews: Sendable {
    public let mountpoint: String
    let fileSystem: ViewFileSystem
    let mount: FuseMount

    /// Mounts the views at `mountpoint` (made if missing; a mount left there by an earlier process is
    /// detached first). Throws when FUSE cannot mount here; the caller then copies inputs instead.
    public init(at mountpoint: String, trees: TreeReader, readChunk: @escaping @Sendable (ChunkID) async throws -> [UInt8]) throws {
        if FuseMount.isMountPoint(mountpoint) { FuseMount.detach(mountpoint) }
        try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
        chmod(mountpoint, 0o755)
        let fileSystem = ViewFileSystem(trees: trees, readChunk: readChunk)
        var options = FuseMount.Options()
        options.readOnly = true
        options.allowOther = true  // the sandboxes run the code as nobody
        options.name = "pachyderm-datums"
        options.entryTimeout = 0  // a view changes from one datum to the next
        options.attributeTimeout = 0
        mount = try FuseMount(fileSystem, at: mountpoint, options: options)
        self.mountpoint = mountpoint
        self.fileSystem = fileSystem
    }

    /// Makes `view` with an empty folder per input, before a sandbox binds them.
    func declare(_ view: String, inputs: [String]) {
        fileSystem.show(Dictionary(uniqueKeysWithValues: inputs.map { ($0, []) }), as: view)
    }

    /// Shows `datum` as `view`, replacing the view's previous datum (the batch's other inputs stay, empty):
    /// the inputs to hand to the runtime.
    func show(_ datum: Datum, as view: String, inputs: [String]) -> [DatumRun.Input] {
        var parts: ViewFileSystem.Parts = Dictionary(uniqueKeysWithValues: inputs.map { ($0, []) })
        var order: [String] = []
        for part in datum.parts {
            if !order.contains(part.input) { order.append(part.input) }
            parts[part.input, default: []].append(part.entry)
        }
        fileSystem.show(parts, as: view)
        return order.map { input in
            DatumRun.Input(name: input, hostPath: "\(mountpoint)/\(view)/\(input)",
                           datumPath: parts[input]!.first!.path.description)
        }
    }

    func hide(_ view: String) { fileSystem.hide(view) }

    /// Unmounts (lazily: a sandbox still inside lets go when it ends).
    public func unmount() { mount.unmount() }

    /// Mounts the views where FUSE works, else nil, saying which way inputs reach the code.
    public static func make(choice: String, jobs: String, trees: TreeReader, logger: Logger,
                            readChunk: @escaping @Sendable (ChunkID) async throws -> [UInt8]) -> DatumViews? {
        guard choice != "copy" else {
            logger.info("datum inputs are copied to local files (--datum-inputs copy)")
            return nil
        }
        do {
            let views = try DatumViews(at: jobs + "/inputs", trees: trees, readChunk: readChunk)
            logger.info("datum inputs are FUSE views at \(views.mountpoint): code reads only the bytes it touches")
            return views
        } catch {
            logger.warning("datum inputs are copied to local files: FUSE views cannot be mounted here (\(error))")
            return nil
        }
    }
}
