import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension IntegrationTests {
    /// `pachctl mount` against real nodes: the tree, sizes and bytes seen through FUSE are what the API
    /// says; writes need --write; a node killed under a reader is failed over, never hung on.
    @Suite("Mount", .enabled(if: MountProcess.skipReason == nil, "\(MountProcess.skipReason ?? "")"))
    struct Mount {
        @Test("the mounted tree, sizes and bytes match list file and get file; old commits by id; bad names are ENOENT; writes are EROFS")
        func treeMatchesTheAPI() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let sums = try Files.makeTree(in: cluster.root)
                try await cluster.pachctlOK(["create", "repo", "data"], via: [1])
                try await cluster.pachctlOK(["put", "file", "data@master:/in", "-r", "-f", cluster.root + "/tree"], via: [1])
                let first = try await cluster.pachctlOK(["inspect", "commit", "data@master", "-o", "json"]).jsonDocuments()[0]
                let firstID = try #require(first.string("id"))
                try await cluster.pachctlOK(["put", "file", "data@master:/in/a.txt", "-f", cluster.root + "/tree/deep/er/b.txt"], via: [2])
                let mount = try await MountProcess(cluster)

                // The tree and sizes, as `list file -r` (glob **) gives them.
                let listed = try await cluster.pachctlOK(["glob", "file", "data@master:/**", "-o", "json"]).jsonDocuments()
                let expected = Dictionary(uniqueKeysWithValues: listed.compactMap { doc -> (String, String)? in
                    guard let path = doc.string("path") else { return nil }
                    return (path, doc.string("type") == "dir" ? "d" : "f \(doc.int("size_bytes") ?? -1)")
                })
                let found = try await Shell.ok("cd '\(mount.path("/data/master"))' && find . -mindepth 1 -printf '%P %y %s\\n'", in: cluster.root)
                let seen = Dictionary(uniqueKeysWithValues: found.split(separator: "\n").map { line -> (String, String) in
                    let parts = line.split(separator: " ")
                    return ("/" + parts[0], parts[1] == "d" ? "d" : "f \(parts[2])")
                })
                #expect(seen == expected, "find through the mount vs glob file")

                // Every file's bytes, through the mount and through get file.
                for (path, sum) in sums where path != "/a.txt" {
                    #expect(try await Shell.sha256(mount.path("/data/master/in" + path), in: cluster.root) == sum, "\(path)")
                }
                let now = try await Shell.ok("cat '\(mount.path("/data/master/in/a.txt"))'", in: cluster.root)
                #expect(now == "beta\n")
                // The first commit, by id: a.txt as it was then.
                let then = try await Shell.ok("cat '\(mount.path("/data/@\(firstID)/in/a.txt"))'", in: cluster.root)
                #expect(then == "alpha\n")
                let top = try await Shell.ok("ls -a '\(mount.directory)' '\(mount.path("/data"))'", in: cluster.root)
                #expect(top.contains("data") && top.contains("master") && !top.contains("@"), "\(top)")

                // Names that are not repos, branches or commits.
                for bad in ["/nope", "/data/no-such-branch", "/data/bad.name", "/data/@0123", "/Bad Repo", "/data/master/in/missing"] {
                    let (status, output) = try await Shell.run("stat '\(mount.path(bad))'", in: cluster.root)
                    #expect(status != 0 && output.contains("No such file or directory"), "\(bad): \(output)")
                }
                // Read-only without --write.
                for write in ["echo x > '\(mount.path("/data/master/new"))'", "rm '\(mount.path("/data/master/in/a.txt"))'",
                              "mkdir '\(mount.path("/data/master/d"))'"] {
                    let (status, output) = try await Shell.run(write, in: cluster.root)
                    #expect(status != 0 && output.contains("Read-only file system"), "\(write): \(output)")
                }
                let commits = try await cluster.pachctlOK(["list", "commit", "data", "-o", "json"]).jsonDocuments()
                #expect(commits.count == 2, "nothing was written")

                // 16 readers at once, each of the whole 5 MiB file.
                let big = mount.path("/data/master/in/payload-7")
                let many = try await Shell.ok("for i in $(seq 16); do openssl dgst -sha256 -r '\(big)' & done; wait", in: cluster.root)
                let digests = many.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
                #expect(digests.count == 16 && Set(digests) == [sums["/payload-7"]!], "\(many)")

                #expect(try await mount.unmount() == 0, "the mount process exits cleanly")
                #expect(!MountProcess.isMounted(mount.directory))
            }
        }

        @Test("a 1 GiB file reads back identical in order and at random offsets")
        func largeFile() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let local = cluster.root + "/gib"
                try await Shell.ok("head -c 1073741824 /dev/urandom > '\(local)'", in: cluster.root)
                let sum = try await Shell.sha256(local, in: cluster.root)
                try await cluster.pachctlOK(["create", "repo", "big"], via: [1])
                let put = try await cluster.pachctl(["put", "file", "big@master:/gib", "-f", local], via: [1], timeout: .seconds(600))
                #expect(put.succeeded, "\(put)")
                let mount = try await MountProcess(cluster)
                let inside = mount.path("/big/master/gib")
                #expect(try await Shell.sha256(inside, in: cluster.root) == sum)
                // Random offsets (4 KiB-aligned and not), 64 KiB each, against the local copy.
                var generator = SystemRandomNumberGenerator()
                var commands: [String] = []
                for _ in 0..<24 {
                    let offset = UInt64.random(in: 0..<(1 << 30) - 65_536, using: &generator)
                    commands.append("cmp <(tail -c +\(offset + 1) '\(inside)' | head -c 65536) <(tail -c +\(offset + 1) '\(local)' | head -c 65536)")
                }
                try await Shell.ok(commands.joined(separator: " && "), in: cluster.root)
                // The last bytes, and a read past the end.
                try await Shell.ok("cmp <(tail -c 1000 '\(inside)') <(tail -c 1000 '\(local)')", in: cluster.root)
                #expect(try await mount.unmount() == 0)
            }
        }

        @Test("with --write, a file written under a branch lands in a new commit; rm deletes; mkdir then a file in it")
        func writes() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "notes"], via: [1])
                let seed = cluster.root + "/seed.txt"
                try "seed\n".write(toFile: seed, atomically: true, encoding: .utf8)
                try await cluster.pachctlOK(["put", "file", "notes@master:/seed.txt", "-f", seed])
                let mount = try await MountProcess(cluster, arguments: ["--write", "--staleness", "200ms"])
                let master = mount.path("/notes/master")
                func commitCount() async throws -> Int {
                    try await cluster.pachctlOK(["list", "commit", "notes", "-o", "json"]).jsonDocuments().count
                }
                #expect(try await commitCount() == 1)
                try await Shell.ok("echo hello > '\(master)/hello.txt'", in: cluster.root)
                #expect(try await commitCount() == 2, "one commit for one file written by a shell redirect")
                let got = try await cluster.pachctlOK(["get", "file", "notes@master:/hello.txt"])
                #expect(got.stdout == "hello\n")
                try await Shell.ok("echo again >> '\(master)/hello.txt' && cat '\(master)/hello.txt' > '\(cluster.root)/back'", in: cluster.root)
                #expect(try String(contentsOfFile: cluster.root + "/back", encoding: .utf8) == "hello\nagain\n")
                try await Shell.ok("mkdir '\(master)/sub' && cp '\(seed)' '\(master)/sub/copy.txt' && ls '\(master)/sub'", in: cluster.root)
                let copied = try await cluster.pachctlOK(["get", "file", "notes@master:/sub/copy.txt"])
                #expect(copied.stdout == "seed\n")
                try await Shell.ok("rm '\(master)/seed.txt'", in: cluster.root)
                let files = try await cluster.pachctlOK(["list", "file", "notes@master:/", "-o", "json"]).jsonDocuments()
                #expect(files.compactMap { $0.string("path") } == ["/hello.txt", "/sub"], "\(files.map(\.fields))")
                // A pinned repo at a finished commit is read-only even with --write.
                let commit = try await cluster.pachctlOK(["inspect", "commit", "notes@master", "-o", "json"]).jsonDocuments()[0]
                let pinned = try await MountProcess(cluster, name: "pinned",
                                                    arguments: ["--write", "--commit", "notes@\(commit.string("id")!)"])
                let (status, output) = try await Shell.run("echo x > '\(pinned.path("/notes/x"))'", in: cluster.root)
                #expect(status != 0 && output.contains("Read-only file system"), "\(output)")
                #expect(try await Shell.ok("cat '\(pinned.path("/notes/hello.txt"))'", in: cluster.root) == "hello\nagain\n")
                #expect(try await pinned.unmount() == 0)
                #expect(try await mount.unmount() == 0)
            }
        }

        @Test("killing the node a mount reads through fails over to the next address; an unreachable cluster is refused")
        func failover() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let local = cluster.root + "/blob"
                try await Shell.ok("head -c 268435456 /dev/urandom > '\(local)'", in: cluster.root)
                let sum = try await Shell.sha256(local, in: cluster.root)
                try await cluster.pachctlOK(["create", "repo", "blobs"], via: [2])
                let put = try await cluster.pachctl(["put", "file", "blobs@master:/blob", "-f", local], via: [2], timeout: .seconds(300))
                #expect(put.succeeded, "\(put)")
                let mount = try await MountProcess(cluster, via: [1, 2, 3])
                // A slow reader (pv-like: dd in small blocks), so the kill lands mid-read.
                let reader = Task {
                    try await Shell.run("dd if='\(mount.path("/blobs/master/blob"))' bs=128k status=none | openssl dgst -sha256 -r",
                                        in: cluster.root, timeout: .seconds(180))
                }
                try await Task.sleep(for: .milliseconds(700))
                await cluster.kill(1)
                let (status, output) = try await reader.value
                #expect(status != nil, "the read never hangs")
                #expect(status == 0 && output.hasPrefix(sum), "read through node 2 or 3 after node 1 died: \(output)")
                // The mount keeps working through the survivors.
                #expect(try await Shell.ok("ls '\(mount.path("/blobs/master"))'", in: cluster.root) == "blob\n")
                #expect(try await mount.unmount() == 0)

                // Nothing answers: mount refuses, with a message, and mounts nothing.
                let dead = try FreePorts.take(2).map { "127.0.0.1:\($0)" }.joined(separator: ",")
                let folder = cluster.root + "/nowhere"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let refused = try await cluster.pachctl(["mount", folder, "--address", dead], timeout: .seconds(60))
                #expect(!refused.succeeded && refused.stderr.contains("cannot mount"), "\(refused)")
                #expect(!MountProcess.isMounted(folder))
            }
        }
    }
}
