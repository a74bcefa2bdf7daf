import PFS
import Testing
@testable import Jobs

@Suite struct PipelineSpecTests {
    static let edges = """
        {
          "pipeline": {"name": "edges"},
          "description": "A pipeline that finds edges.",
          "transform": {
            "cmd": ["python3", "/edges.py"],
            "stdin": ["a", "b"],
            "env": {"MODE": "fast", "LEVEL": "2"},
            "image": "/images/opencv",
            "accept_return_code": [1, 2],
            "err_cmd": ["true"]
          },
          "input": {"cross": [
            {"pfs": {"repo": "images", "glob": "/*"}},
            {"union": [{"pfs": {"name": "cfg", "repo": "config", "branch": "dev", "glob": "/"}},
                       {"pfs": {"name": "cfg2", "repo": "config", "glob": "/**"}}]}
          ]},
          "parallelism_spec": {"constant": 4},
          "datum_tries": 5,
          "datum_timeout": "1m30s",
          "job_timeout": "2h",
          "output_branch": "out"
        }
        """

    @Test func readsEveryField() throws {
        let spec = try PipelineSpec(parsing: Self.edges)
        #expect(spec.name.text == "edges")
        #expect(spec.description == "A pipeline that finds edges.")
        #expect(spec.transform == .init(cmd: ["python3", "/edges.py"], stdin: ["a", "b"], env: ["MODE": "fast", "LEVEL": "2"],
                                        image: "/images/opencv", acceptReturnCodes: [1, 2], errCmd: ["true"]))
        #expect(spec.input.leaves.map(\.name) == ["images", "cfg", "cfg2"])
        #expect(spec.input.leaves.map(\.branch.text) == ["master", "dev", "master"])
        guard case .cross(let parts) = spec.input, case .union = parts[1] else {
            Issue.record("expected cross(pfs, union(...)): \(spec.input)")
            return
        }
        #expect(spec.parallelism == 4 && spec.datumTries == 5)
        #expect(spec.datumTimeout == .seconds(90) && spec.jobTimeout == .seconds(7_200))
        #expect(spec.outputBranch.text == "out")
    }

    @Test func defaultsForTheFieldsLeftOut() throws {
        let spec = try PipelineSpec(parsing: #"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"description":null}"#)
        #expect(spec == PipelineSpec(name: try RepoName("p"), transform: .init(cmd: ["cp"]),
                                     input: .pfs(.init(name: "r", repo: try RepoName("r"), glob: try Glob("/*")))))
        #expect(spec.parallelism == 1 && spec.datumTries == 3 && spec.outputBranch == .master)
        #expect(spec.datumTimeout == nil && spec.jobTimeout == nil)
    }

    @Test func canonicalFormReadsBackAndIsStable() throws {
        let spec = try PipelineSpec(parsing: Self.edges)
        let text = spec.canonicalText
        #expect(try PipelineSpec(parsing: text) == spec)
        #expect(try PipelineSpec(parsing: text).canonicalText == text)
        #expect(text.hasPrefix(#"{"pipeline":{"name":"edges"},"description":"#))
    }

    /// Each bad spec names the field that is wrong.
    @Test(arguments: [
        (#"[]"#, "", "expected an object"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"resource_requests":{}}"#,
         "resource_requests", "unknown field; known here: pipeline, description"),
        (#"{"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#, "pipeline", "is required"),
        (#"{"pipeline":{"name":"bad name"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "pipeline.name", "not a valid pipeline name"),
        (#"{"pipeline":{"name":"p","version":2},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "pipeline.version", "unknown field"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":[]},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "transform.cmd", "needs at least the program"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp", 3]},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "transform.cmd[1]", "expected a string, got a number"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"],"env":{"A":1}},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "transform.env.A", "expected a string"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"],"env":{"A=B":"1"}},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "transform.env.A=B", "without '='"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"],"accept_return_code":[256]},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "transform.accept_return_code[0]", "from 0 to 255"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"],"user":"root"},"input":{"pfs":{"repo":"r","glob":"/*"}}}"#,
         "transform.user", "unknown field; known here: cmd, stdin, env"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{}}"#, "input", "exactly one of pfs, cross, union"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"},"cross":[]}}"#,
         "input", "exactly one of pfs, cross, union (found pfs, cross)"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"git":{}}}"#, "input.git", "unknown input kind"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"cross":[]}}"#, "input.cross", "non-empty array"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"cross":[{"pfs":{"repo":"r","glob":"/["}}]}}"#,
         "input.cross[0].pfs.glob", "glob"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r"}}}"#, "input.pfs.glob", "is required"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*","lazy":true}}}"#,
         "input.pfs.lazy", "unknown field; known here: name, repo, branch, glob"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","branch":"0123456789abcdef0123456789abcdef","glob":"/*"}}}"#,
         "input.pfs.branch", "not a valid branch name"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","name":"out","glob":"/*"}}}"#,
         "input.pfs.name", "'out' is taken"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"cross":[{"pfs":{"repo":"r","glob":"/*"}},{"pfs":{"repo":"r","glob":"/"}}]}}"#,
         "input", "two inputs are named 'r'"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"p","glob":"/*"}}}"#,
         "input", "cannot read its own output repo"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"parallelism_spec":{"constant":0}}"#,
         "parallelism_spec.constant", "from 1 to 1024"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"parallelism_spec":{"coefficient":1}}"#,
         "parallelism_spec.constant", "is required"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"datum_tries":1.5}"#,
         "datum_tries", "whole number"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"datum_timeout":"soon"}"#,
         "datum_timeout", "not a positive duration"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"job_timeout":"0s"}"#,
         "job_timeout", "not a positive duration"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},"output_branch":"a/b"}"#,
         "output_branch", "not a valid branch name"),
        (#"{"pipeline":{"name":"p"},"transform":{"cmd":["cp"]},"input":{"pfs":{"repo":"r","glob":"/*"}},}"#,
         "", "not valid JSON"),
    ])
    func badSpecsNameTheField(text: String, field: String, message: String) {
        do {
            let spec = try PipelineSpec(parsing: text)
            Issue.record("accepted \(spec)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
