import Foundation
import Testing

/// Golden files in `testdata/`: the expected output of each table, reviewed as diffs.
/// `PACHCTL_UPDATE_GOLDEN=1 swift test --filter PachctlKitTests` rewrites them from the current code.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata")

    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["PACHCTL_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(url.path): run with PACHCTL_UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == expected, "golden \(name).txt differs", sourceLocation: sourceLocation)
    }
}
