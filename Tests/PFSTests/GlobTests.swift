import Testing
@testable import PFS

@Suite struct GlobTests {
    /// (pattern, path, matches)
    @Test(arguments: [
        ("/", "/", true),
        ("/", "/a", false),
        ("/*", "/", false),
        ("/*", "/a", true),
        ("/*", "/a/b", false),
        ("/*/*", "/a/b", true),
        ("/*/*", "/a", false),
        ("/*/*", "/a/b/c", false),
        ("/**", "/", false),
        ("/**", "/a", true),
        ("/**", "/a/b/c", true),
        ("/a/**", "/a", false),
        ("/a/**", "/a/b/c", true),
        ("/**/c", "/a/b/c", true),
        ("/**/c", "/c", false),
        ("/**c", "/c", true),
        ("/a*", "/abc", true),
        ("/a*", "/a", true),
        ("/a*", "/ba", false),
        ("/*.csv", "/x.csv", true),
        ("/*.csv", "/d/x.csv", false),
        ("/?", "/a", true),
        ("/?", "/ab", false),
        ("/?", "/é", true),
        ("/??", "/e\u{301}", true),
        ("/[abc]", "/b", true),
        ("/[abc]", "/d", false),
        ("/[a-c]x", "/bx", true),
        ("/[!a-c]x", "/bx", false),
        ("/[!a-c]x", "/dx", true),
        ("/[-a]", "/-", true),
        ("/[a-]", "/-", true),
        ("/[\\]]", "/]", true),
        ("/{a,b}/c", "/b/c", true),
        ("/{a,b}/c", "/ab/c", false),
        ("/{a,{b,cd}}", "/cd", true),
        ("/x{,y}", "/x", true),
        ("/\\*", "/*", true),
        ("/\\*", "/a", false),
        ("a/b", "/a/b", true),
        ("//a//b/", "/a/b", true),
        ("/a/b", "/a/b", true),
        ("/a/b", "/a/bc", false),
    ])
    func matchesLikePachyderm(pattern: String, text: String, expected: Bool) throws {
        let glob = try Glob(pattern)
        #expect(glob.matches(path(text)) == expected, "\(pattern) on \(text)")
        #expect(ReferenceGlob.matches(glob.pattern, path(text)) == expected, "reference: \(pattern) on \(text)")
    }

    @Test(arguments: [
        ("/[abc", "unclosed '['"),
        ("/[", "unclosed '['"),
        ("/[!", "unclosed '['"),
        ("/[]", "empty character class"),
        ("/[z-a]", "runs backwards"),
        ("/[a/b]", "cannot contain '/'"),
        ("/{a,b", "unclosed '{'"),
        ("/a}", "'}' without a matching '{'"),
        ("/a\\", "escapes nothing"),
        ("/a\u{0}", "NUL"),
    ])
    func invalidPatternsSayWhy(pattern: String, word: String) {
        #expect {
            try Glob(pattern)
        } throws: { error in
            guard case PFSError.invalidArgument(let why) = error else { return false }
            return why.contains(word) && why.contains("glob pattern")
        }
    }

    @Test func braceExpansionIsBounded() {
        #expect(throws: PFSError.self) { try Glob(String(repeating: "{a,b}", count: 11)) }
        #expect(throws: Never.self) { try Glob(String(repeating: "{a,b}", count: 10)) }
    }

    /// Pruning: a directory is entered only when something below it may match.
    @Test(arguments: [
        ("/*", "/", true),
        ("/*", "/a", false),
        ("/", "/", false),
        ("/a/*", "/a", true),
        ("/a/*", "/b", false),
        ("/a/*", "/a/b", false),
        ("/**", "/x/y", true),
        ("/*/b", "/x", true),
        ("/*/b", "/x/y", false),
        ("/{a,b}/c", "/b", true),
        ("/{a,b}/c", "/c", false),
    ])
    func pruning(pattern: String, directory: String, mayMatch: Bool) throws {
        #expect(try Glob(pattern).mayMatchBelow(path(directory)) == mayMatch)
    }

    /// The automaton agrees with the naive recursive matcher on random patterns and paths, and pruning
    /// never hides a match.
    @Test(arguments: TreeSeeds.ci(16))
    func agreesWithReference(seed: UInt64) async throws {
        try await offPool { try Self.compareWithReference(seed: seed) }
    }

    static func compareWithReference(seed: UInt64) throws {
        var random = TestRandom(seed: seed)
        var matched = 0
        for _ in 0..<200 {
            let pattern = RandomGlob.pattern(&random)
            let glob = try Glob(pattern)
            for _ in 0..<20 {
                let target = RandomGlob.path(&random)
                let expected = ReferenceGlob.matches(glob.pattern, target)
                #expect(glob.matches(target) == expected, "PFS_SEED=\(seed): \(pattern) on \(target)")
                if expected {
                    matched += 1
                    var ancestor = target.parent
                    while let directory = ancestor {
                        #expect(glob.mayMatchBelow(directory), "PFS_SEED=\(seed): \(pattern) pruned \(directory) above \(target)")
                        ancestor = directory.parent
                    }
                }
            }
        }
        #expect(matched >= 50, "PFS_SEED=\(seed): only \(matched) matches; the generator should make many")
    }
}

/// Random patterns and paths over a small alphabet, so that matches are frequent.
enum RandomGlob {
    static let names = ["a", "b", "ab", "a-", "é", "e\u{301}", "c.csv"]

    static func path(_ random: inout TestRandom) -> PFSPath {
        let depth = Int.random(in: 1...4, using: &random)
        return try! PFSPath(components: (0..<depth).map { _ in names.randomElement(using: &random)! })
    }

    static func pattern(_ random: inout TestRandom) -> String {
        let depth = Int.random(in: 1...4, using: &random)
        return "/" + (0..<depth).map { _ in component(&random) }.joined(separator: "/")
    }

    static func component(_ random: inout TestRandom) -> String {
        if Int.random(in: 0..<8, using: &random) == 0 { return "**" }
        let pieces = ["a", "b", "-", "é", "e", "\u{301}", ".csv", "*", "*", "?", "[ab]", "[!a]", "[a-c]", "{a,b}", "{é,x*}", "**", "\\*"]
        let count = Int.random(in: 1...3, using: &random)
        return (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined()
    }
}

/// The naive matcher the automaton is checked against: plain recursion over the pattern's characters,
/// with braces handled by substituting each alternative into the pattern.
enum ReferenceGlob {
    static func matches(_ pattern: String, _ target: PFSPath) -> Bool {
        if target.isRoot { return pattern == "/" }
        return match(Array(pattern.unicodeScalars), Array(target.description.unicodeScalars))
    }

    static func match(_ p: [Unicode.Scalar], _ t: [Unicode.Scalar]) -> Bool {
        guard let first = p.first else { return t.isEmpty }
        switch first {
        case "\\":
            return !t.isEmpty && t[0] == p[1] && match(Array(p[2...]), Array(t[1...]))
        case "*":
            var rest = p[1...]
            let across = rest.first == "*"
            while rest.first == "*" { rest = rest.dropFirst() }
            for consumed in 0...t.count {
                if match(Array(rest), Array(t[consumed...])) { return true }
                if consumed < t.count && !across && t[consumed] == "/" { return false }
            }
            return false
        case "?":
            return !t.isEmpty && t[0] != "/" && match(Array(p[1...]), Array(t[1...]))
        case "[":
            var index = 1
            let negated = p[index] == "!"
            if negated { index += 1 }
            var members: [(Unicode.Scalar, Unicode.Scalar)] = []
            while p[index] != "]" {
                var low = p[index]
                if low == "\\" { index += 1; low = p[index] }
                index += 1
                if p[index] == "-" && p[index + 1] != "]" {
                    var high = p[index + 1]
                    index += 2
                    if high == "\\" { high = p[index]; index += 1 }
                    members.append((low, high))
                } else {
                    members.append((low, low))
                }
            }
            guard let character = t.first, character != "/" else { return false }
            let inClass = members.contains { $0.0.value <= character.value && character.value <= $0.1.value }
            return inClass != negated && match(Array(p[(index + 1)...]), Array(t[1...]))
        case "{":
            var depth = 0
            var alternatives: [[Unicode.Scalar]] = [[]]
            var index = 0
            while true {
                let scalar = p[index]
                if scalar == "\\" {
                    alternatives[alternatives.count - 1] += [p[index], p[index + 1]]
                    index += 2
                    continue
                }
                if scalar == "{" { depth += 1; if depth == 1 { index += 1; continue } }
                if scalar == "}" { depth -= 1; if depth == 0 { break } }
                if scalar == "," && depth == 1 { alternatives.append([]) } else { alternatives[alternatives.count - 1].append(scalar) }
                index += 1
            }
            let rest = Array(p[(index + 1)...])
            return alternatives.contains { match($0 + rest, t) }
        default:
            return !t.isEmpty && t[0] == first && match(Array(p[1...]), Array(t[1...]))
        }
    }
}
