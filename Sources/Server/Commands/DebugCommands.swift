// DebugCommands: (being written).
import Engine

let debugCommands: [Command] = []
