// KeysCommands: (being written).
import Engine

let keyCommands: [Command] = []
