// SortedSetsSetInputs: how ZUNIONSTORE/ZINTERSTORE read a set given as an input
// (each member scores 1). The only place the sorted-set commands touch SetValue.
import Engine

/// The members of a set input.
func setInputMembers(_ s: SetValue) -> [Bytes] { s.members }

/// True when the set input holds `member`.
func setInputContains(_ s: SetValue, _ member: Bytes) -> Bool { s.contains(member) }
