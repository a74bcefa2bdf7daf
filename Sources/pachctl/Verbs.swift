import ArgumentParser

// The verbs of `pachctl VERB NOUN`. Each only groups its nouns; the work is in the leaf commands.

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Inspect the cluster or remove a node.",
        subcommands: [ClusterStatus.self, ClusterRemoveNode.self])
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a repo, a branch or a pipeline.",
        subcommands: [CreateRepo.self, CreateBranch.self, CreatePipeline.self])
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List repos, commits, branches or files.",
        subcommands: [ListRepo.self, ListCommit.self, ListBranch.self, ListFile.self, ListPipeline.self, ListJob.self,
                      ListDatum.self])
}

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show one repo, commit, branch, file or object in detail.",
        subcommands: [InspectRepo.self, InspectCommit.self, InspectBranch.self, InspectFile.self, InspectObject.self,
                      InspectPipeline.self, InspectJob.self])
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a repo, commit, branch or files.",
        subcommands: [DeleteRepo.self, DeleteCommit.self, DeleteBranch.self, DeleteFile.self, DeletePipeline.self])
}

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Store data.", subcommands: [PutFile.self, PutObject.self])
}

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Read data back.", subcommands: [GetFile.self, GetObject.self])
}

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a commit or a stopped pipeline.", subcommands: [StartCommit.self, StartPipeline.self])
}

struct FinishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finish", abstract: "Finish a commit.", subcommands: [FinishCommit.self])
}

struct GlobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glob", abstract: "Match files with a glob pattern.", subcommands: [GlobFile.self])
}

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "Copy files by reference.", subcommands: [CopyFile.self])
}

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Compare two commits' files.", subcommands: [DiffFile.self])
}

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait for a commit and everything downstream of it, or for a job.",
        subcommands: [WaitCommit.self, WaitJob.self])
}

struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe", abstract: "Follow a branch's commits as they are finished.", subcommands: [SubscribeCommit.self])
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Run a running job's datums again.", subcommands: [RestartDatum.self])
}

struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Replace a pipeline's spec.", subcommands: [UpdatePipeline.self])
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a pipeline or a job.", subcommands: [StopPipeline.self, StopJob.self])
}
