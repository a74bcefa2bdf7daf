import PFS

/// Cuts a pipeline's input into datums (DESIGN.md: "the glob over the input trees"):
///
/// - `pfs`: one datum per file or directory the glob matches in the input's tree, in path order (`/` is
///   one datum of the whole tree, `/*` one per top-level entry); an empty tree gives none.
/// - `cross`: every combination of one datum of each input, the first input varying slowest; any empty
///   input makes the whole cross empty.
/// - `union`: the datums of each input, one input after the other.
///
/// Pure over the trees it is given, so the coordinator, tests and `list datum` all get the same datums
/// in the same order.
public enum DatumEnumerator {
    /// The most datums one job may have: a cross of two large inputs multiplies, and is refused with a
    /// clear error instead of exhausting memory.
    public static let maxDatums = 1_000_000

    /// The datums of `input`, reading each `pfs` input's tree from `trees` (by input name).
    public static func datums(of input: PipelineSpec.Input, trees: [String: FileTree]) async throws -> [Datum] {
        switch input {
        case .pfs(let pfs):
            guard let tree = trees[pfs.name] else {
                throw PFSError.invalidArgument("no tree given for input '\(pfs.name)'")
            }
            var datums: [Datum] = []
            for try await entry in tree.glob(pfs.glob) {
                datums.append(Datum(parts: [Datum.Part(input: pfs.name, entry: entry)]))
                guard datums.count <= maxDatums else {
                    throw PFSError.invalidArgument("the glob \(pfs.glob) of input '\(pfs.name)' matches more than \(maxDatums) paths; use a coarser glob")
                }
            }
            return datums
        case .union(let inputs):
            var datums: [Datum] = []
            for input in inputs {
                datums += try await self.datums(of: input, trees: trees)
                guard datums.count <= maxDatums else {
                    throw PFSError.invalidArgument("the union gives more than \(maxDatums) datums; use coarser globs")
                }
            }
            return datums
        case .cross(let inputs):
            var product = [Datum(parts: [])]
            for input in inputs {
                let next = try await datums(of: input, trees: trees)
                if next.isEmpty { return [] }
                guard product.count.multipliedReportingOverflow(by: next.count).partialValue <= maxDatums,
                      !product.count.multipliedReportingOverflow(by: next.count).overflow else {
                    throw PFSError.invalidArgument("the cross gives more than \(maxDatums) datums (\(product.count) × \(next.count)); "
                                                   + "use coarser globs")
                }
                product = product.flatMap { left in next.map { Datum(parts: left.parts + $0.parts) } }
            }
            return product
        }
    }
}
