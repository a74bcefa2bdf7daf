import PachAPI
import Testing
@testable import PachctlKit

/// `-o json`: one compact document per object, newline-separated, with these exact snake_case field
/// names in this order. Scripts depend on them: change them only on purpose.
struct JSONOutputTests {
    let presenter = Presenter(format: .json, nowUnixNanos: Fixtures.now)

    @Test func repo() {
        #expect(
            presenter.repo(Fixtures.images)
                == #"{"name":"images","description":"Cat pictures","created":"2026-11-20T09:57:00Z","size_bytes":1258291,"branches":["dev","master"]}"#
                + "\n")
    }

    @Test func listRepoIsOneDocumentPerLine() {
        let lines = presenter.repos([Fixtures.edges, Fixtures.images]).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(
            lines.first
                == #"{"name":"edges","description":"","created":"2026-11-20T08:00:00Z","size_bytes":0,"branches":["master"]}"#)
        #expect(presenter.repos([]) == "")
    }

    @Test func finishedCommit() {
        #expect(
            presenter.commit(Fixtures.finishedCommit)
                == #"{"repo":"images","branch":"master","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","parent_id":null,"child_ids":["a1b2c3d4e5f60718293a4b5c6d7e8f90"],"state":"finished","started":"2026-11-20T08:00:00Z","finished":"2026-11-20T08:00:12.250Z","size_bytes":1258291,"root_tree_id":"abababababababababababababababababababababababababababababababab","description":"first \"batch\"","provenance":[]}"#
                + "\n")
    }

    @Test func openCommitHasNullFinishAndTree() {
        #expect(
            presenter.commit(Fixtures.openCommit)
                == #"{"repo":"images","branch":"master","id":"a1b2c3d4e5f60718293a4b5c6d7e8f90","parent_id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","child_ids":[],"state":"open","started":"2026-11-20T09:59:15Z","finished":null,"size_bytes":0,"root_tree_id":null,"description":"","provenance":[]}"#
                + "\n")
    }

    @Test func commitProvenance() {
        let json = presenter.commit(Fixtures.edgesCommit)
        #expect(json.contains(#""provenance":[{"repo":"images","branch":"master","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}]"#))
    }

    @Test func startedCommit() {
        var commit = Pfs_Commit()
        commit.repo = "images"
        commit.branch = "master"
        commit.id = Fixtures.secondID
        #expect(
            presenter.startedCommit(commit)
                == #"{"repo":"images","branch":"master","id":"a1b2c3d4e5f60718293a4b5c6d7e8f90"}"# + "\n")
    }

    @Test func branch() {
        #expect(
            presenter.branch(Fixtures.edgesMaster)
                == #"{"repo":"edges","name":"master","head_id":"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e","direct_provenance":[{"repo":"images","name":"master"}],"provenance":[{"repo":"images","name":"master"}],"subvenance":[]}"#
                + "\n")
        #expect(
            presenter.branch(Fixtures.imagesDev)
                == #"{"repo":"images","name":"dev","head_id":null,"direct_provenance":[],"provenance":[],"subvenance":[]}"#
                + "\n")
    }

    @Test func clusterStatus() {
        let json = presenter.clusterStatus(Fixtures.clusterStatus)
        #expect(json.split(separator: "\n").count == 1)
        #expect(json.hasPrefix(#"{"cluster_id":"c0ffee00c0ffee00c0ffee00c0ffee00","answered_by":2,"leader_id":1,"nodes":["#))
        #expect(
            json.contains(
                #"{"id":1,"api_address":"127.0.0.1:30651","peer_address":"127.0.0.1:30751","membership":"voter","role":"leader","term":3,"commit_index":1204,"applied_index":1204,"last_index":1204,"snapshot_index":0,"up":true,"marked_down":false,"is_leader":true,"last_contact_ms":35,"chunks":812,"chunk_raw_bytes":851443712,"chunk_stored_bytes":568400000,"error":null}"#
            ))
        #expect(json.contains(#""role":"unknown","term":2"#))
        #expect(json.contains(#""up":false,"marked_down":true,"is_leader":false,"last_contact_ms":184000,"chunks":640,"chunk_raw_bytes":671088640,"chunk_stored_bytes":448000000,"error":"unreachable: connection refused"}"#))
        #expect(json.hasSuffix(#"],"repair":{"chunks":812,"under_replicated_chunks":172,"under_replicated_bytes":180355072,"lost_chunks":0}}"# + "\n"))
    }

    @Test func version() {
        #expect(
            presenter.version(client: "0.1.0-dev", server: "0.2.0", serverAddress: "127.0.0.1:30652")
                == #"{"client_version":"0.1.0-dev","server_version":"0.2.0","server_address":"127.0.0.1:30652"}"# + "\n")
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" and \\", #""quote \" and \\""#),
        ("line\nbreak\ttab\r", #""line\nbreak\ttab\r""#),
        ("\u{01}\u{1F}", #""\u0001\u001f""#),
        ("été 🐘", "\"été 🐘\""),
    ])
    func stringEscaping(text: String, encoded: String) {
        #expect(JSONValue.string(text).encoded() == encoded)
    }

    @Test func valuesEncode() {
        let value = JSONValue.object([
            JSONField("a", .null), JSONField("b", .bool(true)), JSONField("c", .int(-3)),
            JSONField("d", .uint(UInt64.max)), JSONField("e", .array([.int(1), .string("x")])),
        ])
        #expect(value.encoded() == #"{"a":null,"b":true,"c":-3,"d":18446744073709551615,"e":[1,"x"]}"#)
    }
}
