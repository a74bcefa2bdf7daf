import Foundation

/// Where the `pachd` and `pachctl` under test are, and where the repository's scripts are.
///
/// Looked for, in order: `PACH_BIN_DIR`; the folder of the running test bundle (SwiftPM puts the
/// bundle beside the products of the same build, whatever `--scratch-path` was); `<repo>/.build/debug`.
struct Binaries: Sendable {
    let pachd: String
    let pachctl: String

    /// The binaries, or nil with the places searched when they are missing.
    static let located: Result<Binaries, HarnessError> = locate()

    /// Why the integration suite is skipped, or nil when it can run.
    static var skipReason: String? {
        switch located {
        case .success: return nil
        case .failure(let error): return error.description
        }
    }

    /// Whether the suite can run; prints the reason (once) when it cannot.
    static let available: Bool = {
        if let reason = skipReason {
            print("IntegrationTests skipped: \(reason)")
            return false
        }
        return true
    }()

    static func require() throws -> Binaries {
        try located.get()
    }

    private static func locate() -> Result<Binaries, HarnessError> {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["PACH_BIN_DIR"], !dir.isEmpty {
            candidates.append(dir)
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent)
        }
        if let bundle = CommandLine.arguments.first, bundle.hasSuffix(".xctest") {
            candidates.append((bundle as NSString).deletingLastPathComponent)
        }
        candidates.append(RepoPaths.root + "/.build/debug")
        for dir in candidates {
            let pachd = dir + "/pachd"
            let pachctl = dir + "/pachctl"
            if FileManager.default.isExecutableFile(atPath: pachd), FileManager.default.isExecutableFile(atPath: pachctl) {
                return .success(Binaries(pachd: pachd, pachctl: pachctl))
            }
        }
        var seen = Set<String>()
        let searched = candidates.filter { seen.insert($0).inserted }.joined(separator: ", ")
        return .failure(HarnessError(
            "pachd and pachctl are not built (searched \(searched)); run `swift build --build-tests` or set PACH_BIN_DIR"))
    }
}

/// Paths inside the repository, found from this source file's location.
enum RepoPaths {
    /// The repository root: this file is `<root>/Tests/IntegrationTests/Harness/Binaries.swift`.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The certificate helpers shared with `scripts/cluster.sh`.
    static var tlsScript: String { root + "/scripts/lib/tls.sh" }
}
