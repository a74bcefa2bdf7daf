import PFS

extension PipelineSpec {
    /// The fields a spec may hold at the top level; anything else is refused by name.
    static let topLevelFields = ["pipeline", "description", "transform", "input", "parallelism_spec", "datum_tries",
                                 "datum_timeout", "job_timeout", "output_branch"]
    static let transformFields = ["cmd", "stdin", "env", "image", "accept_return_code", "err_cmd"]
    static let pfsFields = ["name", "repo", "branch", "glob"]

    /// Parses and validates a spec; the error names the first field that is wrong and why.
    public init(parsing text: String) throws(PipelineSpecError) {
        let json: JSON
        do {
            json = try JSON.parse(text)
        } catch {
            throw PipelineSpecError(field: "", "not valid JSON: \(error)")
        }
        try self.init(json: json)
    }

    /// Validates a parsed spec.
    public init(json: JSON) throws(PipelineSpecError) {
        var top = try Fields(json, at: "")
        var pipeline = try Fields(try top.required("pipeline"), at: "pipeline")
        let name = try Self.repoName(try pipeline.required("name"), at: "pipeline.name", kind: "pipeline")
        try pipeline.finish(known: ["name"])

        let description = try top.optional("description") { json, path throws(PipelineSpecError) in try Self.string(json, at: path) } ?? ""
        let transform = try Self.transform(try top.required("transform"))
        let input = try Self.input(try top.required("input"), at: "input")

        var parallelism = 1
        if let value = top.optional("parallelism_spec") {
            var spec = try Fields(value, at: "parallelism_spec")
            parallelism = try Self.int(try spec.required("constant"), at: "parallelism_spec.constant", in: 1...1_024)
            try spec.finish(known: ["constant"])
        }
        let tries = try top.optional("datum_tries") { json, path throws(PipelineSpecError) in try Self.int(json, at: path, in: 1...100) } ?? 3
        let datumTimeout = try top.optional("datum_timeout", Self.duration)
        let jobTimeout = try top.optional("job_timeout", Self.duration)
        let outputBranch = try top.optional("output_branch", Self.branchName) ?? .master
        try top.finish(known: Self.topLevelFields)

        self.init(name: name, description: description, transform: transform, input: input, parallelism: parallelism,
                  datumTries: tries, datumTimeout: datumTimeout, jobTimeout: jobTimeout, outputBranch: outputBranch)
        try checkInputs()
    }

    /// Rules across fields: input names unique and not `out` (each is a folder under `/pfs`, beside
    /// `/pfs/out`), and no input reads the pipeline's own output repo.
    private func checkInputs() throws(PipelineSpecError) {
        var seen = Set<String>()
        for leaf in input.leaves {
            guard seen.insert(leaf.name).inserted else {
                throw PipelineSpecError(field: "input", "two inputs are named '\(leaf.name)'; give each a unique \"name\" (it is its folder under /pfs)")
            }
            if leaf.repo == name {
                throw PipelineSpecError(field: "input", "the pipeline '\(name)' cannot read its own output repo")
            }
        }
    }

    private static func transform(_ json: JSON) throws(PipelineSpecError) -> Transform {
        var fields = try Fields(json, at: "transform")
        let cmd = try arguments(try fields.required("cmd"), at: "transform.cmd")
        let stdin = try fields.optional("stdin", strings) ?? []
        var env: [String: String] = [:]
        if let value = fields.optional("env") {
            var variables = try Fields(value, at: "transform.env")
            for key in variables.keys {
                let path = "transform.env.\(key)"
                guard !key.isEmpty, !key.contains("="), !key.utf8.contains(0) else {
                    throw PipelineSpecError(field: path, "an environment variable name must be non-empty, without '=' or NUL")
                }
                env[key] = try string(try variables.required(key), at: path)
            }
        }
        let image = try fields.optional("image", string)
        if let image, image.isEmpty { throw PipelineSpecError(field: "transform.image", "must not be empty (leave it out for none)") }
        let codes = try fields.optional("accept_return_code") { value, path throws(PipelineSpecError) -> [Int] in
            guard case .array(let items) = value else {
                throw PipelineSpecError(field: path, "expected an array of exit codes, got \(value.kind)")
            }
            var codes: [Int] = []
            for (index, item) in items.enumerated() { codes.append(try int(item, at: "\(path)[\(index)]", in: 0...255)) }
            return codes
        } ?? []
        let errCmd = try fields.optional("err_cmd", arguments)
        try fields.finish(known: transformFields)
        return Transform(cmd: cmd, stdin: stdin, env: env, image: image, acceptReturnCodes: codes, errCmd: errCmd)
    }

    private static func input(_ json: JSON, at path: String) throws(PipelineSpecError) -> Input {
        var fields = try Fields(json, at: path)
        let kinds = fields.keys
        guard kinds.count == 1, let kind = kinds.first, ["pfs", "cross", "union"].contains(kind) else {
            let unknown = kinds.filter { !["pfs", "cross", "union"].contains($0) }
            if let first = unknown.first { throw PipelineSpecError(field: "\(path).\(first)", "unknown input kind; expected one of pfs, cross, union") }
            throw PipelineSpecError(field: path, "an input is exactly one of pfs, cross, union (found \(kinds.isEmpty ? "none" : kinds.joined(separator: ", ")))")
        }
        let value = try fields.required(kind)
        let here = "\(path).\(kind)"
        switch kind {
        case "pfs":
            return .pfs(try pfs(value, at: here))
        default:
            guard case .array(let items) = value, !items.isEmpty else {
                throw PipelineSpecError(field: here, "expected a non-empty array of inputs, got \(value.kind == "an array" ? "an empty array" : value.kind)")
            }
            var inputs: [Input] = []
            for (index, item) in items.enumerated() { inputs.append(try input(item, at: "\(here)[\(index)]")) }
            return kind == "cross" ? .cross(inputs) : .union(inputs)
        }
    }

    private static func pfs(_ json: JSON, at path: String) throws(PipelineSpecError) -> PFSInput {
        var fields = try Fields(json, at: path)
        let repo = try repoName(try fields.required("repo"), at: "\(path).repo", kind: "repo")
        let name = try fields.optional("name", inputName) ?? repo.text
        if name == "out" { throw PipelineSpecError(field: "\(path).name", "'out' is taken by the output folder /pfs/out; name the input") }
        let branch = try fields.optional("branch", branchName) ?? .master
        let globText = try string(try fields.required("glob"), at: "\(path).glob")
        let glob: Glob
        do {
            glob = try Glob(globText)
        } catch {
            throw PipelineSpecError(field: "\(path).glob", "\(error)")
        }
        try fields.finish(known: pfsFields)
        return PFSInput(name: name, repo: repo, branch: branch, glob: glob)
    }

    // MARK: Values

    static func string(_ json: JSON, at path: String) throws(PipelineSpecError) -> String {
        guard case .string(let text) = json else { throw PipelineSpecError(field: path, "expected a string, got \(json.kind)") }
        guard !text.utf8.contains(0) else { throw PipelineSpecError(field: path, "must not contain NUL") }
        return text
    }

    static func strings(_ json: JSON, at path: String) throws(PipelineSpecError) -> [String] {
        guard case .array(let items) = json else { throw PipelineSpecError(field: path, "expected an array of strings, got \(json.kind)") }
        var result: [String] = []
        for (index, item) in items.enumerated() { result.append(try string(item, at: "\(path)[\(index)]")) }
        return result
    }

    /// An argv: a non-empty array of strings whose first is not empty.
    static func arguments(_ json: JSON, at path: String) throws(PipelineSpecError) -> [String] {
        let argv = try strings(json, at: path)
        guard let program = argv.first else { throw PipelineSpecError(field: path, "needs at least the program to run") }
        guard !program.isEmpty else { throw PipelineSpecError(field: "\(path)[0]", "the program must not be empty") }
        return argv
    }

    static func int(_ json: JSON, at path: String, in range: ClosedRange<Int>) throws(PipelineSpecError) -> Int {
        guard case .number(let text) = json else { throw PipelineSpecError(field: path, "expected a whole number, got \(json.kind)") }
        guard let value = Int(text) else { throw PipelineSpecError(field: path, "expected a whole number, got \(text)") }
        guard range.contains(value) else {
            throw PipelineSpecError(field: path, "must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    static func duration(_ json: JSON, at path: String) throws(PipelineSpecError) -> Duration {
        let text = try string(json, at: path)
        guard let duration = SpecDuration.parse(text), duration > .zero else {
            throw PipelineSpecError(field: path, "'\(text)' is not a positive duration (like 30s, 5m, 1h30m)")
        }
        return duration
    }

    static func repoName(_ json: JSON, at path: String, kind: String) throws(PipelineSpecError) -> RepoName {
        let text = try string(json, at: path)
        do {
            return try RepoName(text)
        } catch {
            throw PipelineSpecError(field: path, "'\(text)' is not a valid \(kind) name: \(Self.why(error))")
        }
    }

    static func branchName(_ json: JSON, at path: String) throws(PipelineSpecError) -> BranchName {
        let text = try string(json, at: path)
        do {
            return try BranchName(text)
        } catch {
            throw PipelineSpecError(field: path, "'\(text)' is not a valid branch name: \(Self.why(error))")
        }
    }

    /// An input name follows the repo name rules (it becomes a folder and an environment variable).
    static func inputName(_ json: JSON, at path: String) throws(PipelineSpecError) -> String {
        let text = try string(json, at: path)
        do {
            return try RepoName(text).text
        } catch {
            throw PipelineSpecError(field: path, "'\(text)' is not a valid input name: \(Self.why(error))")
        }
    }

    private static func why(_ error: PFSError) -> String {
        if case .invalidName(_, _, let why) = error { return why }
        return "\(error)"
    }
}

/// The members of one JSON object of a spec, taken one by one; `finish` refuses whatever was not taken,
/// naming the field and the ones that are known there.
struct Fields {
    let path: String
    private let members: [(key: String, value: JSON)]
    private var taken = Set<String>()

    init(_ json: JSON, at path: String) throws(PipelineSpecError) {
        guard case .object(let members) = json else {
            throw PipelineSpecError(field: path, "expected an object, got \(json.kind)")
        }
        self.path = path
        self.members = members
    }

    /// The field names, in the order written.
    var keys: [String] { members.map(\.key) }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`; nil when absent or null.
    mutating func optional(_ key: String) -> JSON? {
        guard let member = members.first(where: { $0.key == key }) else { return nil }
        taken.insert(key)
        if case .null = member.value { return nil }
        return member.value
    }

    /// The value of `key` read by `read` (given the value and its path); nil when absent or null.
    mutating func optional<T>(_ key: String, _ read: (JSON, String) throws(PipelineSpecError) -> T) throws(PipelineSpecError) -> T? {
        guard let value = optional(key) else { return nil }
        return try read(value, child(key))
    }

    mutating func required(_ key: String) throws(PipelineSpecError) -> JSON {
        guard let value = optional(key) else { throw PipelineSpecError(field: child(key), "is required") }
        return value
    }

    func finish(known: [String]) throws(PipelineSpecError) {
        for member in members where !taken.contains(member.key) {
            throw PipelineSpecError(field: child(member.key), "unknown field; known here: \(known.joined(separator: ", "))")
        }
    }
}
