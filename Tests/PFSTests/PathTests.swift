import Testing
@testable import PFS

@Suite struct PathTests {
    /// Text that parses, and its normal form.
    @Test(arguments: [
        ("/", "/"),
        ("//", "/"),
        ("/a", "/a"),
        ("a", "/a"),
        ("a/b/", "/a/b"),
        ("/a//b///c/", "/a/b/c"),
        ("/.a/..b/...", "/.a/..b/..."),
        ("/ spaced name/x y", "/ spaced name/x y"),
        ("/é/e\u{301}", "/é/e\u{301}"),
        ("/a*b?[c]", "/a*b?[c]"),
    ])
    func validPathsNormalize(text: String, normal: String) throws {
        let parsed = try PFSPath(text)
        #expect(parsed.description == normal)
        #expect(try PFSPath(parsed.description) == parsed, "the normal form parses to itself")
    }

    /// Text that does not parse, and a word the error must contain (the rule it names).
    @Test(arguments: [
        ("", "empty"),
        ("/a/../b", "'..'"),
        ("/a/./b", "'.'"),
        ("..", "'..'"),
        ("/a\u{0}b", "NUL"),
        ("/" + String(repeating: "x", count: 256), "255"),
        ("/" + Array(repeating: String(repeating: "y", count: 200), count: 21).joined(separator: "/"), "4096"),
        (String(repeating: "/d", count: 257), "256"),
    ])
    func invalidPathsNameTheRule(text: String, word: String) {
        #expect {
            try PFSPath(text)
        } throws: { error in
            guard case PFSError.invalidArgument(let why) = error else { return false }
            return why.contains(word) && why.contains("invalid path")
        }
    }

    @Test func limitsAreInclusive() throws {
        #expect(try PFSPath("/" + String(repeating: "x", count: 255)).depth == 1)
        #expect(try PFSPath(String(repeating: "/d", count: 256)).depth == 256)
        let long = "/" + Array(repeating: String(repeating: "y", count: 255), count: 16).joined(separator: "/")
        #expect(long.utf8.count == 4096)
        #expect(try PFSPath(long).depth == 16)
        // Bytes, not characters: 128 two-byte characters are 256 bytes.
        #expect(throws: PFSError.self) { try PFSPath("/" + String(repeating: "é", count: 128)) }
    }

    @Test func componentsValidatedOneByOne() throws {
        #expect(try PFSPath(components: ["a", "b"]) == path("/a/b"))
        #expect(throws: PFSError.self) { try PFSPath(components: ["a/b"]) }
        #expect(throws: PFSError.self) { try PFSPath(components: [""]) }
        #expect(throws: PFSError.self) { try path("/a").appending("..") }
        #expect(try path("/a").appending("b") == path("/a/b"))
    }

    @Test func parentNameAndAncestry() {
        let file = path("/a/b/c")
        #expect(file.name == "c")
        #expect(file.parent == path("/a/b"))
        #expect(PFSPath.root.parent == nil && PFSPath.root.name == nil && PFSPath.root.isRoot)
        #expect(path("/a").parent == .root)
        #expect(path("/a").isAncestor(of: file))
        #expect(PFSPath.root.isAncestor(of: file))
        #expect(!file.isAncestor(of: file), "not its own ancestor")
        #expect(!path("/a/b/c/d").isAncestor(of: file))
        #expect(!path("/a/bb").isAncestor(of: path("/a/b/c")))
        #expect(!path("/a/b").isAncestor(of: path("/a/bc")), "by components, not text prefix")
    }

    /// Ordering is by components, each by bytes, so a directory sorts before its contents and its
    /// contents before a sibling whose name extends it with a byte below '/'.
    @Test func orderIsByComponentBytes() {
        let sorted = ["/", "/A", "/a", "/a/b", "/a/b/c", "/a-", "/a-/z", "/aa", "/b", "/e\u{301}", "/é"].map(path)
        #expect(sorted.shuffled().sorted() == sorted)
        for (left, right) in zip(sorted, sorted.dropFirst()) {
            #expect(left < right && !(right < left), "\(left) < \(right)")
        }
    }

    /// Canonically equivalent spellings are different names: a tree is bytes, not Unicode tables.
    @Test func namesCompareByBytes() {
        let composed = path("/é")
        let decomposed = path("/e\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(composed.hashValue != decomposed.hashValue || composed != decomposed)
    }

    @Test func errorsEscapeControlCharacters() {
        #expect {
            try PFSPath("/a\u{0}\n")
        } throws: { error in
            "\(error)".contains("\\u{0}") && !"\(error)".contains("\n")
        }
    }
}
