import Jobs
import Logging

/// `--runtime`: how this node runs user code.
enum JobRuntimeChoice: String, Sendable, Equatable {
    /// bwrap where it can make its namespaces here, else a plain process (logged).
    case auto
    case bwrap
    case process

    /// The runtime to use; `bwrap` forced but unusable falls back too, saying why (a node must still
    /// run jobs, and the log says they run unisolated).
    static func choose(_ choice: JobRuntimeChoice, scratch: String, logger: Logger) async -> any ContainerRuntime {
        if choice != .process {
            let (runtime, why) = await BwrapRuntime.detect(scratch: scratch)
            if let runtime {
                logger.info("jobs run user code in bubblewrap (\(runtime.executable))")
                return runtime
            }
            logger.warning("bubblewrap cannot run here (\(why)); jobs run user code as plain processes, without isolation")
        } else {
            logger.info("jobs run user code as plain processes (--runtime process), without isolation")
        }
        return ProcessRuntime(scratch: scratch + "/process")
    }
}
