import ArgumentParser

// The verbs of `pachctl VERB NOUN`. Each only groups its nouns; the work is in the leaf commands.

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Inspect the cluster or remove a node.",
        subcommands: [ClusterStatus.self, ClusterRemoveNode.self])
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a repo or a branch.", subcommands: [CreateRepo.self, CreateBranch.self])
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List repos, commits or branches.",
        subcommands: [ListRepo.self, ListCommit.self, ListBranch.self])
}

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show one repo, commit, branch or object in detail.",
        subcommands: [InspectRepo.self, InspectCommit.self, InspectBranch.self, InspectObject.self])
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a repo, commit or branch.",
        subcommands: [DeleteRepo.self, DeleteCommit.self, DeleteBranch.self])
}

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Store data.", subcommands: [PutObject.self])
}

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Read data back.", subcommands: [GetObject.self])
}

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a commit.", subcommands: [StartCommit.self])
}

struct FinishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finish", abstract: "Finish a commit.", subcommands: [FinishCommit.self])
}
