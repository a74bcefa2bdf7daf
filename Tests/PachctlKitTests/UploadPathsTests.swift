import Testing
@testable import PachctlKit

/// Where `put file` puts each source, Pachyderm's way (see `UploadPaths`): a single file lands at the
/// path, several go into it as a directory, a directory's tree lands under it.
struct UploadPathsTests {
    @Test(arguments: [
        // One file: at the path; at its own name with no path or a path ending in '/'.
        ("tom.txt", "/cats/tom.txt", true, "/cats/tom.txt"),
        ("tom.txt", "/cats/renamed.txt", true, "/cats/renamed.txt"),
        ("tom.txt", nil, true, "/tom.txt"),
        ("tom.txt", "/", true, "/tom.txt"),
        ("tom.txt", "/cats/", true, "/cats/tom.txt"),
        ("tom.txt", "/cats//", true, "/cats/tom.txt"),
        ("a b.png", "/my photos/", true, "/my photos/a b.png"),
        ("a b.png", "/my photos", true, "/my photos"),
        // Several files: each under its own name inside the path, with or without a trailing '/'.
        ("tom.txt", "/cats", false, "/cats/tom.txt"),
        ("tom.txt", "/cats/", false, "/cats/tom.txt"),
        ("tom.txt", nil, false, "/tom.txt"),
        ("tom.txt", "/", false, "/tom.txt"),
    ] as [(String, String?, Bool, String)])
    func file(name: String, target: String?, single: Bool, path: String) throws {
        #expect(try UploadPaths.forFile(named: name, target: target, single: single) == path)
    }

    @Test(arguments: ["/stdin.txt", "/cats/tom.txt", "/my photos/a b.png"])
    func standardInputGoesToThePath(target: String) throws {
        #expect(try UploadPaths.forStandardInput(target: target) == target)
    }

    @Test(arguments: [nil, "/", "/cats/"] as [String?])
    func standardInputNeedsAFilePath(target: String?) {
        #expect(throws: PachctlError.usage("-f - (standard input) needs a file path: write REPO@BRANCH:/PATH")) {
            try UploadPaths.forStandardInput(target: target)
        }
    }

    @Test(arguments: [
        // One directory with -r: its tree lands directly under the path (default '/').
        ("cats", "/pets", true, "/pets"),
        ("cats", nil, true, "/"),
        ("cats", "/", true, "/"),
        // Several sources: each directory under PATH/<its name>.
        ("cats", "/pets", false, "/pets/cats"),
        ("cats", "/pets/", false, "/pets/cats"),
        ("cats", nil, false, "/cats"),
        ("my cats", "/", false, "/my cats"),
    ] as [(String, String?, Bool, String)])
    func directory(name: String, target: String?, single: Bool, base: String) {
        #expect(UploadPaths.forDirectory(named: name, target: target, single: single) == base)
    }

    @Test func directoryFilesLandUnderTheBase() {
        // The caller joins each file's path relative to the directory onto the base.
        let base = UploadPaths.forDirectory(named: "cats", target: "/pets/", single: true)
        #expect(UploadPaths.join(base, "kittens/felix.txt") == "/pets/kittens/felix.txt")
        let root = UploadPaths.forDirectory(named: "cats", target: nil, single: true)
        #expect(UploadPaths.join(root, "tom.txt") == "/tom.txt")
    }

    @Test(arguments: [
        ("/", "a", "/a"),
        ("", "a", "/a"),
        ("/cats", "tom.txt", "/cats/tom.txt"),
        ("/cats/", "tom.txt", "/cats/tom.txt"),
        ("/cats///", "///tom.txt", "/cats/tom.txt"),
        ("/cats", "kittens/felix.txt", "/cats/kittens/felix.txt"),
        ("/my photos", "a b.png", "/my photos/a b.png"),
        ("relative", "a", "relative/a"),
    ])
    func joinPutsExactlyOneSlashBetween(directory: String, name: String, path: String) {
        #expect(UploadPaths.join(directory, name) == path)
    }
}
