import ArgumentParser

@main
struct Crosstalk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosstalk",
        abstract: "Transfer learning across languages and modalities.")
}
