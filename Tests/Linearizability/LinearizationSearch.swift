/// Searches for a linearization of one key's history: Wing & Gong's backtracking search (1993) with
/// Lowe's memoization (2017, "Testing for linearizability").
///
/// The search walks the time-ordered events. At an invocation it tries to linearize that call now: run
/// it through `KVRegister` and, if the call returned, require the same output. It then removes the call
/// from the list and starts again from the front. Reaching a return means the call it belongs to was
/// not linearized before its response, so the last choice is undone. Lowe's addition: remember every
/// (set of linearized calls, register) pair already explored, because the search below such a pair does
/// not depend on how it was reached; this turns exponential blow-ups on concurrent calls into something
/// near the number of distinct states.
///
/// Deviations from the papers, all for calls with unknown outcome. A faulty cluster produces them in
/// bulk, each may land anywhere after its invoke, and naively every subset of them at every point is a
/// new state, which makes proving a violation exponential:
/// - They have no return event (see `KeyHistory`), and the search succeeds once every call that
///   returned is linearized, leaving the others out.
/// - Only linearizations in a normal form are searched; some linearization is in it whenever any
///   exists (see `maybeLinearize`). Unknown calls then appear only in short blocks right before a
///   returned call that needs them.
/// - Subsumption instead of exact memoization for them: having an unknown call still available never
///   hurts, since it may be left out, so a state is pruned when one equal but for a subset of its
///   unknown calls was entered before. Returned calls are tried first so that small sets come first.
/// - Unknown calls with the same input (see `KeyHistory.inputs`) are interchangeable once invoked, so
///   only the earliest unused one of each such class is tried.
/// The number of steps is bounded, because some histories are exponential even so.
struct LinearizationSearch {
    /// How a search ended.
    enum Outcome: Equatable, Sendable {
        case linearizable
        case notLinearizable
        /// `stepsMax` steps were taken without a verdict.
        case budgetExhausted
    }

    /// The part of a search state that must match exactly for one state to subsume another. It holds
    /// `blockStart` because the normal form's rules for the next call depend on it.
    private struct Explored: Hashable {
        var completed: CallSet
        var register: KVRegister
        var blockStart: KVRegister?
    }

    /// A linearized call and what it replaced, to undo on backtracking.
    private struct Choice {
        var call: Int
        var register: KVRegister
        var blockStart: KVRegister?
        /// For an unknown call, the first remaining return when it was chosen; the scan of unknown
        /// calls resumes against it.
        var frontier: Int
    }

    /// Where the scan of candidates for the next call stands. Returned calls go first, see the type doc.
    private enum Cursor {
        /// Walking the returned calls' events; the first return reached ends their candidates.
        case event(node: Int)
        /// Trying the earliest unused call of each class, among those invoked before `frontier`.
        case unknownClass(Int, frontier: Int)
    }

    private let operations: [Operation]
    private let inputs: [KVInput]
    private var list: EventList
    /// Each call's bit in `completed` or `unknown`, numbered separately so the sets stay dense.
    private var slot: [Int]
    /// For a call with no return in this history, its class of interchangeable calls; -1 otherwise.
    private var classOf: [Int]
    /// Each class's calls in invocation order.
    private var classMembers: [[Int]] = []
    /// How many calls of each class are linearized; always its first ones.
    private var classUsed: [Int] = []

    private var register = KVRegister()
    /// The register before the current run of unknown calls; nil when the latest call returned.
    private var blockStart: KVRegister?
    /// Linearized calls that returned in this history.
    private var completed: CallSet
    /// Linearized calls whose outcome is unknown in this history.
    private var unknown: CallSet
    /// For each exact part, the unknown sets entered with it, none a subset of another.
    private var explored: [Explored: [CallSet]] = [:]
    private var choices: [Choice] = []

    /// Decides whether `history` has a linearization, taking at most `stepsMax` steps. A step is one
    /// candidate considered: an event of a returned call, or an unknown call worth trying.
    static func run(_ history: KeyHistory, stepsMax: Int) -> Outcome {
        var search = LinearizationSearch(history)
        return search.run(stepsMax: stepsMax)
    }

    private init(_ history: KeyHistory) {
        operations = history.operations
        inputs = history.inputs
        list = EventList(history.events, calls: history.operations.count)
        slot = Array(repeating: -1, count: history.operations.count)
        classOf = Array(repeating: -1, count: history.operations.count)
        var classIndex: [KVInput: Int] = [:]
        var counts = (completed: 0, unknown: 0)
        for case .call(let call) in history.events {
            if list.hasReturn(call) {
                slot[call] = counts.completed
                counts.completed += 1
                continue
            }
            slot[call] = counts.unknown
            counts.unknown += 1
            let index = classIndex[inputs[call]] ?? classMembers.count
            if index == classMembers.count {
                classIndex[inputs[call]] = index
                classMembers.append([])
            }
            classOf[call] = index
            classMembers[index].append(call)
        }
        classUsed = Array(repeating: 0, count: classMembers.count)
        completed = CallSet(count: counts.completed)
        unknown = CallSet(count: counts.unknown)
    }

    private mutating func run(stepsMax: Int) -> Outcome {
        var cursor = Cursor.event(node: list.first)
        var steps = 0
        while list.returnsRemaining > 0 {
            steps += 1
            guard steps <= stepsMax else { return .budgetExhausted }
            switch cursor {
            case .event(let node):
                precondition(node != list.end, "walked past every return with \(list.returnsRemaining) left")
                switch list.event(at: node) {
                case .return:
                    // No returned call can go next; try the unknown ones invoked before this return.
                    cursor = .unknownClass(0, frontier: node)
                case .call(let call):
                    let linearized = maybeLinearize(call, frontier: node)
                    cursor = .event(node: linearized ? list.first : list.next(after: node))
                }
            case .unknownClass(let start, let frontier):
                guard let (index, call) = nextCandidateClass(from: start, frontier: frontier) else {
                    // Nothing can go next: undo the latest choice and try the candidate after it.
                    guard let choice = choices.popLast() else { return .notLinearizable }
                    cursor = undo(choice)
                    continue
                }
                let linearized = maybeLinearize(call, frontier: frontier)
                cursor = linearized ? .event(node: list.first) : .unknownClass(index + 1, frontier: frontier)
            }
        }
        return .linearizable
    }

    /// The first class from `start` on whose earliest unused call (the only one of the class worth
    /// trying) was invoked before `frontier` and may change the register here (see `maybeLinearize`).
    ///
    /// A plain loop rather than one step per class: most classes fail these checks at most states, and
    /// a step should stand for a state considered. The loop is bounded by the number of classes.
    private func nextCandidateClass(from start: Int, frontier: Int) -> (index: Int, call: Int)? {
        for index in start..<classMembers.count where classUsed[index] < classMembers[index].count {
            let call = classMembers[index][classUsed[index]]
            guard list.isInvoked(call, before: frontier) else { continue }
            if blockStart != nil && inputs[call].overwrites { continue }
            if register.applying(inputs[call]).next == register { continue }
            return (index, call)
        }
        return nil
    }

    /// Linearizes `call` now if that keeps the linearization in normal form and reaches a state not
    /// subsumed by one entered before. Returns whether it did.
    ///
    /// The normal form: every unknown call changes the register; an unknown put or delete only starts a
    /// run of unknown calls; and the returned call right after such a run would get a different output
    /// without it. Any linearization can be rewritten into it: an unknown call that changes nothing, or
    /// whose effect the next write overwrites, can be left out, and a run the next returned call does
    /// not need either is overwritten by it or commutes with it (a read, a failed cas) and moves later.
    private mutating func maybeLinearize(_ call: Int, frontier: Int) -> Bool {
        let (next, output) = register.applying(inputs[call])
        let returned = list.hasReturn(call)
        var nextBlockStart: KVRegister?
        if returned {
            guard operations[call].output == output else { return false }
            if let blockStart, blockStart.applying(inputs[call]).output == output { return false }
        } else {
            guard next != register else { return false }
            if blockStart != nil, inputs[call].overwrites { return false }
            nextBlockStart = blockStart ?? register
        }
        var completedAfter = completed
        var unknownAfter = unknown
        if returned {
            completedAfter.insert(slot[call])
        } else {
            unknownAfter.insert(slot[call])
        }
        let state = Explored(completed: completedAfter, register: next, blockStart: nextBlockStart)
        guard maybeRemember(state, unknown: unknownAfter) else { return false }
        choices.append(Choice(call: call, register: register, blockStart: blockStart, frontier: frontier))
        register = next
        blockStart = nextBlockStart
        completed = completedAfter
        unknown = unknownAfter
        if returned {
            list.lift(call)
        } else {
            classUsed[classOf[call]] += 1
        }
        return true
    }

    /// Records a state about to be entered. Returns false when a state with a subset of its unknown
    /// calls was entered before: everything reachable from this one is reachable from that one.
    private mutating func maybeRemember(_ state: Explored, unknown: CallSet) -> Bool {
        if explored[state]?.contains(where: { $0.isSubset(of: unknown) }) == true {
            return false
        }
        explored[state, default: []].removeAll { unknown.isSubset(of: $0) }
        explored[state, default: []].append(unknown)
        return true
    }

    /// Takes back the latest linearized call and returns where the scan resumes: at the candidate after it.
    private mutating func undo(_ choice: Choice) -> Cursor {
        register = choice.register
        blockStart = choice.blockStart
        if list.hasReturn(choice.call) {
            completed.remove(slot[choice.call])
            return .event(node: list.unlift(choice.call))
        }
        unknown.remove(slot[choice.call])
        classUsed[classOf[choice.call]] -= 1
        return .unknownClass(classOf[choice.call] + 1, frontier: choice.frontier)
    }
}
