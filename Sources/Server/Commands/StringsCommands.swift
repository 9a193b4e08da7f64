// StringsCommands: (being written).
import Engine

let stringCommands: [Command] = []
