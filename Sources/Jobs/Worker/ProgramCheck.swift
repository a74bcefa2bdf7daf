#if canImport(Glibc)
import Glibc
#endif

/// Whether a spec's programs exist where its code will run: the host's `/usr` (the sandbox shows it
/// read-only) or the spec's `image` folder. Checked when a pipeline is created, so a typo in `cmd` is
/// refused at once, naming the field, instead of failing every datum of every job.
public enum ProgramCheck {
    /// The PATH a run gets when its spec sets none (as the runtimes do).
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// What is wrong with `spec`'s `cmd`, `err_cmd` or `image`; nil when the programs are there.
    public static func problem(with spec: PipelineSpec) -> String? {
        let transform = spec.transform
        var root = ""
        if let image = transform.image {
            var info = stat()
            guard stat(image, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                return "transform.image: \(image) is not a folder"
            }
            root = image.hasSuffix("/") ? String(image.dropLast()) : image
        }
        let path = transform.env["PATH"] ?? defaultPath
        for (field, cmd) in [("transform.cmd", transform.cmd), ("transform.err_cmd", transform.errCmd ?? [])] {
            guard let program = cmd.first else { continue }
            if program.contains("/") {
                guard executable(root + program) else {
                    return "\(field)[0]: \(program) is not an executable file\(root.isEmpty ? "" : " in the image \(root)")"
                }
            } else {
                let folders = path.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
                guard folders.contains(where: { executable("\(root)\($0)/\(program)") }) else {
                    return "\(field)[0]: \(program) is not found in PATH \(path)\(root.isEmpty ? "" : " in the image \(root)")"
                }
            }
        }
        return nil
    }

    /// A regular file someone may execute (links followed, as exec does).
    static func executable(_ file: String) -> Bool {
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return info.st_mode & 0o111 != 0
    }
}
