// IntrospectionCommands: (being written).
import Engine

let introspectionCommands: [Command] = []
