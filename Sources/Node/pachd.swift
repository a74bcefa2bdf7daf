#if canImport(Glibc)
import CLinux
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Metrics
import Prometheus

/// `pachd`: one node of the cluster. See Sources/Node/README.md for the command line.
@main
struct Pachd {
    static func main() async {
        #if canImport(Glibc)
        clinux_map_large_allocations()
        #endif
        let config: NodeConfig
        switch parseArguments() {
        case .run(let parsed): config = parsed
        case .help: print(CommandLineParser.usage); exit(0)
        case .version: print("pachd \(PachdVersion.current)"); exit(0)
        }
        let logger: Logger
        do { logger = try bootstrapLogging(config) } catch {
            fail("\(error)", status: 2)
        }
        // One registry for the node's own metrics and for anything in the process that reports through
        // swift-metrics; both appear on /metrics.
        let metrics = NodeMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        do {
            let assembly = try NodeAssembly(config: config, logger: logger, metrics: metrics)
            exit(try await NodeRuntime.run(assembly))
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            fail("\(error)", status: 1)
        }
    }

    private static func parseArguments() -> LaunchRequest {
        do { return try CommandLineParser.parse(Array(CommandLine.arguments.dropFirst())) } catch {
            fail("\(error)", status: 2)
        }
    }

    /// Every logger writes lines to the log file (or standard error) at the configured level.
    private static func bootstrapLogging(_ config: NodeConfig) throws(ConfigError) -> Logger {
        let sink = try config.logFile.map { (path) throws(ConfigError) in try LogSink(appendingTo: path) }
            ?? LogSink.standardError
        let level = config.logLevel
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, sink: sink, level: level) }
        var logger = Logger(label: "pachd")
        logger[metadataKey: "node.id"] = "\(config.id)"
        return logger
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        var standardError = FileDescriptorStream(descriptor: 2)
        print("pachd: \(message)", to: &standardError)
        exit(status)
    }
}

/// A `TextOutputStream` over a file descriptor, for messages to standard error.
struct FileDescriptorStream: TextOutputStream {
    let descriptor: Int32

    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = bytes.withUnsafeMutableBytes { buffer in
            #if canImport(Glibc)
            Glibc.write(descriptor, buffer.baseAddress, buffer.count)
            #else
            Darwin.write(descriptor, buffer.baseAddress, buffer.count)
            #endif
        }
    }
}
