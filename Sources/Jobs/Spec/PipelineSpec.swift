import PFS

/// A pipeline as its author wrote it (Pachyderm's JSON spec, the fields this system runs), validated:
/// a value of this type names valid repos and branches, parses its globs, and gives each input a
/// unique name. `PipelineSpec(json:)` reads one; `json` writes it back in canonical form.
public struct PipelineSpec: Sendable, Hashable {
    /// The pipeline's name, also the name of its output repo.
    public var name: RepoName
    public var description: String
    public var transform: Transform
    public var input: Input
    /// How many datums run at once across the cluster (`parallelism_spec.constant`).
    public var parallelism: Int
    /// Attempts per datum before the job fails (`datum_tries`, default 3).
    public var datumTries: Int
    /// A datum still running after this is killed and counts as a failed try (nil: no limit).
    public var datumTimeout: Duration?
    /// A job still running after this is stopped and fails (nil: no limit).
    public var jobTimeout: Duration?
    /// The branch of the output repo that jobs commit to (default master).
    public var outputBranch: BranchName

    /// What runs for each datum.
    public struct Transform: Sendable, Hashable {
        /// The program and its arguments (argv); never empty.
        public var cmd: [String]
        /// Lines written to the program's standard input, each followed by a newline.
        public var stdin: [String]
        /// Extra environment variables, by name.
        public var env: [String: String]
        /// The root file system to run in (a directory for the bwrap runtime, an image for docker); nil: the
        /// node's own, read-only.
        public var image: String?
        /// Exit codes besides 0 that count as success.
        public var acceptReturnCodes: [Int]
        /// Run after a datum failed for good (its exit code not accepted after every try); nil: none.
        public var errCmd: [String]?

        public init(cmd: [String], stdin: [String] = [], env: [String: String] = [:], image: String? = nil,
                    acceptReturnCodes: [Int] = [], errCmd: [String]? = nil) {
            self.cmd = cmd
            self.stdin = stdin
            self.env = env
            self.image = image
            self.acceptReturnCodes = acceptReturnCodes
            self.errCmd = errCmd
        }
    }

    /// Where datums come from: one repo's files cut by a glob, or combinations of inputs.
    public indirect enum Input: Sendable, Hashable {
        case pfs(PFSInput)
        /// Every combination of one datum from each input (cartesian product).
        case cross([Input])
        /// The datums of each input, one after the other.
        case union([Input])

        /// Every `pfs` input, depth first, in the order written.
        public var leaves: [PFSInput] {
            switch self {
            case .pfs(let input): return [input]
            case .cross(let inputs), .union(let inputs): return inputs.flatMap(\.leaves)
            }
        }
    }

    /// One repo's branch, cut into datums by a glob.
    public struct PFSInput: Sendable, Hashable {
        /// The name the datum's files appear under (`/pfs/<name>`) and its environment variable; default:
        /// the repo's name.
        public var name: String
        public var repo: RepoName
        public var branch: BranchName
        public var glob: Glob

        public init(name: String, repo: RepoName, branch: BranchName = .master, glob: Glob) {
            self.name = name
            self.repo = repo
            self.branch = branch
            self.glob = glob
        }
    }

    public init(name: RepoName, description: String = "", transform: Transform, input: Input, parallelism: Int = 1,
                datumTries: Int = 3, datumTimeout: Duration? = nil, jobTimeout: Duration? = nil,
                outputBranch: BranchName = .master) {
        self.name = name
        self.description = description
        self.transform = transform
        self.input = input
        self.parallelism = parallelism
        self.datumTries = datumTries
        self.datumTimeout = datumTimeout
        self.jobTimeout = jobTimeout
        self.outputBranch = outputBranch
    }
}

/// Why a pipeline spec was refused: the field (a path like `input.cross[1].pfs.glob`) and what is wrong.
public struct PipelineSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where: a dotted path with array indexes; empty for the whole document.
    public var field: String
    public var problem: String

    public init(field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "invalid pipeline spec: \(problem)" : "invalid pipeline spec: \(field): \(problem)"
    }
}
