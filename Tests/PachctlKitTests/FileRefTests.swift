import Testing
@testable import PachctlKit

/// `REPO@REF:/PATH` as users type it: split on the first ':', the commit part checked as `CommitRef`
/// does, the path passed on (with a leading `/` added when missing, as the server would).
struct FileRefTests {
    @Test(arguments: [
        ("images@master:/cats/1.png", "images", "master", "/cats/1.png"),
        ("images@master", "images", "master", nil),
        ("images@master:/", "images", "master", "/"),
        ("images@master:cats/1.png", "images", "master", "/cats/1.png"),
        ("images@master:relative", "images", "master", "/relative"),
        ("images@master:/cats/", "images", "master", "/cats/"),
        ("images@master:/my photos/a b.png", "images", "master", "/my photos/a b.png"),
        // Only the first ':' splits: later ones, and '@', belong to the path.
        ("images@master:/a:b@c", "images", "master", "/a:b@c"),
        ("images@master^2:/cats", "images", "master^2", "/cats"),
        ("images@0123456789abcdef0123456789abcdef~3:/x", "images", "0123456789abcdef0123456789abcdef~3", "/x"),
        ("images@master:/cats/**.txt", "images", "master", "/cats/**.txt"),
    ] as [(String, String, String, String?)])
    func accepts(text: String, repo: String, ref: String, path: String?) throws {
        #expect(try FileRef.parse(text) == FileRef(repo: repo, ref: ref, path: path))
    }

    @Test(arguments: [
        ("images@master:", "'images@master:' has nothing after ':': write REPO@REF:/PATH, or drop the ':'"),
        ("images", "'images' names no commit: write REPO@BRANCH:/PATH (e.g. images@master:/cats/1.png)"),
        ("images:/cats", "'images:/cats' names no commit: write REPO@BRANCH:/PATH (e.g. images@master:/cats/1.png)"),
        ("-", "'-' names no commit: write REPO@BRANCH:/PATH (e.g. images@master:/cats/1.png)"),
        ("", "'' names no commit: write REPO@BRANCH:/PATH (e.g. images@master:/cats/1.png)"),
        // The commit part is checked by `CommitRef`, so its message names that part.
        ("repo@", "'repo@' has nothing after '@': write REPO@BRANCH or REPO@COMMIT"),
        ("repo@:/x", "'repo@' has nothing after '@': write REPO@BRANCH or REPO@COMMIT"),
        ("@master", "'@master' has no repo before '@': write REPO@BRANCH or REPO@COMMIT"),
        ("@master:/x", "'@master' has no repo before '@': write REPO@BRANCH or REPO@COMMIT"),
        ("repo@a@b:/x", "'repo@a@b' has more than one '@': write REPO@BRANCH or REPO@COMMIT"),
        ("repo@mas ter:/x", "'repo@mas ter' contains a space, which no branch or commit can: write REPO@BRANCH or REPO@COMMIT"),
        ("repo@a/b:/x", "'repo@a/b' contains '/', which no branch or commit can: write REPO@BRANCH or REPO@COMMIT"),
        ("my repo@master:/x", "'my repo@master' contains a space in the repo name: repo names are letters, digits, '_' and '-'"),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: PachctlError.usage(message)) { try FileRef.parse(text) }
    }

    @Test func aColonInTheRepoNameIsRejected() {
        // The first ':' ends the commit part, so "re" is read as the commit part: still an error.
        #expect(throws: PachctlError.self) { try FileRef.parse("re:po@master:/x") }
    }

    @Test(arguments: [
        ("images@master:/x", "images", "master", "/x"),
        ("images@0123456789abcdef0123456789abcdef", "images", "0123456789abcdef0123456789abcdef", nil),
    ] as [(String, String, String, String?)])
    func targetAccepts(text: String, repo: String, ref: String, path: String?) throws {
        #expect(try FileRef.parseTarget(text) == FileRef(repo: repo, ref: ref, path: path))
    }

    @Test(arguments: ["images@master^:/x", "images@master~2", "images@master^2:/x"])
    func targetRejectsAncestry(text: String) {
        #expect(throws: PachctlError.usage(
            "'\(text)': files are written to a branch or an open commit, not to an ancestor (drop the '^'/'~' part)"
        )) { try FileRef.parseTarget(text) }
    }

    @Test func targetChecksSyntaxFirst() {
        #expect(throws: PachctlError.usage("'images@' has nothing after '@': write REPO@BRANCH or REPO@COMMIT")) {
            try FileRef.parseTarget("images@:/x")
        }
    }

    @Test(arguments: ["images@master", "images@master:/", "images@master^:/my photos/a b.png", "images@dev:/cats/"])
    func descriptionRoundTrips(text: String) throws {
        let file = try FileRef.parse(text)
        #expect(file.description == text)
        #expect(try FileRef.parse(file.description) == file)
    }

    @Test func descriptionShowsTheAddedSlash() throws {
        #expect(try FileRef.parse("images@master:cats").description == "images@master:/cats")
    }

    @Test func pathOrRootDefaultsToRoot() {
        #expect(FileRef(repo: "images", ref: "master", path: nil).pathOrRoot == "/")
        #expect(FileRef(repo: "images", ref: "master", path: "/cats").pathOrRoot == "/cats")
    }
}
