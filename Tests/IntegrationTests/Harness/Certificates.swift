import Foundation

/// A certificate authority in a folder, made with openssl through `scripts/lib/tls.sh` (the same
/// commands `scripts/cluster.sh` uses): `ca.crt`, `ca.key`, and `node<ID>.crt`/`.key` per node.
struct CertificateAuthority: Sendable {
    let directory: String

    var caCertificate: String { directory + "/ca.crt" }
    func certificate(node: Int) -> String { "\(directory)/node\(node).crt" }
    func key(node: Int) -> String { "\(directory)/node\(node).key" }

    /// Makes the CA in `directory` (created if missing).
    static func make(in directory: String, name: String) async throws -> CertificateAuthority {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await TLSScript.run("tls_make_ca", directory, name)
        return CertificateAuthority(directory: directory)
    }

    /// Makes the certificate and key of node `id`, signed by this CA.
    func issue(node id: Int) async throws {
        try await TLSScript.run("tls_make_node_cert", directory, String(id))
    }
}

/// Runs one function of `scripts/lib/tls.sh` through bash.
enum TLSScript {
    static func run(_ function: String, _ arguments: String...) async throws {
        let script = RepoPaths.tlsScript
        guard FileManager.default.fileExists(atPath: script) else {
            throw HarnessError("\(script) is missing: the harness makes certificates with it")
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("pach-it-tls-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess(
            executable: "/bin/bash",
            arguments: ["-c", "set -euo pipefail; source \"$0\"; \(function) \"$@\"", script] + arguments,
            environment: ProcessInfo.processInfo.environment, stdoutPath: log, stderrPath: log
        )
        guard let status = await child.waitForExit(timeout: .seconds(30)) else {
            child.killAndReap()
            throw HarnessError("\(function) \(arguments) did not finish within 30 s")
        }
        guard status == 0 else {
            throw HarnessError("\(function) \(arguments) failed (\(status)): \(child.stdoutText()); is openssl installed?")
        }
    }
}

/// Random lowercase hex, for cluster ids and tokens.
enum RandomHex {
    static func make(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
