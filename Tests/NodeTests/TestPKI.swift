import Foundation
import Synchronization
@testable import Node

/// A throwaway cluster CA with node certificates, made with `openssl` in a temporary directory, plus a
/// second, foreign CA with one certificate that the cluster must refuse.
///
/// Node k's certificate carries SAN `IP:127.0.0.1, DNS:localhost, DNS:node<k>`, like cluster.sh makes
/// them, and is good for both TLS server and client authentication.
struct TestPKI: Sendable {
    let directory: String

    /// Makes the CA, certificates for nodes `1...nodes`, and the foreign CA's certificate for `node1`
    /// (same name, wrong signer).
    static func make(nodes: Int) throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pachd-pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pki = TestPKI(directory: directory)
        try pki.makeCA("ca")
        try pki.makeCA("foreign-ca")
        for node in 1...nodes { try pki.makeCertificate("node\(node)", signedBy: "ca") }
        try pki.makeCertificate("node1", signedBy: "foreign-ca", file: "foreign-node1")
        return pki
    }

    /// The TLS files of node `id`, signed by the cluster CA.
    func files(node id: UInt64) -> NodeConfig.TLSFiles {
        NodeConfig.TLSFiles(certificate: "\(directory)/node\(id).crt", privateKey: "\(directory)/node\(id).key",
                            certificateAuthority: "\(directory)/ca.crt")
    }

    /// A client identity from the foreign CA that trusts the cluster CA (so only the server can refuse).
    var foreignFiles: NodeConfig.TLSFiles {
        NodeConfig.TLSFiles(certificate: "\(directory)/foreign-node1.crt", privateKey: "\(directory)/foreign-node1.key",
                            certificateAuthority: "\(directory)/ca.crt")
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func makeCA(_ name: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(name).key", "-out", "\(name).crt", "-days", "2", "-subj", "/CN=\(name)",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    private func makeCertificate(_ name: String, signedBy ca: String, file: String? = nil) throws {
        let file = file ?? name
        let extensions = """
            subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:\(name)
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth, clientAuth
            """
        try extensions.write(toFile: "\(directory)/\(file).ext", atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(file).key", "-out", "\(file).csr", "-subj", "/CN=\(name)"])
        try openssl(["x509", "-req", "-in", "\(file).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key",
                     "-CAcreateserial", "-out", "\(file).crt", "-days", "2", "-extfile", "\(file).ext"])
    }

    private func openssl(_ arguments: [String]) throws {
        // Foundation's Process.run crashed (a bad read inside it) when tests launched children
        // concurrently; one launch at a time here.
        try opensslLaunches.withLock { _ in try runOpenssl(arguments) }
    }

    private func runOpenssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestFailure("openssl \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Serializes openssl launches across concurrently running tests.
private let opensslLaunches = Mutex<Void>(())
