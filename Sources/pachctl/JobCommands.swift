import ArgumentParser
import Foundation
import PachAPI
import PachctlKit

/// A job id as typed: 32 lowercase hex characters (the job's output commit id).
func checkJobID(_ text: String) throws(PachctlError) -> String {
    guard text.utf8.count == 32, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
        throw .usage("'\(text)' is not a job id (32 lowercase hexadecimal digits, as `list job` prints them)")
    }
    return text
}

/// `pachctl list job [-p PIPELINE]`.
struct ListJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job", abstract: "List jobs, newest first.")

    @Option(name: [.customShort("p"), .customLong("pipeline")], help: "Only this pipeline's jobs.")
    var pipeline: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_ListJobRequest()
        if let pipeline { request.pipeline = try RepoName.check(pipeline) }
        let session = try Session(global)
        let response = try await session.run { clients in try await clients.pps.listJob(request, options: clients.options) }
        session.write(session.presenter.jobs(response.jobs))
    }
}

/// `pachctl inspect job ID`.
struct InspectJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job", abstract: "Show one job in detail.")

    @Argument(help: "The job id.")
    var id: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_InspectJobRequest()
        request.id = try checkJobID(id)
        let session = try Session(global)
        let job = try await session.run { clients in try await clients.pps.inspectJob(request, options: clients.options) }
        session.write(session.presenter.job(job))
    }
}

/// `pachctl wait job ID`: exits non-zero when the job did not succeed.
struct WaitJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Wait until a job ends and show it; fails unless it succeeded.",
        discussion: "Waits as long as the job takes unless --timeout is given.")

    @Argument(help: "The job id.")
    var id: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_WaitJobRequest()
        request.id = try checkJobID(id)
        let session = try Session(global)
        let job = try await session.run { clients in
            try await clients.pps.waitJob(request, options: clients.transferOptions(timeout: global.timeout))
        }
        session.write(session.presenterNow.job(job))
        guard job.state == "success" else {
            throw PachctlError.usage("job \(job.id) ended \(job.state)" + (job.reason.isEmpty ? "" : ": \(job.reason)"))
        }
    }
}

/// `pachctl stop job ID`.
struct StopJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Kill a running job; its output commit is finished empty.")

    @Argument(help: "The job id.")
    var id: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_StopJobRequest()
        request.id = try checkJobID(id)
        let session = try Session(global)
        let job = try await session.run { clients in try await clients.pps.stopJob(request, options: clients.options) }
        if global.output == .json { session.write(session.presenter.job(job)) }
    }
}

/// `pachctl restart datum JOB PATHS`.
struct RestartDatum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datum",
        abstract: "Run again the datums of a running job that match every filter (user code running them is killed).",
        discussion: "FILTERS is a comma-separated list: a datum id (8 or more hex characters), or paths as `list datum` "
            + "shows them (`/a.txt` or `images:/a.txt`).")

    @Argument(help: "The job id.")
    var job: String

    @Argument(help: "Comma-separated filters: a datum id or input paths.")
    var filters: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_RestartDatumRequest()
        request.jobID = try checkJobID(job)
        request.dataFilters = filters.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !request.dataFilters.isEmpty else { throw ValidationError("name at least one datum id or path") }
        let session = try Session(global)
        let job = try await session.run { clients in try await clients.pps.restartDatum(request, options: clients.options) }
        if global.output == .json { session.write(session.presenter.job(job)) }
    }
}

/// `pachctl list datum JOB`.
struct ListDatum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datum", abstract: "List a job's datums: state, input paths, node and time.")

    @Argument(help: "The job id.")
    var job: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pps_ListDatumRequest()
        request.jobID = try checkJobID(job)
        let session = try Session(global)
        let response = try await session.run { clients in try await clients.pps.listDatum(request, options: clients.options) }
        session.write(session.presenter.datums(response.datums))
    }
}

/// `pachctl logs --pipeline P | --job J [--datum D] [-f]`.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print what user code wrote to stdout and stderr, datum by datum.")

    @Option(name: [.customShort("p"), .customLong("pipeline")], help: "The pipeline (its newest job).")
    var pipeline: String?

    @Option(name: [.customShort("j"), .customLong("job")], help: "The job id.")
    var job: String?

    @Option(help: "Only this datum (its id, or a prefix of at least 8 characters).")
    var datum: String?

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing as datums finish until the job ends.")
    var follow = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (pipeline == nil) != (job == nil) else { throw ValidationError("give exactly one of --pipeline or --job") }
        if let datum, datum.count < 8 { throw ValidationError("--datum needs at least 8 characters of the datum id") }
    }

    func run() async throws {
        var request = Pps_GetLogsRequest()
        if let pipeline { request.pipeline = try RepoName.check(pipeline) }
        if let job { request.jobID = try checkJobID(job) }
        request.datumID = datum ?? ""
        request.follow = follow
        let session = try Session(global)
        let presenter = session.presenter
        let printed = StdinOnce()
        try await session.run { clients in
            try await clients.pps.getLogs(request, options: clients.transferOptions(timeout: global.timeout)) { response in
                for try await message in response.messages {
                    _ = printed.take()
                    session.writeNow(presenter.log(message))
                }
            }
        }
    }
}
