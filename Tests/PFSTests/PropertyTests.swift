import Testing
@testable import PFS

@Suite struct PropertyTests {
    static let seeds: [UInt64] = Array(1...24)
    static let steps = 400

    /// After every command of a random sequence the invariants hold, a refusal changes nothing, and
    /// commands, answers and the state survive their encodings unchanged.
    @Test(arguments: seeds)
    func randomCommandsKeepInvariants(seed: UInt64) throws {
        var commands = RandomCommands(seed: seed)
        var state = MetadataState()
        var successes: [String: Int] = [:]
        for step in 0..<Self.steps {
            let command = commands.next()
            let before = state
            let result = state.apply(command)
            if case .failed = result {
                #expect(state == before, "replay with seed \(seed): step \(step) \(command) was refused but changed the state")
            } else {
                successes[command.kind, default: 0] += 1
            }
            if let violation = state.invariantViolation() {
                Issue.record("replay with seed \(seed): step \(step) \(command) broke an invariant: \(violation)")
                return
            }
            #expect(try MetadataCommand(decoding: command.encoded) == command)
            #expect(try MetadataResult(decoding: result.encoded) == result)
            if step % 50 == 49 { #expect(try MetadataState(decoding: state.encoded()) == state, "seed \(seed)") }
        }
        // The generator must reach the interesting paths, not only refusals.
        for kind in ["createRepo", "startCommit", "finishCommit", "createBranch", "deleteCommit"] {
            #expect(successes[kind, default: 0] > 0, "seed \(seed): no \(kind) succeeded")
        }
    }

    /// The checker itself: each kind of corruption is reported.
    @Test func invariantCheckerCatchesCorruption() throws {
        var fixture = Fixture()
        fixture.createRepo("a")
        fixture.createRepo("b")
        let first = fixture.commit("a")
        let second = fixture.start("a").id
        fixture.makeBranch("b", "master")
        fixture.makeBranch("b", "dev", provenance: [key("b", "master")])
        let good = fixture.state
        #expect(good.invariantViolation() == nil)

        var corruptions: [(String, (inout MetadataState) -> Void)] = [
            ("missing head", { $0.branches[key("a", "master")]!.head = cid(999) }),
            ("from repo", { $0.branches[key("b", "master")]!.head = first }),
            ("missing from its parent", { $0.commits[first]!.children = [] }),
            ("lists child", { $0.commits[first]!.children.insert(cid(5)) }),
            ("not the head of its branch", { $0.branches[key("a", "master")]!.head = first }),
            ("open commit", { $0.commits[first]!.finishedAtNanos = nil }),
            ("provenance cycle", { $0.branches[key("b", "master")]!.provenance = [key("b", "dev")] }),
            ("itself or missing", { $0.branches[key("b", "master")]!.provenance = [key("b", "nope")] }),
            ("missing repo", { $0.repos[repo("b")] = nil }),
            ("reuses sequence", { $0.commits[second]!.sequence = $0.commits[first]!.sequence }),
            ("older than its parent", { state in
                let (a, b) = (state.commits[first]!.sequence, state.commits[second]!.sequence)
                state.commits[first]!.sequence = b
                state.commits[second]!.sequence = a
            }),
            ("provenance", { $0.commits[second]!.provenance = [CommitProvenance(branch: key("b", "master"), commit: first)] }),
        ]
        corruptions.append(("finished at", { $0.commits[first]!.finishedAtNanos = 0 }))
        for (expected, corrupt) in corruptions {
            var state = good
            corrupt(&state)
            let violation = state.invariantViolation()
            #expect(violation?.contains(expected) == true, "expected '\(expected)', got \(violation ?? "nil")")
        }
    }
}
