import Jobs
import Logging
import PFS
import Raft
import Replication

/// Everything a node is made of, wired together but not yet started: `NodeRuntime` starts and stops it.
struct NodeAssembly: Sendable {
    let config: NodeConfig
    let logger: Logger
    /// Every metric of this node; `NodeRuntime` serves them on `config.metricsAddress`.
    let metrics: NodeMetrics
    let storage: DiskStorage
    let transport: GRPCPeerTransport
    let metadata: MetadataStateMachine
    let raft: RaftNode
    let membership: Membership
    /// The chunk store and its replication.
    let chunks: NodeChunks
    let context: NodeContext
    let peerServer: NodeServers.Server
    let apiServer: NodeServers.Server
    let identity: DataDirIdentity
    /// Whether the data dir already had this node's identity when the node was assembled.
    let identityOutcome: DataDirIdentity.Outcome

    /// Checks the data dir's identity, reads the admin token, opens the Raft storage (refusing a founder
    /// that lost its log), and builds the
    /// transport, state machine, Raft node and both servers. Throws `ConfigError`s for what an operator
    /// must fix (wrong data dir, unreadable token, storage locked by another process).
    init(config: NodeConfig, logger: Logger, metrics: NodeMetrics = NodeMetrics()) throws {
        self.config = config
        self.logger = logger
        self.metrics = metrics
        identity = DataDirIdentity(clusterID: config.clusterID, nodeID: config.id)
        identityOutcome = try identity.verify(in: config.dataDir)
        let tokenHash = try AdminTokenHash.load(from: config.adminTokenFile)
        do {
            storage = try DiskStorage(directory: config.raftDirectory, onSync: { metrics.recordSync($0) })
        } catch {
            throw ConfigError("cannot open raft storage in \(config.raftDirectory): \(error)")
        }
        try Self.refuseSecondBootstrap(config: config, identityOutcome: identityOutcome, storage: storage)
        var options = PeerLinkOptions(identity: PeerIdentity(clusterID: config.clusterID, nodeID: config.id),
                                      tls: config.tls)
        options.apiAddress = "\(config.apiAddress)"
        options.peerAddress = "\(config.peerAddress)"
        transport = try GRPCPeerTransport(options: options, peers: config.peers,
                                          logger: Self.logger("pachd.peer", like: logger), metrics: metrics)
        metadata = MetadataStateMachine(extension: JobsState(), membersChanged: { [transport] in transport.applyMembers($0) })
        // The seed only spreads election timeouts apart; it need not be reproducible outside tests.
        let raftOptions = RaftNodeOptions(id: config.id, bootstrapVoters: config.bootstrapVoters,
                                          seed: UInt64.random(in: 1...UInt64.max))
        raft = RaftNode(options: raftOptions, storage: storage, stateMachine: metadata, transport: transport,
                        logger: Self.logger("raft", like: logger))
        chunks = try Self.makeChunks(config: config, options: options, transport: transport, raft: raft,
                                     metadata: metadata, logger: Self.logger("pachd.chunks", like: logger),
                                     metrics: metrics)
        let clock = WallClock()
        membership = Membership(selfID: config.id, apiAddress: options.apiAddress, peerAddress: options.peerAddress,
                                options: config.membership, raft: raft, metadata: metadata, transport: transport,
                                clock: clock, logger: Self.logger("pachd.membership", like: logger))
        context = NodeContext(config: config, raft: raft, metadata: metadata, logger: logger, clock: clock,
                              adminTokenHash: tokenHash, peers: transport, membership: membership, chunks: chunks,
                              metrics: metrics)
        let service = PeerService(identity: options.identity, transport: transport, backend: raft,
                                  version: PachdVersion.current, apiAddress: options.apiAddress,
                                  peerAddress: options.peerAddress, logger: Self.logger("pachd.peer", like: logger),
                                  membership: membership, chunkStatus: chunks)
        let chunkService = ChunkService(identity: options.identity, store: chunks.store, uploads: chunks.uploads,
                                        logger: Self.logger("pachd.chunks", like: logger), metrics: metrics)
        peerServer = NodeServers.peer(address: config.peerAddress, tls: config.tls, services: [service, chunkService])
        let apiLogger = Self.logger("pachd.api", like: logger)
        apiServer = NodeServers.api(address: config.apiAddress, tls: config.tls,
                                    services: makePublicServices(backend: context, logger: apiLogger)
                                        + [ObjectService(chunks: chunks, logger: apiLogger)],
                                    // Metrics first, so that refused calls are counted too.
                                    interceptors: [APIMetricsInterceptor(metrics: metrics)]
                                        + makeAuthInterceptors(backend: context, logger: apiLogger))
    }

    /// Opens the chunk store in the data dir (refusing a store another process holds) and builds the
    /// node's chunk layer.
    static func makeChunks(config: NodeConfig, options: PeerLinkOptions, transport: GRPCPeerTransport, raft: RaftNode,
                           metadata: MetadataStateMachine, logger: Logger, metrics: NodeMetrics) throws -> NodeChunks {
        let store: ChunkStore
        do {
            store = try ChunkStore(directory: config.chunkDirectory,
                                   options: ChunkStore.Options(reserveBytes: config.chunks.reserveBytes), logger: logger)
        } catch {
            throw ConfigError("cannot open the chunk store in \(config.chunkDirectory): \(error)")
        }
        let local = AsyncChunkStore(store: store, executor: BlockingExecutor(threads: 4, label: "pachd.chunks.io"))
        let peers = GRPCChunkPeers(local: local, options: options, transport: transport, logger: logger,
                                   metrics: metrics)
        return NodeChunks(selfID: config.id, options: config.chunks, store: local, peers: peers,
                          cpu: BlockingExecutor(threads: 2, label: "pachd.chunks.cpu"), raft: raft, metadata: metadata,
                          logger: logger, metrics: metrics)
    }

    /// Writes the data dir's identity files if they are new; call once Raft has started (and so has
    /// written its founding state, for a founder).
    func recordIdentityIfNew() throws(ConfigError) {
        guard identityOutcome == .new else { return }
        try identity.record(in: config.dataDir)
        logger.info("new data dir", metadata: ["node.data_dir": "\(config.dataDir)"])
    }

    /// A founder whose data dir has its identity but an empty Raft log lost its state (a deleted `raft/`
    /// directory, a restored backup of the wrong files). Bootstrapping again would let it vote a second
    /// time in a term it already voted in, which can elect two leaders: refuse, and say how to recover.
    static func refuseSecondBootstrap(config: NodeConfig, identityOutcome: DataDirIdentity.Outcome,
                                      storage: DiskStorage) throws(ConfigError) {
        guard identityOutcome == .matched, !config.join else { return }
        let isEmpty: Bool
        do { isEmpty = try storage.load().isEmpty } catch {
            throw ConfigError("cannot read raft storage in \(config.raftDirectory): \(error)")
        }
        guard isEmpty else { return }
        throw ConfigError("data dir \(config.dataDir) belongs to node \(config.id) but its raft log is empty: the node "
            + "lost its state and must not bootstrap again; remove it from the cluster and add it back with --join")
    }

    /// A logger with another label and the same level and metadata.
    static func logger(_ label: String, like base: Logger) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = base.logLevel
        for (key, value) in base.handler.metadata { logger[metadataKey: key] = value }
        return logger
    }
}
