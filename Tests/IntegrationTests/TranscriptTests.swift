import Foundation
import Testing

extension IntegrationTests {
    /// Golden `pachctl` transcripts: a scripted session against a real node, every command's output
    /// (stdout, then stderr) with ids, times and durations masked, compared with `testdata/*.transcript`.
    /// `PACH_UPDATE_GOLDEN=1` rewrites the files (review the diff before committing).
    @Suite("Transcripts")
    struct Transcripts {
        @Test("the file commands, as a user sees them")
        func fileCommands() async throws {
            try await TestCluster.with(nodes: 1) { cluster in
                let local = cluster.root + "/local"
                try FileManager.default.createDirectory(atPath: local + "/cats/kittens", withIntermediateDirectories: true)
                try "meow\n".write(toFile: local + "/cats/tom.txt", atomically: true, encoding: .utf8)
                try "purr purr\n".write(toFile: local + "/cats/kittens/felix.txt", atomically: true, encoding: .utf8)
                try "a\nb\nc\nd\ne\n".write(toFile: local + "/letters", atomically: true, encoding: .utf8)
                let script: [[String]] = [
                    ["create", "repo", "images"],
                    ["put", "file", "images@master:/cats", "-r", "-f", local + "/cats"],
                    ["list", "file", "images@master"],
                    ["list", "file", "images@master:/cats"],
                    ["get", "file", "images@master:/cats/tom.txt"],
                    ["put", "file", "images@master:/cats/tom.txt", "--append", "-f", local + "/cats/tom.txt"],
                    ["get", "file", "images@master:/cats/tom.txt"],
                    ["put", "file", "images@master:/letters", "--split", "line", "--target-file-datums", "2", "-f", local + "/letters"],
                    ["list", "file", "images@master:/letters"],
                    ["glob", "file", "images@master:/cats/**.txt"],
                    ["inspect", "file", "images@master:/cats/kittens/felix.txt"],
                    ["diff", "file", "images@master"],
                    ["copy", "file", "images@master:/cats", "images@master:/backup"],
                    ["delete", "file", "images@master:/cats/kittens"],
                    ["diff", "file", "images@master", "images@master^^"],
                    ["list", "commit", "images"],
                    ["start", "commit", "images@master"],
                    ["put", "file", "images@master:/open.txt", "-f", local + "/cats/tom.txt", "-o", "json"],
                    ["list", "file", "images@master"],
                    ["finish", "commit", "images@master"],
                    ["wait", "commit", "images@master"],
                    ["get", "file", "images@master:/cats/kittens/felix.txt"],
                    ["get", "file", "images@master:/backup"],
                    ["put", "file", "images@master:/x", "-f", local + "/cats"],
                    ["put", "file", "images@master:/backup/kittens/felix.txt/deeper", "-f", local + "/letters"],
                ]
                var transcript = ""
                for arguments in script {
                    let result = try await cluster.pachctl(arguments)
                    let shown = arguments.map { $0.replacingOccurrences(of: local, with: "./local") }
                    transcript += "$ pachctl \(shown.joined(separator: " "))\n"
                    transcript += Self.mask((result.stdout + result.stderr).replacingOccurrences(of: local, with: "./local"))
                    if !result.succeeded { transcript += "(exit \(result.exitCode.map(String.init) ?? "?"))\n" }
                }
                try Golden.check(transcript, against: "files.transcript")
            }
        }

        /// Ids, times and durations, which change from run to run.
        static func mask(_ text: String) -> String {
            var masked = text
            let rules: [(String, String)] = [
                ("[0-9a-f]{64}", "<id>"),
                ("[0-9a-f]{32}", "<commit>"),
                (#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"#, "<time>"),
                (#"less than a second ago|\d+ seconds? ago|about a minute ago"#, "<age>"),
                (#"less than a second|\d+ seconds?"#, "<duration>"),
            ]
            for (pattern, replacement) in rules {
                masked = masked.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
            }
            // Columns align to the widest cell, which masking changes: squeeze runs of spaces.
            masked = masked.replacingOccurrences(of: " {2,}", with: "  ", options: .regularExpression)
            return masked
        }
    }
}

/// Golden files in `Tests/IntegrationTests/testdata/`.
enum Golden {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata").path
    }

    /// Compares `text` with the golden file, or rewrites it when `PACH_UPDATE_GOLDEN=1`.
    static func check(_ text: String, against name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = directory + "/" + name
        if ProcessInfo.processInfo.environment["PACH_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(no golden file \(path))"
        let got = text.split(separator: "\n", omittingEmptySubsequences: false)
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        if let line = zip(got, want).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            let report = "\(name) differs at line \(line + 1):\n  got:  \(got[line])\n  want: \(want[line])\n"
                + "(PACH_UPDATE_GOLDEN=1 rewrites it)"
            Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
        } else if got.count != want.count {
            let report = "\(name): \(got.count) lines, the golden file has \(want.count) (PACH_UPDATE_GOLDEN=1 rewrites it)"
            Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
        }
    }
}
