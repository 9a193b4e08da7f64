// SortedSetSetShim: TEMPORARY. ZUNIONSTORE/ZINTERSTORE read set inputs through
// SetValue.members and SetValue.contains(_:), which the sets work (branch
// `hashsets`) provides; the SetValue scaffold on main has neither. These stand-ins
// let this branch build alone; no command can create a SetValue before sets land,
// so they are never reached.
//
// When the sets implementation is merged, this file collides with the real
// members (an "invalid redeclaration" error in the same module, on purpose:
// loud, never silently shadowing). Delete this file then; nothing else changes.

extension SetValue {
    /// Stand-in until the sets implementation lands (see the header).
    public var members: [Bytes] { [] }
    /// Stand-in until the sets implementation lands (see the header).
    public func contains(_ member: Bytes) -> Bool { false }
}
