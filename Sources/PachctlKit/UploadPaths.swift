/// Where `put file` puts each local source, Pachyderm's way:
/// - one file to `REPO@BRANCH:/PATH` lands at PATH; with no path, or a path ending in `/`, at its own
///   name inside that directory;
/// - several sources go into PATH (default `/`) as a directory, each under its own name;
/// - a directory with `-r` puts its tree under PATH (default `/`); with several sources, under
///   PATH/<directory name>;
/// - standard input (`-`) needs a path.
public enum UploadPaths {
    /// The path of a single file source `name` (its last component) for a target path.
    public static func forFile(named name: String, target: String?, single: Bool) throws(PachctlError) -> String {
        guard let target else { return "/" + name }
        if target.hasSuffix("/") || !single { return join(target, name) }
        return target
    }

    /// The path of standard input: the target's path, which must be given.
    public static func forStandardInput(target: String?) throws(PachctlError) -> String {
        guard let target, target != "/", !target.hasSuffix("/") else {
            throw .usage("-f - (standard input) needs a file path: write REPO@BRANCH:/PATH")
        }
        return target
    }

    /// The base under which a directory source's files land (each at base + its relative path).
    public static func forDirectory(named name: String, target: String?, single: Bool) -> String {
        let base = target ?? "/"
        return single ? base : join(base, name)
    }

    /// `directory` + `/` + `name` with exactly one slash between.
    public static func join(_ directory: String, _ name: String) -> String {
        var base = directory
        while base.hasSuffix("/") { base.removeLast() }
        var rest = name
        while rest.hasPrefix("/") { rest.removeFirst() }
        return base + "/" + rest
    }
}
