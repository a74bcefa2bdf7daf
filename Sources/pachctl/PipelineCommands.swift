import ArgumentParser
import Foundation
import PachAPI
import PachctlKit

/// The spec text of `-f SPEC`: a file, or `-` for standard input. Sent as written; the server parses it
/// and names the field of any error.
func readSpec(_ source: String) throws -> String {
    let data: Data?
    if source == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        data = FileManager.default.contents(atPath: source)
    }
    guard let data else { throw PachctlError.usage("cannot read the pipeline spec '\(source)'") }
    let text = String(decoding: data, as: UTF8.self)
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw PachctlError.usage("the pipeline spec '\(source)' is empty")
    }
    return text
}

/// `pachctl create pipeline -f SPEC`.
struct CreatePipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Create a pipeline from a JSON spec; its first job starts at once.")

    @Option(name: .customShort("f"), help: "The spec: a JSON file, or - for standard input.")
    var file: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_CreatePipelineRequest()
        request.specJson = try readSpec(file)
        let session = try Session(global)
        let info = try await session.run { clients in try await clients.pps.createPipeline(request, options: clients.options) }
        if global.output == .json { session.write(session.presenter.pipeline(info)) }
    }
}

/// `pachctl update pipeline -f SPEC [--reprocess]`.
struct UpdatePipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Replace a pipeline's spec (a new version); a job runs on the current inputs.")

    @Option(name: .customShort("f"), help: "The spec: a JSON file, or - for standard input.")
    var file: String

    @Flag(help: "Process every datum again instead of reusing earlier outputs.")
    var reprocess = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_CreatePipelineRequest()
        request.specJson = try readSpec(file)
        request.update = true
        request.reprocess = reprocess
        let session = try Session(global)
        let info = try await session.run { clients in try await clients.pps.createPipeline(request, options: clients.options) }
        if global.output == .json { session.write(session.presenter.pipeline(info)) }
    }
}

/// `pachctl list pipeline`.
struct ListPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline", abstract: "List every pipeline.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = try Session(global)
        let response = try await session.run { clients in
            try await clients.pps.listPipeline(Pps_ListPipelineRequest(), options: clients.options)
        }
        session.write(session.presenter.pipelines(response.pipelines))
    }
}

/// `pachctl inspect pipeline NAME`.
struct InspectPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline", abstract: "Show one pipeline and its spec.")

    @Argument(help: "The pipeline name.")
    var name: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_InspectPipelineRequest()
        request.name = try RepoName.check(name)
        let session = try Session(global)
        let info = try await session.run { clients in try await clients.pps.inspectPipeline(request, options: clients.options) }
        session.write(session.presenter.pipeline(info))
    }
}

/// `pachctl delete pipeline NAME`.
struct DeletePipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Delete a pipeline, its jobs and its output repo.")

    @Argument(help: "The pipeline name.")
    var name: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_DeletePipelineRequest()
        request.name = try RepoName.check(name)
        let session = try Session(global)
        _ = try await session.run { clients in try await clients.pps.deletePipeline(request, options: clients.options) }
    }
}

/// `pachctl stop pipeline NAME`.
struct StopPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Stop a pipeline: its running job is killed and no new job starts.")

    @Argument(help: "The pipeline name.")
    var name: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_StopPipelineRequest()
        request.name = try RepoName.check(name)
        let session = try Session(global)
        let info = try await session.run { clients in try await clients.pps.stopPipeline(request, options: clients.options) }
        if global.output == .json { session.write(session.presenter.pipeline(info)) }
    }
}

/// `pachctl start pipeline NAME`.
struct StartPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Start a stopped pipeline again; a job runs if its inputs changed.")

    @Argument(help: "The pipeline name.")
    var name: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_StartPipelineRequest()
        request.name = try RepoName.check(name)
        let session = try Session(global)
        let info = try await session.run { clients in try await clients.pps.startPipeline(request, options: clients.options) }
        if global.output == .json { session.write(session.presenter.pipeline(info)) }
    }
}
