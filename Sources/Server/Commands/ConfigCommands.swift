// ConfigCommands: (being written).
import Engine

let configCommands: [Command] = []
