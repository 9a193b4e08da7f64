// Support: byte helpers the replication tests share. The seeded generator is
// CairnTestSupport's SplitMix64 (a failure prints its seed; CAIRN_SEED replays it).


/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
