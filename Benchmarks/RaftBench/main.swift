print("raft-bench: being rewritten")
