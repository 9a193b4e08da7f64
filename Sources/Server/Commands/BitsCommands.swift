// BitsCommands: (being written).
import Engine

let bitCommands: [Command] = []
