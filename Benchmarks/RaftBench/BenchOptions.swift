import Foundation

/// Command-line settings of raft-bench.
struct BenchOptions {
    var duration: Duration = .seconds(5)
    var trials = 20
    var directory = FileManager.default.temporaryDirectory.path
    var json = false
    var proposerCounts = [1, 16, 64]
    var entryBytes = 256

    static let usage = "usage: raft-bench [--duration SECONDS] [--trials N] [--dir PATH] [--json]"

    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--json": options.json = true
            case "--duration": options.duration = .seconds(try number(&rest, for: argument))
            case "--trials": options.trials = Int(try number(&rest, for: argument))
            case "--dir": options.directory = try value(&rest, for: argument)
            case "--help", "-h": throw BenchError(usage)
            default: throw BenchError("unknown argument \(argument); \(usage)")
            }
        }
        guard options.trials > 0 else { throw BenchError("--trials must be positive") }
        return options
    }

    private static func value(_ rest: inout ArraySlice<String>, for flag: String) throws -> String {
        guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value; \(usage)") }
        return value
    }

    private static func number(_ rest: inout ArraySlice<String>, for flag: String) throws -> Double {
        let text = try value(&rest, for: flag)
        guard let number = Double(text), number > 0 else {
            throw BenchError("\(flag) needs a positive number, not \(text)")
        }
        return number
    }
}
