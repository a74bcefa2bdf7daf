import ArgumentParser
import PachAPI
import PachctlKit

/// `pachctl version`: this client's version and the version of the node that answers.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the pachctl and pachd versions.")

    @Flag(help: "Print only the client version; does not contact the cluster.")
    var clientOnly = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        if clientOnly {
            // Nothing to connect to, so no connection settings are required.
            let presenter = Presenter(format: global.output, nowUnixNanos: 0)
            print(presenter.clientVersion(PachctlVersion.current), terminator: "")
            return
        }
        let session = try Session(global)
        let (server, address) = try await session.run { clients in
            let response = try await clients.admin.version(Admin_VersionRequest(), options: clients.options)
            return (response.version, clients.endpoint.description)
        }
        session.write(session.presenter.version(client: PachctlVersion.current, server: server, serverAddress: address))
    }
}

/// `pachctl cluster status`: every member as the answering node sees it.
struct ClusterStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every node: id, address, Raft role, term, commit and applied index, up or down.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = try Session(global)
        let status = try await session.run { clients in
            try await clients.admin.clusterStatus(Admin_ClusterStatusRequest(), options: clients.options)
        }
        session.write(session.presenter.clusterStatus(status))
    }
}

/// `pachctl cluster remove-node ID`: takes a node out of the cluster. The process keeps running until
/// it is stopped (`scripts/cluster.sh remove K` does both).
struct ClusterRemoveNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-node",
        abstract: "Take a node out of the cluster: it stops voting and receiving the log.",
        discussion: "The node's process keeps running until it is stopped. Refused when it would leave "
            + "the cluster without a voter.")

    @Argument(help: "The node id, as `pachctl cluster status` lists it.")
    var id: UInt64

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard id != 0 else { throw ValidationError("node id 0 is not valid; use an id from `pachctl cluster status`") }
    }

    func run() async throws {
        var request = Admin_RemoveNodeRequest()
        request.nodeID = id
        let session = try Session(global)
        _ = try await session.run { clients in
            try await clients.admin.removeNode(request, options: clients.options)
        }
    }
}
