import ArgumentParser
import Foundation
import PachAPI
import PachctlKit

/// `pachctl start commit REPO@BRANCH [--parent REF]`: prints the new commit's id.
struct StartCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Start a commit on a branch (created if missing) and print its id.")

    @Argument(help: "REPO@BRANCH")
    var branch: String

    @Option(name: [.customShort("p"), .long], help: "The parent commit: a ref in the same repo (default: the branch head).")
    var parent: String?

    @Option(name: [.customShort("d"), .customLong("description")], help: "A description of the commit.")
    var descriptionText = ""

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try BranchRef.parse(branch)
        var request = Pfs_StartCommitRequest()
        request.repo = target.repo
        request.branch = target.branch
        if let parent { request.parent = try CommitRef.parse(parent, inRepo: target.repo, option: "--parent") }
        request.description_p = descriptionText
        let session = try Session(global)
        let commit = try await session.run { clients in
            try await clients.pfs.startCommit(request, options: clients.options)
        }
        session.write(session.presenter.startedCommit(commit))
    }
}

/// `pachctl finish commit REPO@REF`.
struct FinishCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Finish an open commit, making it immutable.")

    @Argument(help: "REPO@BRANCH (its open head) or REPO@ID")
    var commit: String

    @Option(name: [.customShort("d"), .customLong("description")], help: "Replace the commit's description.")
    var descriptionText = ""

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let ref = try CommitRef.parse(commit)
        var request = Pfs_FinishCommitRequest()
        request.repo = ref.repo
        request.ref = ref.ref
        request.description_p = descriptionText
        let session = try Session(global)
        let info = try await session.run { clients in
            try await clients.pfs.finishCommit(request, options: clients.options)
        }
        if global.output == .json { session.write(session.presenter.commit(info)) }
    }
}

/// `pachctl list commit REPO[@BRANCH] [-n N]`.
struct ListCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "List the commits of a repo or of a branch's history, newest first.")

    @Argument(help: "REPO or REPO@BRANCH")
    var repo: String

    @Option(name: [.customShort("n"), .customLong("number")], help: "Show at most this many commits.")
    var number: Int?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try RepoAndBranch.parse(repo)
        var request = Pfs_ListCommitRequest()
        request.repo = target.repo
        request.branch = target.branch ?? ""
        if let number {
            guard number > 0 else { throw PachctlError.usage("-n \(number): give a positive number of commits") }
            request.limit = UInt64(number)
        }
        let session = try Session(global)
        let commits = try await session.run { clients in
            try await clients.pfs.listCommit(request, options: clients.options) { response in
                // Collected before printing: a stream that fails halfway is retried on the next node,
                // and a table needs every row to align its columns anyway.
                var all: [Pfs_CommitInfo] = []
                for try await info in response.messages { all.append(info) }
                return all
            }
        }
        session.write(session.presenterNow.commits(commits))
    }
}

/// `pachctl inspect commit REPO@REF`.
struct InspectCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "commit", abstract: "Show one commit in detail.")

    @Argument(help: "REPO@BRANCH, REPO@ID, REPO@BRANCH^ or REPO@BRANCH^N")
    var commit: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let ref = try CommitRef.parse(commit)
        var request = Pfs_InspectCommitRequest()
        request.repo = ref.repo
        request.ref = ref.ref
        let session = try Session(global)
        let info = try await session.run { clients in
            try await clients.pfs.inspectCommit(request, options: clients.options)
        }
        session.write(session.presenter.commit(info))
    }
}

/// `pachctl delete commit REPO@ID`.
struct DeleteCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Delete a commit that has no children and is no commit's provenance.")

    @Argument(help: "REPO@ID (an id, not a branch: deleting is explicit)")
    var commit: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let ref = try CommitRef.parse(commit)
        guard CommitID.isValid(ref.ref) else {
            throw PachctlError.usage(
                "delete commit takes a commit id (32 lowercase hex characters), not '\(ref.ref)': find ids with 'pachctl list commit \(ref.repo)'"
            )
        }
        var request = Pfs_DeleteCommitRequest()
        request.repo = ref.repo
        request.id = ref.ref
        let session = try Session(global)
        _ = try await session.run { clients in
            try await clients.pfs.deleteCommit(request, options: clients.options)
        }
    }
}

/// `pachctl wait commit REPO@REF` (Pachyderm's flush-commit).
struct WaitCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Wait until a commit and every commit downstream of it are finished, then list them.",
        discussion: "Downstream: the commits whose provenance holds this one, transitively. Waits as long as it "
            + "takes unless --timeout is given.")

    @Argument(help: "REPO@REF")
    var commit: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let ref = try CommitRef.parse(commit)
        var request = Pfs_WaitCommitRequest()
        request.repo = ref.repo
        request.ref = ref.ref
        let session = try Session(global)
        let commits = try await session.run { clients in
            try await clients.pfs.waitCommit(request, options: clients.transferOptions(timeout: global.timeout)) { response in
                var all: [Pfs_CommitInfo] = []
                for try await info in response.messages { all.append(info) }
                return all
            }
        }
        session.write(session.presenter.commits(commits))
    }
}

/// `pachctl subscribe commit REPO@BRANCH [--new]`: runs until interrupted.
struct SubscribeCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Print the finished commits of a branch, oldest first, then each new one as it is finished.")

    @Argument(help: "REPO@BRANCH")
    var branch: String

    @Flag(name: .customLong("new"), help: "Only commits finished from now on.")
    var newOnly = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try BranchRef.parse(branch)
        var request = Pfs_SubscribeCommitRequest()
        request.repo = target.repo
        request.branch = target.branch
        request.newOnly = newOnly
        let session = try Session(global)
        let presenter = session.presenter
        let printed = StdinOnce()
        // Lines are printed as they come, so a retry on another node would repeat them: none after the first.
        try await session.run { clients in
            try await clients.pfs.subscribeCommit(request, options: clients.transferOptions(timeout: global.timeout)) { response in
                for try await info in response.messages {
                    _ = printed.take()
                    session.writeNow(presenter.subscribedCommit(info))
                }
            }
        }
    }
}
