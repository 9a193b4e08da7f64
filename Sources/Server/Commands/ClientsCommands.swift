// ClientsCommands: (being written).
import Engine

let clientCommands: [Command] = []
