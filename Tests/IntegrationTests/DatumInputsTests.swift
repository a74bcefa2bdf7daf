import Foundation
import Testing

extension IntegrationTests {
    /// How a datum's inputs reach its code: FUSE views where FUSE mounts (the default), local copies with
    /// `--datum-inputs copy`. The code sees the same files either way.
    @Suite("Datum inputs", .enabled(if: MountProcess.skipReason == nil, "\(MountProcess.skipReason ?? "")"))
    struct DatumInputs {
        /// What a pipeline's code saw of /pfs/in in each datum, and what kind of file system it was.
        static func seen(datumInputs: String) async throws -> (listing: String, kinds: Set<String>) {
            try await TestCluster.with(nodes: 3, extraArguments: ["--datum-inputs", datumInputs]) { cluster in
                let local = cluster.root + "/in"
                try FileManager.default.createDirectory(atPath: local + "/a/deep", withIntermediateDirectories: true)
                try FileManager.default.createDirectory(atPath: local + "/b", withIntermediateDirectories: true)
                try "one\n".write(toFile: local + "/a/one.txt", atomically: true, encoding: .utf8)
                try "two\n".write(toFile: local + "/a/deep/two.txt", atomically: true, encoding: .utf8)
                _ = try Payload.write(bytes: 3 << 20, seed: 5, in: local + "/b")
                try await cluster.pachctlOK(["create", "repo", "in"], via: [1])
                try await cluster.pachctlOK(["put", "file", "in@master:/", "-r", "-f", local], via: [1])
                let script = "d=$(basename $in); (cd /pfs/in && find . \\( -type f -printf '%p %s\\n' \\) -o -printf '%p/\\n' | sort) > out/$d.list; "
                    + "cat $(find /pfs/in -type f | sort) | openssl dgst -sha256 -r >> out/$d.list; "
                    + "stat -f -c %T /pfs/in > out/$d.kind; ls /pfs/in/../ > out/$d.pfs"
                try await PipelineBehaviour.create(cluster, PipelineBehaviour.spec("look", input: "in", glob: "/*", script: script))
                let waited = try await cluster.pachctl(["wait", "commit", "in@master"], timeout: .seconds(120))
                #expect(waited.succeeded, "\(waited)")
                var listing = ""
                var kinds: Set<String> = []
                for datum in ["a", "b"] {
                    listing += try await cluster.pachctlOK(["get", "file", "look@master:/\(datum).list"]).stdout
                    kinds.insert(try await cluster.pachctlOK(["get", "file", "look@master:/\(datum).kind"]).stdout)
                    let pfs = try await cluster.pachctlOK(["get", "file", "look@master:/\(datum).pfs"]).stdout
                    #expect(pfs.split(separator: "\n").sorted() == ["in", "out"], "only the input and out in /pfs: \(pfs)")
                }
                return (listing, kinds)
            }
        }

        @Test("FUSE views and local copies show the code the same files, only the datum's, at their paths")
        func viewsMatchCopies() async throws {
            let viewed = try await Self.seen(datumInputs: "fuse")
            let copied = try await Self.seen(datumInputs: "copy")
            #expect(viewed.listing == copied.listing, "views:\n\(viewed.listing)\ncopies:\n\(copied.listing)")
            #expect(viewed.listing.contains("./a/deep/two.txt 4\n") && !viewed.listing.contains("./b/payload-5 3145728\n./a"))
            #expect(viewed.kinds == ["fuseblk\n"] || viewed.kinds == ["fuse\n"], "\(viewed.kinds)")
            #expect(!copied.kinds.contains { $0.hasPrefix("fuse") }, "\(copied.kinds)")
        }
    }
}
