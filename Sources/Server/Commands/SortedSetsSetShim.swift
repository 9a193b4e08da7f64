// TEMPORARY (not for commit): stands in for SetValue's member API until sets land in main.
import Engine
extension SetValue {
    var members: [Bytes] { [] }
    func contains(_ member: Bytes) -> Bool { false }
}
