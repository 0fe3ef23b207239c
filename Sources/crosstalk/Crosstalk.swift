// crosstalk — the command-line tool. The only place that prints, resolves paths and sets exit codes;
// every verb is a thin ParsableCommand over library code.
import ArgumentParser

@main
struct Crosstalk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosstalk",
        abstract: "Transfer learning across languages and modalities: tokenization, audio features, and the tasks built on them.",
        subcommands: [SPM.self, Features.self, ModelsCommand.self, Embed.self, Similarity.self, Tagger.self, TagAudio.self, AlignCommand.self, ProjectCommand.self, Probe.self, EEG.self, CorpusCommand.self, Bench.self])
}
