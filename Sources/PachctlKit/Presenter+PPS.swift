import PachAPI

// Pipelines, jobs, datums and logs (pps.proto).
extension Presenter {
    // MARK: Pipelines

    /// `list pipeline`: NAME, VERSION, INPUT, STATE, LAST JOB, CREATED.
    public func pipelines(_ pipelines: [Pps_PipelineInfo]) -> String {
        if format == .json { return Self.jsonLines(pipelines.map(Self.json(pipeline:))) }
        var table = TextTable(headers: ["NAME", "VERSION", "INPUT", "STATE", "LAST JOB", "CREATED"])
        for pipeline in pipelines {
            table.append([
                pipeline.name, String(pipeline.version), Self.dash(pipeline.inputs.joined(separator: " ⨯ ")),
                pipeline.state, Self.dash(pipeline.lastJobState),
                HumanFormat.age(unixNanos: pipeline.createdAtNanos, nowUnixNanos: nowUnixNanos),
            ])
        }
        return table.render()
    }

    /// `inspect pipeline`: the fields, then the canonical spec.
    public func pipeline(_ pipeline: Pps_PipelineInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(pipeline: pipeline)]) }
        var list = DetailList()
        list.append("Name", pipeline.name)
        list.append("Description", Self.dash(pipeline.description_p))
        list.append("Version", String(pipeline.version))
        list.append("State", pipeline.state)
        list.append("Created", ageWithTime(pipeline.createdAtNanos))
        list.append("Inputs", Self.dash(pipeline.inputs.joined(separator: ", ")))
        list.append("Output", "\(pipeline.name)@\(pipeline.outputBranch)")
        list.append("Last job", pipeline.lastJobID.isEmpty ? "-" : "\(pipeline.lastJobID) (\(pipeline.lastJobState))")
        return list.render() + "Spec:\n" + pipeline.specJson + "\n"
    }

    public static func json(pipeline: Pps_PipelineInfo) -> JSONValue {
        .object([
            JSONField("name", .string(pipeline.name)),
            JSONField("version", .uint(pipeline.version)),
            JSONField("state", .string(pipeline.state)),
            JSONField("description", .string(pipeline.description_p)),
            JSONField("created", jsonTime(pipeline.createdAtNanos)),
            JSONField("inputs", .array(pipeline.inputs.map(JSONValue.string))),
            JSONField("output_branch", .string(pipeline.outputBranch)),
            JSONField("last_job_id", .optionalString(pipeline.lastJobID)),
            JSONField("last_job_state", .optionalString(pipeline.lastJobState)),
            JSONField("spec", .string(pipeline.specJson)),
        ])
    }

    // MARK: Jobs

    /// `processed + skipped / total`, and the failures when there are some.
    public static func progress(_ job: Pps_JobInfo) -> String {
        let text = "\(job.datumsProcessed) + \(job.datumsSkipped) / \(job.datumsTotal)"
        return job.datumsFailed > 0 ? text + ", \(job.datumsFailed) failed" : text
    }

    /// `list job`: ID, PIPELINE, STARTED, DURATION, PROGRESS, STATE.
    public func jobs(_ jobs: [Pps_JobInfo]) -> String {
        if format == .json { return Self.jsonLines(jobs.map(Self.json(job:))) }
        var table = TextTable(headers: ["ID", "PIPELINE", "STARTED", "DURATION", "PROGRESS", "STATE"])
        for job in jobs {
            table.append([
                job.id, job.pipeline, HumanFormat.age(unixNanos: job.createdAtNanos, nowUnixNanos: nowUnixNanos),
                HumanFormat.commitDuration(startedUnixNanos: job.createdAtNanos, finishedUnixNanos: job.finishedAtNanos),
                Self.progress(job), job.state,
            ])
        }
        return table.render()
    }

    /// `inspect job` / `wait job`.
    public func job(_ job: Pps_JobInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(job: job)]) }
        var list = DetailList()
        list.append("ID", job.id)
        list.append("Pipeline", "\(job.pipeline) (version \(job.pipelineVersion))")
        list.append("State", job.reason.isEmpty ? job.state : "\(job.state): \(job.reason)")
        list.append("Started", ageWithTime(job.createdAtNanos))
        list.append("Duration", HumanFormat.commitDuration(startedUnixNanos: job.createdAtNanos,
                                                           finishedUnixNanos: job.finishedAtNanos))
        list.append("Datums", Self.progress(job) + " (processed + skipped / total)")
        list.append("Batches", "\(job.batchesDone) / \(job.batchesTotal) done")
        let read = job.localBytes + job.remoteBytes
        list.append("Input read", read == 0 ? "-" : "\(HumanFormat.size(job.localBytes)) local, "
            + "\(HumanFormat.size(job.remoteBytes)) from peers (\(job.localBytes * 100 / read)% local)")
        for input in job.inputs {
            list.append("Input \(input.name)", "\(input.repo)@\(input.commitID) (branch \(input.branch))")
        }
        list.append("Output commit", "\(job.pipeline)@\(job.outputCommitID)")
        if job.state == "success" { list.append("Output size", HumanFormat.size(job.outputSizeBytes)) }
        return list.render()
    }

    public static func json(job: Pps_JobInfo) -> JSONValue {
        .object([
            JSONField("id", .string(job.id)),
            JSONField("pipeline", .string(job.pipeline)),
            JSONField("pipeline_version", .uint(job.pipelineVersion)),
            JSONField("state", .string(job.state)),
            JSONField("reason", .optionalString(job.reason)),
            JSONField("created", jsonTime(job.createdAtNanos)),
            JSONField("finished", jsonTime(job.finishedAtNanos)),
            JSONField("datums_total", .uint(job.datumsTotal)),
            JSONField("datums_processed", .uint(job.datumsProcessed)),
            JSONField("datums_skipped", .uint(job.datumsSkipped)),
            JSONField("datums_failed", .uint(job.datumsFailed)),
            JSONField("batches_total", .uint(job.batchesTotal)),
            JSONField("batches_done", .uint(job.batchesDone)),
            JSONField("local_bytes", .uint(job.localBytes)),
            JSONField("remote_bytes", .uint(job.remoteBytes)),
            JSONField("inputs", .array(job.inputs.map { input in
                .object([JSONField("name", .string(input.name)), JSONField("repo", .string(input.repo)),
                         JSONField("branch", .string(input.branch)), JSONField("commit", .string(input.commitID))])
            })),
            JSONField("output_commit", .string(job.outputCommitID)),
            JSONField("output_size_bytes", .uint(job.outputSizeBytes)),
        ])
    }

    // MARK: Datums

    /// `list datum`: ID, STATE, PATHS, NODE, LOCAL (input bytes on its node, of all), TIME (and REASON
    /// when a datum failed).
    public func datums(_ datums: [Pps_DatumInfo]) -> String {
        if format == .json { return Self.jsonLines(datums.map(Self.json(datum:))) }
        let reasons = datums.contains { !$0.reason.isEmpty }
        var table = TextTable(headers: ["ID", "STATE", "PATHS", "NODE", "LOCAL", "TIME"] + (reasons ? ["REASON"] : []))
        for datum in datums {
            let time = datum.state == "success" || datum.state == "failed"
                ? HumanFormat.duration(nanos: Int64(clamping: datum.durationMillis) * 1_000_000) : "-"
            let read = datum.localBytes + datum.remoteBytes
            let local = read == 0 ? "-" : "\(HumanFormat.size(datum.localBytes)) of \(HumanFormat.size(read))"
            table.append([String(datum.id.prefix(12)), datum.state, datum.paths.joined(separator: ", "),
                          datum.node == 0 ? "-" : String(datum.node), local, time] + (reasons ? [Self.dash(datum.reason)] : []))
        }
        return table.render()
    }

    public static func json(datum: Pps_DatumInfo) -> JSONValue {
        .object([
            JSONField("id", .string(datum.id)),
            JSONField("state", .string(datum.state)),
            JSONField("paths", .array(datum.paths.map(JSONValue.string))),
            JSONField("node", datum.node == 0 ? .null : .uint(datum.node)),
            JSONField("duration_ms", .uint(datum.durationMillis)),
            JSONField("attempts", .uint(UInt64(datum.attempts))),
            JSONField("local_bytes", .uint(datum.localBytes)),
            JSONField("remote_bytes", .uint(datum.remoteBytes)),
            JSONField("reason", .optionalString(datum.reason)),
        ])
    }

    // MARK: Logs

    /// One log message: its text as written (JSON: one document per message).
    public func log(_ message: Pps_LogMessage) -> String {
        if format == .json {
            return Self.jsonLines([.object([
                JSONField("job_id", .string(message.jobID)), JSONField("datum_id", .string(message.datumID)),
                JSONField("node", .uint(message.node)), JSONField("stream", .string(message.stream)),
                JSONField("text", .string(message.text)), JSONField("truncated", .bool(message.truncated)),
            ])])
        }
        let text = message.text.hasSuffix("\n") || message.text.isEmpty ? message.text : message.text + "\n"
        return text + (message.truncated ? "[… more was written than is kept]\n" : "")
    }
}
