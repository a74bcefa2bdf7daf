import PachAPI

// Objects (pfs.ObjectAPI).
extension Presenter {
    /// `put object`: the id alone on a line (for scripts: `id=$(pachctl put object f)`), or the JSON document.
    public func storedObject(_ info: Pfs_ObjectInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(object: info)]) }
        return info.id + "\n"
    }

    /// `inspect object`: a summary, then one row per chunk with the nodes holding it.
    public func object(_ info: Pfs_ObjectInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(object: info)]) }
        var output = "object \(info.id): \(HumanFormat.size(info.sizeBytes)) in \(info.chunks.count) chunk(s)"
        output += info.underReplicatedChunks == 0 ? "\n" : ", \(info.underReplicatedChunks) under-replicated\n"
        var table = TextTable(headers: ["#", "CHUNK", "SIZE", "NODES"])
        for (index, chunk) in info.chunks.enumerated() {
            table.append([
                String(index), String(chunk.id.prefix(16)), HumanFormat.size(chunk.sizeBytes),
                chunk.holders.isEmpty ? "none" : chunk.holders.map(String.init).joined(separator: ","),
            ])
        }
        return output + table.render()
    }

    /// The JSON document of an object.
    public static func json(object info: Pfs_ObjectInfo) -> JSONValue {
        .object([
            JSONField("id", .string(info.id)),
            JSONField("size_bytes", .uint(info.sizeBytes)),
            JSONField("under_replicated_chunks", .uint(info.underReplicatedChunks)),
            JSONField("chunks", .array(info.chunks.map { chunk in
                .object([
                    JSONField("id", .string(chunk.id)),
                    JSONField("size_bytes", .uint(chunk.sizeBytes)),
                    JSONField("holders", .array(chunk.holders.map { .uint($0) })),
                ])
            })),
        ])
    }
}
