import ArgumentParser
import PachAPI
import PachctlKit

/// `pachctl create branch REPO@BRANCH [--head REF] [--provenance REPO@BRANCH ...]`.
struct CreateBranch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch",
        abstract: "Create a branch, or point an existing one at a new head and replace its provenance.")

    @Argument(help: "REPO@BRANCH")
    var branch: String

    @Option(help: "The new head: a ref in the same repo (default: keep the current head).")
    var head: String?

    @Option(name: [.customShort("p"), .long], help: "A branch this one is computed from, REPO@BRANCH; repeat for more.")
    var provenance: [String] = []

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try BranchRef.parse(branch)
        var request = Pfs_CreateBranchRequest()
        request.repo = target.repo
        request.branch = target.branch
        if let head { request.head = try CommitRef.parse(head, inRepo: target.repo, option: "--head") }
        for text in provenance {
            let upstream = try BranchRef.parse(text)
            var entry = Pfs_Branch()
            entry.repo = upstream.repo
            entry.name = upstream.branch
            request.provenance.append(entry)
        }
        let session = try Session(global)
        let info = try await session.run { clients in
            try await clients.pfs.createBranch(request, options: clients.options)
        }
        if global.output == .json { session.write(session.presenter.branch(info)) }
    }
}

/// `pachctl list branch REPO`.
struct ListBranch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "branch", abstract: "List the branches of a repo.")

    @Argument(help: "The repo name.")
    var repo: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pfs_ListBranchRequest()
        request.repo = try RepoName.check(repo)
        let session = try Session(global)
        let response = try await session.run { clients in
            try await clients.pfs.listBranch(request, options: clients.options)
        }
        session.write(session.presenter.branches(response.branches))
    }
}

/// `pachctl inspect branch REPO@BRANCH`.
struct InspectBranch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch", abstract: "Show one branch: its head, provenance and subvenance.")

    @Argument(help: "REPO@BRANCH")
    var branch: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try BranchRef.parse(branch)
        var request = Pfs_InspectBranchRequest()
        request.repo = target.repo
        request.branch = target.branch
        let session = try Session(global)
        let info = try await session.run { clients in
            try await clients.pfs.inspectBranch(request, options: clients.options)
        }
        session.write(session.presenter.branch(info))
    }
}

/// `pachctl delete branch REPO@BRANCH [--force]`.
struct DeleteBranch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch", abstract: "Delete a branch (its commits stay).")

    @Argument(help: "REPO@BRANCH")
    var branch: String

    @Flag(name: [.customShort("f"), .long], help: "Delete even when other branches have it as provenance.")
    var force = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try BranchRef.parse(branch)
        var request = Pfs_DeleteBranchRequest()
        request.repo = target.repo
        request.branch = target.branch
        request.force = force
        let session = try Session(global)
        _ = try await session.run { clients in
            try await clients.pfs.deleteBranch(request, options: clients.options)
        }
    }
}
