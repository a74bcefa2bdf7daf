import Foundation
import Raft
import Testing
@testable import Node

struct DataDirIdentityTests {
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pachd-identity-\(UUID().uuidString)").path
        return path
    }

    @Test func firstStartWritesTheFilesAndLaterStartsMatch() throws {
        let directory = Self.temporaryDirectory() + "/nested/node1"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let identity = DataDirIdentity(clusterID: ConfigTests.clusterID, nodeID: 1)
        #expect(try identity.verify(in: directory) == .new)
        try identity.record(in: directory)
        #expect(try String(contentsOfFile: directory + "/cluster-id", encoding: .utf8) == ConfigTests.clusterID + "\n")
        #expect(try String(contentsOfFile: directory + "/node-id", encoding: .utf8) == "1\n")
        #expect(try identity.verify(in: directory) == .matched)
    }

    @Test func anotherClusterOrNodeIsRefusedWithBothIdentities() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try DataDirIdentity(clusterID: ConfigTests.clusterID, nodeID: 1).record(in: directory)
        let other = String(repeating: "cd", count: 16)
        #expect(throws: ConfigError("data dir \(directory) belongs to cluster \(ConfigTests.clusterID), node 1; "
            + "this node was started as cluster \(other) node 1")) {
            _ = try DataDirIdentity(clusterID: other, nodeID: 1).verify(in: directory)
        }
        #expect(throws: ConfigError("data dir \(directory) belongs to cluster \(ConfigTests.clusterID), node 1; "
            + "this node was started as cluster \(ConfigTests.clusterID) node 2")) {
            _ = try DataDirIdentity(clusterID: ConfigTests.clusterID, nodeID: 2).verify(in: directory)
        }
    }

    @Test func aHalfWrittenIdentityIsReported() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try DataDirIdentity(clusterID: ConfigTests.clusterID, nodeID: 1).record(in: directory)
        try FileManager.default.removeItem(atPath: directory + "/node-id")
        do {
            _ = try DataDirIdentity(clusterID: ConfigTests.clusterID, nodeID: 1).verify(in: directory)
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("'node-id' is missing"))
        }
    }

    @Test func aFounderThatLostItsLogMustNotBootstrapAgain() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = try ConfigTests.parse(ConfigTests.arguments(setting: "--data-dir", to: directory))
        let storage = try DiskStorage(directory: config.raftDirectory)
        defer { storage.close() }
        // A new data dir, or a joining node, may start with an empty log; a founder with an identity may not.
        try NodeAssembly.refuseSecondBootstrap(config: config, identityOutcome: .new, storage: storage)
        do {
            try NodeAssembly.refuseSecondBootstrap(config: config, identityOutcome: .matched, storage: storage)
            Issue.record("a second bootstrap was allowed")
        } catch {
            #expect(error.message.contains("lost its state and must not bootstrap again"))
        }
        config.join = true
        try NodeAssembly.refuseSecondBootstrap(config: config, identityOutcome: .matched, storage: storage)
        config.join = false
        let founding = PersistedState.bootstrap(voters: [1, 2, 3])
        try storage.persist(hardState: founding.hardState, entries: founding.entries, snapshot: nil)
        try NodeAssembly.refuseSecondBootstrap(config: config, identityOutcome: .matched, storage: storage)
    }

    @Test func theAdminTokenIsComparedByHash() throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "s3cret-token\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let hash = try AdminTokenHash.load(from: directory + "/token")
        #expect(hash.matches("s3cret-token"))
        #expect(!hash.matches("s3cret-toke"))
        #expect(!hash.matches(""))
        try "\n".write(toFile: directory + "/empty", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError("--admin-token-file: '\(directory)/empty' is empty")) {
            _ = try AdminTokenHash.load(from: directory + "/empty")
        }
    }
}
