import Testing
@testable import PFS

@Suite struct RefTests {
    static let idText = "0123456789abcdef0123456789abcdef"

    @Test(arguments: [
        ("images@master", Ref.Target.branch(branch("master")), UInt32(0)),
        ("images@master^", .branch(branch("master")), 1),
        ("images@master^^", .branch(branch("master")), 2),
        ("images@master^3", .branch(branch("master")), 3),
        ("images@master~2", .branch(branch("master")), 2),
        ("images@master~", .branch(branch("master")), 1),
        ("images@master^2^~3", .branch(branch("master")), 6),
        ("images@master^0", .branch(branch("master")), 0),
        ("images@\(idText)", .commit(try! CommitID(idText)), 0),
        ("images@\(idText)^", .commit(try! CommitID(idText)), 1),
        ("images@\(idText)^4", .commit(try! CommitID(idText)), 4),
        ("a-b_c@feature-1^1", .branch(branch("feature-1")), 1),
        ("images@master^4294967295", .branch(branch("master")), UInt32.max),
    ])
    func validRefs(text: String, target: Ref.Target, ancestry: UInt32) throws {
        let parsed = try Ref(parsing: text)
        #expect(parsed.target == target)
        #expect(parsed.ancestry == ancestry)
        // The canonical text parses back to the same ref.
        #expect(try Ref(parsing: parsed.description) == parsed)
    }

    @Test(arguments: [
        ("", "empty"),
        ("repo@", "after '@' is missing"),
        ("@x", "repo name before '@' is missing"),
        ("@", "repo name before '@' is missing"),
        ("repo@a:b:c", "':'"),
        ("repo@master:/file", "':'"),
        ("repo", "'@' is missing"),
        ("a@b@c", "more than one '@'"),
        ("re po@master", "repo name 're po' is invalid"),
        ("repo.x@master", "repo name 'repo.x' is invalid"),
        ("repo@bad.name", "branch or commit 'bad.name' is invalid"),
        ("repo@a/b", "branch or commit 'a/b' is invalid"),
        ("repo@0123456789ABCDEF0123456789abcdef", "commit id"),
        ("repo@^", "after '@' is missing"),
        ("repo@^2", "after '@' is missing"),
        ("repo@master^x", "ancestry suffix"),
        ("repo@master^-1", "ancestry suffix"),
        ("repo@master^4294967296", "ancestry suffix"),
        ("repo@master^4294967295^", "ancestry suffix"),
    ])
    func malformedRefs(text: String, why: String) {
        #expect {
            try Ref(parsing: text)
        } throws: { error in
            guard case PFSError.invalidRef(text, let reason) = error else { return false }
            return reason.contains(why)
        }
    }

    @Test func errorMessagesNameTheRefAndTheFix() throws {
        let message = PFSError.invalidRef(text: "repo@", why: "the branch or commit after '@' is missing").description
        #expect(message == "invalid ref 'repo@': the branch or commit after '@' is missing")
    }
}
