import Foundation

/// What one `pachctl` run did.
struct PachctlResult: Sendable, CustomStringConvertible {
    /// The arguments after `pachctl`.
    let arguments: [String]
    /// The addresses it was given (PACHD_ADDRESS).
    let address: String
    /// The exit status; nil when the harness killed it at its timeout.
    let exitCode: Int32?
    let stdout: String
    let stderr: String
    let elapsed: Duration

    var succeeded: Bool { exitCode == 0 }
    var timedOut: Bool { exitCode == nil }
    /// Whether it ended with an error of its own making (exit status not 0, not killed).
    var failed: Bool { exitCode.map { $0 != 0 } ?? false }

    var description: String {
        let status = exitCode.map { "exit \($0)" } ?? "killed at the harness timeout"
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return """
            pachctl \(arguments.joined(separator: " ")) [PACHD_ADDRESS=\(address)] → \(status) after \(String(format: "%.2f", seconds)) s
              stdout: \(stdout.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000))
              stderr: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000))
            """
    }

    /// The 32-hex-digit commit id that `start commit` prints.
    var commitID: String? {
        let text = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return CommitIDText.isValid(text) ? text : nil
    }

    /// stdout as JSON documents, one per line (`-o json`).
    func jsonDocuments() throws -> [JSONObject] {
        try stdout.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.map { line in
            let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let object = value as? [String: Any] else {
                throw HarnessError("not a JSON object: \(line)")
            }
            return JSONObject(object)
        }
    }
}

/// A parsed JSON object with typed accessors (JSONSerialization gives `Any`).
struct JSONObject: @unchecked Sendable {
    let fields: [String: Any]
    init(_ fields: [String: Any]) { self.fields = fields }

    func string(_ key: String) -> String? { fields[key] as? String }
    func int(_ key: String) -> Int? { (fields[key] as? NSNumber)?.intValue }
    func bool(_ key: String) -> Bool? { (fields[key] as? NSNumber)?.boolValue }
    func objects(_ key: String) -> [JSONObject] {
        ((fields[key] as? [Any]) ?? []).compactMap { ($0 as? [String: Any]).map(JSONObject.init) }
    }
    func strings(_ key: String) -> [String] { (fields[key] as? [Any])?.compactMap { $0 as? String } ?? [] }
    /// The object under `key` of `parent`, if there is one.
    static func object(_ parent: JSONObject, _ key: String) -> JSONObject? {
        (parent.fields[key] as? [String: Any]).map(JSONObject.init)
    }
    func ints(_ key: String) -> [Int] { (fields[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
}

enum CommitIDText {
    static func isValid(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// `pachctl cluster status -o json`, as far as the tests need it.
struct ClusterStatus: Sendable {
    struct Member: Sendable {
        let id: Int
        let role: String
        let membership: String
        let up: Bool
        /// The leader's replicated verdict (after --down-after of silence).
        let markedDown: Bool
        let isLeader: Bool
        let commitIndex: Int
        let appliedIndex: Int
    }

    let clusterID: String
    let answeredBy: Int
    /// The leader the answering node knows of.
    let leaderID: Int?
    let members: [Member]

    init(_ document: JSONObject) {
        clusterID = document.string("cluster_id") ?? ""
        answeredBy = document.int("answered_by") ?? 0
        leaderID = document.int("leader_id").flatMap { $0 == 0 ? nil : $0 }
        members = document.objects("nodes").map { node in
            Member(
                id: node.int("id") ?? 0, role: node.string("role") ?? "", membership: node.string("membership") ?? "",
                up: node.bool("up") ?? false, markedDown: node.bool("marked_down") ?? false, isLeader: node.bool("is_leader") ?? false,
                commitIndex: node.int("commit_index") ?? 0, appliedIndex: node.int("applied_index") ?? 0
            )
        }
    }

    var memberIDs: [Int] { members.map(\.id).sorted() }
}
