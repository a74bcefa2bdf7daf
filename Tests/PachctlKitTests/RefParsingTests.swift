import Testing
@testable import PachctlKit

/// Refs as users type them: split on the first '@', obvious mistakes rejected with a message that
/// names the argument, everything else passed to the server.
struct RefParsingTests {
    @Test(arguments: [
        ("images@master", "images", "master"),
        ("images@master^", "images", "master^"),
        ("images@master^2", "images", "master^2"),
        ("images@0123456789abcdef0123456789abcdef", "images", "0123456789abcdef0123456789abcdef"),
        ("images@0123456789abcdef0123456789abcdef~3", "images", "0123456789abcdef0123456789abcdef~3"),
        ("my_repo-2@dev", "my_repo-2", "dev"),
    ])
    func commitRefAccepts(text: String, repo: String, ref: String) throws {
        #expect(try CommitRef.parse(text) == CommitRef(repo: repo, ref: ref))
    }

    @Test(arguments: [
        ("repo@", "'repo@' has nothing after '@': write REPO@BRANCH or REPO@COMMIT"),
        ("@x", "'@x' has no repo before '@': write REPO@BRANCH or REPO@COMMIT"),
        ("repo@a:b:c", "'repo@a:b:c' contains ':', which no branch or commit can: write REPO@BRANCH or REPO@COMMIT"),
        ("repo", "'repo' names no commit: write REPO@BRANCH or REPO@COMMIT (e.g. images@master)"),
        ("", "the repo name is empty: write a name such as 'images'"),
        ("repo@a@b", "'repo@a@b' has more than one '@': write REPO@BRANCH or REPO@COMMIT"),
        ("repo@mas ter", "'repo@mas ter' contains a space, which no branch or commit can: write REPO@BRANCH or REPO@COMMIT"),
        ("repo@a/b", "'repo@a/b' contains '/', which no branch or commit can: write REPO@BRANCH or REPO@COMMIT"),
        ("re:po@master", "'re:po@master' contains ':' in the repo name: repo names are letters, digits, '_' and '-'"),
        ("re\tpo@master", "'re\tpo@master' contains a tab in the repo name: repo names are letters, digits, '_' and '-'"),
    ])
    func commitRefRejects(text: String, message: String) {
        #expect(throws: PachctlError.usage(message)) { try CommitRef.parse(text) }
    }

    @Test(arguments: [
        ("images@master", "images", "master"),
        ("a@feature-1", "a", "feature-1"),
    ])
    func branchRefAccepts(text: String, repo: String, branch: String) throws {
        #expect(try BranchRef.parse(text) == BranchRef(repo: repo, branch: branch))
    }

    @Test(arguments: [
        ("images@master^", "'images@master^' is a commit, not a branch: drop the '^'/'~' part (write REPO@BRANCH)"),
        ("images@master~2", "'images@master~2' is a commit, not a branch: drop the '^'/'~' part (write REPO@BRANCH)"),
        ("images", "'images' names no branch: write REPO@BRANCH (e.g. images@master)"),
        ("images@", "'images@' has nothing after '@': write REPO@BRANCH"),
        ("@master", "'@master' has no repo before '@': write REPO@BRANCH"),
    ])
    func branchRefRejects(text: String, message: String) {
        #expect(throws: PachctlError.usage(message)) { try BranchRef.parse(text) }
    }

    @Test(arguments: [
        ("images", "images", nil),
        ("images@master", "images", "master"),
    ] as [(String, String, String?)])
    func repoAndBranch(text: String, repo: String, branch: String?) throws {
        #expect(try RepoAndBranch.parse(text) == RepoAndBranch(repo: repo, branch: branch))
    }

    @Test func repoAndBranchRejectsAncestry() {
        #expect(throws: PachctlError.self) { try RepoAndBranch.parse("images@master^") }
        #expect(throws: PachctlError.self) { try RepoAndBranch.parse("images@") }
    }

    @Test(arguments: [
        ("master^", "master^"),
        ("images@master^", "master^"),
        ("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
    ])
    func relativeRefAccepts(text: String, ref: String) throws {
        #expect(try CommitRef.parse(text, inRepo: "images", option: "--parent") == ref)
    }

    @Test(arguments: [
        ("edges@master", "--parent 'edges@master' is in repo 'edges', not 'images': write a ref in 'images', e.g. master^"),
        ("", "--parent is empty: give a branch or commit of 'images', e.g. master^"),
    ])
    func relativeRefRejects(text: String, message: String) {
        #expect(throws: PachctlError.usage(message)) { try CommitRef.parse(text, inRepo: "images", option: "--parent") }
    }

    @Test(arguments: [
        ("images", true), ("my-repo_1", true), ("", false), ("a b", false), ("a@b", false), ("a/b", false),
    ])
    func repoNames(text: String, accepted: Bool) {
        #expect(((try? RepoName.check(text)) != nil) == accepted)
    }

    @Test(arguments: [
        ("0123456789abcdef0123456789abcdef", true),
        ("0123456789ABCDEF0123456789abcdef", false),
        ("0123456789abcdef0123456789abcde", false),
        ("master", false),
        ("0123456789abcdef0123456789abcdeg", false),
    ])
    func commitIDs(text: String, valid: Bool) {
        #expect(CommitID.isValid(text) == valid)
    }
}
