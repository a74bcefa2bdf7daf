import PFS

extension PipelineSpec {
    /// The spec in canonical form: every field, defaults included, in a fixed order, so that equal specs
    /// have equal text (what is stored and what `inspect pipeline` shows). `PipelineSpec(json:)` of it
    /// gives back this spec.
    public var json: JSON {
        var transformFields: [(key: String, value: JSON)] = [("cmd", .array(transform.cmd.map(JSON.string)))]
        transformFields.append(("stdin", .array(transform.stdin.map(JSON.string))))
        transformFields.append(("env", .object(transform.env.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                                                 .map { ($0.key, JSON.string($0.value)) })))
        if let image = transform.image { transformFields.append(("image", .string(image))) }
        transformFields.append(("accept_return_code", .array(transform.acceptReturnCodes.map { .number(String($0)) })))
        if let errCmd = transform.errCmd { transformFields.append(("err_cmd", .array(errCmd.map(JSON.string)))) }

        var fields: [(key: String, value: JSON)] = [
            ("pipeline", .object([("name", .string(name.text))])),
            ("description", .string(description)),
            ("transform", .object(transformFields)),
            ("input", Self.json(input)),
            ("parallelism_spec", .object([("constant", .number(String(parallelism)))])),
            ("datum_tries", .number(String(datumTries))),
        ]
        if let datumTimeout { fields.append(("datum_timeout", .string(SpecDuration.format(datumTimeout)))) }
        if let jobTimeout { fields.append(("job_timeout", .string(SpecDuration.format(jobTimeout)))) }
        fields.append(("output_branch", .string(outputBranch.text)))
        return .object(fields)
    }

    /// `json` as compact text.
    public var canonicalText: String { json.text }

    private static func json(_ input: Input) -> JSON {
        switch input {
        case .pfs(let pfs):
            return .object([("pfs", .object([("name", .string(pfs.name)), ("repo", .string(pfs.repo.text)),
                                             ("branch", .string(pfs.branch.text)), ("glob", .string(pfs.glob.description))]))])
        case .cross(let inputs): return .object([("cross", .array(inputs.map(json)))])
        case .union(let inputs): return .object([("union", .array(inputs.map(json)))])
        }
    }
}
