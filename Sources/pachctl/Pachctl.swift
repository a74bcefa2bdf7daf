import ArgumentParser
import PachctlKit

#if canImport(Glibc)
import CLinux
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The root command: `pachctl VERB NOUN ...`, the grammar of modern Pachyderm.
struct Pachctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pachctl",
        abstract: "Command-line client for a pachyderm-swift cluster.",
        discussion: """
            Connection: --address/PACHD_ADDRESS (host:port of any node; a comma-separated list is tried \
            in order), --ca/PACH_CA (the cluster CA, PEM), --token/PACH_TOKEN. `source .cluster/env` \
            sets all three for a local cluster.
            """,
        subcommands: [
            VersionCommand.self, ClusterCommand.self, CreateCommand.self, ListCommand.self,
            InspectCommand.self, DeleteCommand.self, StartCommand.self, FinishCommand.self, PutCommand.self,
            GetCommand.self, GlobCommand.self, CopyCommand.self, DiffCommand.self, WaitCommand.self, SubscribeCommand.self,
            UpdateCommand.self, StopCommand.self, RestartCommand.self, Logs.self, MountCommand.self, UnmountCommand.self,
        ]
    )
}

/// Runs the command and turns every error into one line on stderr and a non-zero exit code.
/// ArgumentParser's own `main` would print usage text after a parse error; scripts want one line.
@main
enum PachctlMain {
    static func main() async {
        #if canImport(Glibc)
        clinux_map_large_allocations()
        #endif
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try Pachctl.parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as PachctlError {
            fail(error.message, exitCode: 1)
        } catch {
            let code = Pachctl.exitCode(for: error)
            if code == .success {
                // --help and friends: ArgumentParser prints the help text and exits 0.
                Pachctl.exit(withError: error)
            }
            let message = Pachctl.message(for: error)
            let path = CommandPath.words(of: arguments)
            let help = path.isEmpty ? "pachctl --help" : "pachctl \(path) --help"
            fail("\(message) (see '\(help)')", exitCode: code.rawValue)
        }
    }

    static func fail(_ message: String, exitCode: Int32) -> Never {
        let line = Array("error: \(message)\n".utf8)
        // write(2) rather than the C `stderr` global, which Swift 6 rejects as shared mutable state.
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        exit(exitCode == 0 ? 1 : exitCode)
    }
}

/// The command words of an argument list, for the help hint of a usage error ("list commit").
enum CommandPath {
    static let verbs: Set<String> = ["version", "cluster", "create", "list", "inspect", "delete", "start", "finish", "put",
                                     "get", "glob", "copy", "diff", "wait", "subscribe", "mount", "unmount"]
    static let nouns: Set<String> = ["repo", "commit", "branch", "status", "file", "object"]

    static func words(of arguments: [String]) -> String {
        var words: [String] = []
        if let verb = arguments.first, verbs.contains(verb) {
            words.append(verb)
            if arguments.count > 1, nouns.contains(arguments[1]) {
                words.append(arguments[1])
            }
        }
        return words.joined(separator: " ")
    }
}
