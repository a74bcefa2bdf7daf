import ArgumentParser
import PachAPI
import PachctlKit

/// `pachctl create repo NAME [--description D]`.
struct CreateRepo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repo", abstract: "Create a new, empty repo.")

    @Argument(help: "The repo name: letters, digits, '_' and '-'.")
    var name: String

    @Option(name: [.customShort("d"), .customLong("description")], help: "A description of the repo.")
    var descriptionText = ""

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pfs_CreateRepoRequest()
        request.name = try RepoName.check(name)
        request.description_p = descriptionText
        let session = try Session(global)
        let repo = try await session.run { clients in
            try await clients.pfs.createRepo(request, options: clients.options)
        }
        // Like Pachyderm, silent on success for people; scripts asking for JSON get the new repo.
        if global.output == .json { session.write(session.presenter.repo(repo)) }
    }
}

/// `pachctl list repo`.
struct ListRepo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repo", abstract: "List every repo.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = try Session(global)
        let response = try await session.run { clients in
            try await clients.pfs.listRepo(Pfs_ListRepoRequest(), options: clients.options)
        }
        session.write(session.presenter.repos(response.repos))
    }
}

/// `pachctl inspect repo NAME`.
struct InspectRepo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repo", abstract: "Show one repo in detail.")

    @Argument(help: "The repo name.")
    var name: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pfs_InspectRepoRequest()
        request.name = try RepoName.check(name)
        let session = try Session(global)
        let repo = try await session.run { clients in
            try await clients.pfs.inspectRepo(request, options: clients.options)
        }
        session.write(session.presenter.repo(repo))
    }
}

/// `pachctl delete repo NAME [--force]`.
struct DeleteRepo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo", abstract: "Delete a repo with all its branches and commits.")

    @Argument(help: "The repo name.")
    var name: String

    @Flag(name: [.customShort("f"), .long], help: "Delete even when other repos' branches have it as provenance.")
    var force = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pfs_DeleteRepoRequest()
        request.name = try RepoName.check(name)
        request.force = force
        let session = try Session(global)
        _ = try await session.run { clients in
            try await clients.pfs.deleteRepo(request, options: clients.options)
        }
    }
}
