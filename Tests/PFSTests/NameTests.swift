import Testing
@testable import PFS

@Suite struct NameTests {
    static let longest = String(repeating: "a", count: 63)

    @Test(arguments: ["a", "images", "A-b_c9", "-x", "_", longest])
    func validRepoNames(text: String) throws {
        #expect(try RepoName(text).text == text)
    }

    @Test(arguments: [
        ("", "empty"), (longest + "a", "64 characters"), ("a b", "U+20"), ("a.b", "'.'"), ("a/b", "'/'"),
        ("a@b", "'@'"), ("a^", "'^'"), ("a:b", "':'"), ("caf\u{E9}", "U+E9"), ("a\nb", "U+A"),
    ])
    func invalidRepoNames(text: String, why: String) {
        #expect {
            try RepoName(text)
        } throws: { error in
            guard case PFSError.invalidName("repo", text, let reason) = error else { return false }
            return reason.contains(why)
        }
    }

    @Test(arguments: ["master", "feature-1", "v1_2", "0123456789abcdef0123456789abcde", longest])
    func validBranchNames(text: String) throws {
        #expect(try BranchName(text).text == text)
    }

    @Test(arguments: [
        ("", "empty"), ("a/b", "'/'"), ("a.b", "'.'"), ("..", "'.'"), ("m~1", "'~'"), (longest + "b", "64"),
        ("0123456789abcdef0123456789abcdef", "commit id"), ("0123456789ABCDEF0123456789ABCDEF", "commit id"),
    ])
    func invalidBranchNames(text: String, why: String) {
        #expect {
            try BranchName(text)
        } throws: { error in
            guard case PFSError.invalidName("branch", text, let reason) = error else { return false }
            return reason.contains(why)
        }
    }

    @Test func commitIDTextRoundTrip() throws {
        let text = "0123456789abcdef00000000000000ff"
        let id = try CommitID(text)
        #expect(id.high == 0x0123_4567_89AB_CDEF && id.low == 0xFF)
        #expect(id.description == text)
        #expect(CommitID(high: 0, low: 1).description == String(repeating: "0", count: 31) + "1")
    }

    @Test(arguments: [
        "", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
        "0123456789ABCDEF0123456789abcdef", "g123456789abcdef0123456789abcdef", "0123456789abcdef-123456789abcdef",
    ])
    func invalidCommitIDs(text: String) {
        #expect(throws: PFSError.invalidName(kind: "commit id", name: text,
                                             why: "a commit id is exactly 32 lowercase hexadecimal digits")) {
            try CommitID(text)
        }
    }

    /// Sorted ids list in the same order as their text, which is how users compare them.
    @Test func commitIDOrderMatchesTextOrder() throws {
        var generator = TestRandom(seed: 7)
        let ids = (0..<200).map { _ in CommitID.random(using: &generator) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
    }

    @Test func branchKeysSortByRepoThenBranch() throws {
        let keys = [key("b", "a"), key("a", "z"), key("a", "b")]
        #expect(keys.sorted() == [key("a", "b"), key("a", "z"), key("b", "a")])
        #expect(key("images", "master").description == "images@master")
    }
}

/// SplitMix64, so tests replay from a seed without depending on another module's generator.
struct TestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
