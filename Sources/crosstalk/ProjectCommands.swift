// `crosstalk project …`: annotation projection from a source-language CoNLL corpus onto its
// translation — `tprojection` (candidates + scored selection, Projection/TProjection.swift) or
// `align` (through e5 word alignments) — fitting the T-Projection scorer on gold target spans,
// markup translation through Apertium (`project translate`), and projection F1 (`project eval`).
// Long runs write finished chunks into OUT.parts/ and `--resume` skips them. Thin commands over
// Projection, Tagging (the optional zero-shot tagger), Corpora and Evaluation.
import ArgumentParser
import Corpora
import Evaluation
import Foundation
import Models
import Projection
import Tagging

struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Project BIO spans from a source-language corpus onto its translation, and score projections.",
        subcommands: [ProjectRun.self, ProjectFit.self, ProjectTranslate.self, ProjectEval.self],
        defaultSubcommand: ProjectRun.self)
}

enum ProjectionMethodArgument: String, ExpressibleByArgument, CaseIterable {
    /// candidates scored by a fitted logistic regression, best non-overlapping assignment
    case tprojection
    /// word alignment from e5 embeddings, spans carried through the links
    case align
}

enum MTArgument: String, ExpressibleByArgument, CaseIterable {
    /// Apertium when a mode (or a one-pivot chain) exists for the pair, otherwise no MT features
    case auto
    /// Apertium, and an error when the pair has no mode
    case apertium
    case none
}

/// `N` (fill gaps of at most N unaligned words, keep the run with most links) or `all` (cover).
struct GapArgument: ExpressibleByArgument {
    let policy: GapPolicy
    init(policy: GapPolicy) { self.policy = policy }
    init?(argument: String) {
        if argument == "all" { policy = .cover; return }
        guard let n = Int(argument), n >= 0 else { return nil }
        policy = .bridge(maxGap: n)
    }
    var defaultValueDescription: String {
        if case .bridge(let n) = policy { return "\(n)" }
        return "all"
    }
}

/// How CoNLL files are read.
struct CorpusReadOptions: ParsableArguments {
    @Option(help: "1-based column of the tag in gold/target CoNLL files (default: the last; 2 for the ABSA manual projections, whose third column is a quality flag).")
    var tagColumn: Int?
    @Flag(help: "Decode invalid UTF-8 as U+FFFD instead of failing (for files kept byte-identical to a broken source, e.g. AbstRCT's French dev file).")
    var replaceInvalidUTF8 = false

    func validate() throws {
        if let c = tagColumn, c < 2 { throw ValidationError("--tag-column must be 2 or more (column 1 is the token)") }
    }

    /// A gold or target file: the tag in --tag-column.
    func read(_ path: String, requireTags: Bool = true) throws -> [CoNLLSentence] {
        try CoNLLReader.read(path: path, requireTags: requireTags, tagColumn: requireTags ? tagColumn : nil,
                             replaceInvalidUTF8: replaceInvalidUTF8)
    }

    /// A source file: the tag in the last column. A span may not run on into the next sentence
    /// (an `I-X` opening a sentence whose predecessor ends inside an X span): projection works one
    /// sentence pair at a time, so such a span would be cut in two without a word said.
    func readSource(_ path: String) throws -> [CoNLLSentence] {
        let sentences = try CoNLLReader.read(path: path, replaceInvalidUTF8: replaceInvalidUTF8)
        for k in sentences.indices.dropFirst() {
            guard let first = sentences[k].tags.first, first.hasPrefix("I-"),
                  let last = sentences[k - 1].tags.last, last != "O", last.dropFirst(2) == first.dropFirst(2) else { continue }
            let line = sentences[k].lines.first.map { ":\($0)" } ?? ""
            throw CLIError("\(path)\(line): sentence \(k + 1) begins with \(first), continuing the \(first.dropFirst(2)) span that ends sentence \(k): a span crosses a sentence boundary (blank line); expected B-\(first.dropFirst(2)) or O here, or the two sentences joined")
        }
        return sentences
    }

    /// The sentence-count error for two files that must pair up, naming where the first unpaired
    /// sentence starts (`sourceLines`/`targetLines`: each sentence's first line).
    func countMismatch(source: String, sourceLines: [Int], target: String, targetLines: [Int]) -> ProjectionError {
        let k = min(sourceLines.count, targetLines.count)
        let at = sourceLines.count > k ? "\(source):\(sourceLines[k])" : "\(target):\(targetLines[k])"
        return .sentenceCount(file: target, found: targetLines.count, otherFile: source, expected: sourceLines.count, firstUnpaired: at)
    }

    /// First line of each sentence (1-based) of a target read by `readTargetWords`.
    func targetSentenceLines(_ path: String) throws -> [Int] {
        if path.lowercased().hasSuffix(".txt") { return try readTargetWords(path).indices.map { $0 + 1 } }
        return try CoNLLReader.read(path: path, requireTags: false, readTags: false, replaceInvalidUTF8: replaceInvalidUTF8).map { $0.lines.first ?? 0 }
    }

    /// Words of each target sentence: TGT.txt (one pre-tokenised sentence per line) or CoNLL (tags ignored).
    func readTargetWords(_ path: String) throws -> [[String]] {
        guard path.lowercased().hasSuffix(".txt") else {  // its tags, if any, are not read (kept for `eval`)
            return try CoNLLReader.read(path: path, requireTags: false, readTags: false, replaceInvalidUTF8: replaceInvalidUTF8).map(\.tokens)
        }
        var bytes = try readAllInput(path)
        if replaceInvalidUTF8 { bytes = UTF8Check.replacingInvalid(bytes) } else { try validateUTF8(bytes, name: path) }
        return try lineRanges(bytes).enumerated().map { k, r in
            let words = String(decoding: bytes[r], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard !words.isEmpty else { throw ProjectionError.emptySentence(file: path, line: k + 1) }
            return words
        }
    }
}

/// The T-Projection parts that are not the encoder: MT, tagger, candidate settings.
struct TProjectionOptions: ParsableArguments {
    @Option(help: "Language of the source corpus (ISO 639-1 or 639-3), for Apertium.") var sourceLang: String = "en"
    @Option(help: "auto: Apertium where the pair (or a one-pivot chain) is installed | apertium: required | none") var mt: MTArgument = .auto
    @Option(help: "A tagger run directory (crosstalk tagger train -o RUN); its spans on the target become candidates and a feature.") var tagger: String?
    @Option(help: "Longest target n-gram offered as a candidate, in words.") var maxNgram: Int = CandidateSettings().maxNgram
    @Option(help: "Candidates kept per source span after the first ranking.") var shortlist: Int = 12

    func validate() throws {
        if maxNgram < 1 { throw ValidationError("--max-ngram must be at least 1") }
        if shortlist < 1 { throw ValidationError("--shortlist must be at least 1") }
    }

    /// Apertium translators source → target and back (nil where none applies), and what was chosen.
    func translators(target: String?) throws -> (forward: ApertiumTranslator?, backward: ApertiumTranslator?, note: String) {
        guard mt != .none else { return (nil, nil, "none (--mt none)") }
        guard let target else {
            if mt == .apertium { throw ValidationError("--mt apertium needs --target-lang") }
            return (nil, nil, "none (no --target-lang)")
        }
        do {
            let f = try ApertiumTranslator(source: sourceLang, target: target)
            let b = try ApertiumTranslator(source: target, target: sourceLang)
            return (f, b, "Apertium \(f.name) and \(b.name)")
        } catch let e as TranslationError {
            if mt == .apertium { throw e }
            return (nil, nil, "none (\(e.description))")
        }
    }

    func taggerModel() throws -> TokenClassifier? { try tagger.map { try loadTagger($0) } }

    func make(embedder: ContextualWordEmbedder, aligner: WordAligner, target: String?) throws -> (TProjection, String) {
        let t = try translators(target: target)
        var settings = CandidateSettings()
        settings.maxNgram = maxNgram
        let p = TProjection(embedder: embedder, aligner: aligner, settings: settings, shortlist: shortlist,
                            forward: t.forward, backward: t.backward)
        return (p, t.note)
    }
}

/// Spans a tagger predicts on each target sentence, with the mean label probability over each span.
func taggedSpans(_ tagger: TokenClassifier?, _ sentences: [[String]], batchSize: Int) -> [[TaggedSpan]]? {
    guard let tagger else { return nil }
    let (tags, confidence) = tagger.predictWithConfidence(sentences, batchSize: batchSize)
    return zip(tags, confidence).map { t, c in
        BIO.spans(t).map { s in
            TaggedSpan(range: s.range, type: s.type, confidence: s.range.map { c[$0] }.reduce(0, +) / Float(s.range.count))
        }
    }
}

// MARK: run

struct ProjectRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Project the spans of SRC.conll onto the target sentences; writes the target tokens with BIO tags.",
        discussion: """
            Sentence i of --target must translate sentence i of --source. TGT.txt: one pre-tokenised sentence per \
            line (split on spaces); TGT.conll: tokens in the first column, any tags ignored. \
            tprojection: for each source span, candidate target spans (n-grams up to --max-ngram words, the ranges \
            the word alignment gives with their boundaries moved by up to 2 words, the --tagger's spans) are scored \
            by a logistic regression over e5 span similarities (contextual and isolated), alignment agreement, \
            surface similarity, Apertium translation consistency both ways (--target-lang, where a pair is \
            installed) and tagger agreement; the non-overlapping assignment with the highest total score above the \
            weights' threshold is kept. --weights: a file from `crosstalk project fit` (default: the weights fitted \
            on Europarl NER en→de/es/it sentences 1–300, shipped with crosstalk). \
            align: each source span goes to the target words aligned to its words; gaps of at most --fill-gaps \
            unaligned words are filled and the run with the most links kept; overlapping spans keep the one with \
            more links. Finished chunks are kept in OUT.parts/ until the run completes; --resume skips them. \
            `crosstalk project --source …` runs this verb.
            """)

    @OptionGroup var options: AlignerOptions
    @OptionGroup var corpus: CorpusReadOptions
    @OptionGroup var tprojection: TProjectionOptions
    @Option(help: "Source CoNLL file (token first column, BIO tag last).") var source: String
    @Option(help: "Target sentences: TGT.txt (one per line) or a CoNLL file (tags ignored).") var target: String
    @Option(help: "Language of the target sentences, for Apertium (tprojection).") var targetLang: String?
    @Option(help: "tprojection | align") var method: ProjectionMethodArgument = .tprojection
    @Option(help: "Scorer weights from `crosstalk project fit` (tprojection; default: the shipped Europarl weights).") var weights: String?
    @Option(help: "argmax | itermax | softmax (the word aligner).") var alignMethod: AlignmentMethod = AlignmentProjection.defaultAligner.method
    @Option(help: "align: fill gaps of at most N unaligned target words inside a span (all: cover every aligned word).")
    var fillGaps = GapArgument(policy: AlignmentProjection.defaultGaps)
    @Option(name: [.short, .customLong("output")], help: "Output CoNLL file (target tokens, projected tags).") var output: String
    @Option(help: "Write a Markdown report (settings, span counts, throughput) here.") var report: String?
    @Option(help: "Sentences per chunk (each finished chunk is kept for --resume).") var chunk: Int = 64
    @Flag(help: "Continue an interrupted run with the same settings: chunks already in OUT.parts/ are skipped.") var resume = false
    @Option(help: .hidden) var stopAfterChunks: Int?  // tests: behave as if interrupted after N chunks

    func validate() throws {
        if chunk < 1 { throw ValidationError("--chunk must be at least 1") }
        if method == .align && weights != nil { throw ValidationError("--weights applies to --method tprojection") }
    }

    func run() throws {
        let start = Date()
        let src = try corpus.readSource(source)
        let tgt = try corpus.readTargetWords(target)
        guard src.count == tgt.count else {
            throw corpus.countMismatch(source: source, sourceLines: src.map { $0.lines.first ?? 0 }, target: target,
                                       targetLines: try corpus.targetSentenceLines(target))
        }
        let scorer = method == .tprojection ? try weights.map { try CandidateScorer.load(path: $0) } ?? CandidateScorer.europarl : nil
        let embedder = try options.embedder()
        let aligner = WordAligner(method: alignMethod, level: options.level ?? AlignmentProjection.defaultAligner.level,
                                  softmaxThreshold: options.softmaxThreshold)
        var settingsText = "method \(method.rawValue); model \(options.model); layer \(embedder.layer); aligner \(aligner.method.rawValue)/\(aligner.level.rawValue)"
        var methodLine = ""
        var work: ([CoNLLSentence], [[String]]) throws -> [[String]]
        switch method {
        case .align:
            let projection = AlignmentProjection(embedder: embedder, aligner: aligner, gaps: fillGaps.policy)
            settingsText += "; fill gaps \(fillGaps.defaultValueDescription)"
            methodLine = "align (\(aligner.method.rawValue), \(aligner.level.rawValue) level, fill gaps \(fillGaps.defaultValueDescription))"
            work = { s, t in projection.project(source: s, target: t, batchSize: options.batchSize, workers: options.threads).tags }
        case .tprojection:
            let (tp, mtNote) = try tprojection.make(embedder: embedder, aligner: aligner, target: targetLang)
            let tagger = try tprojection.taggerModel()
            if (scorer!.usedTagger ?? false) != (tagger != nil) {
                FileHandle.standardError.write(Data("project: warning: the weights were fitted \(scorer!.usedTagger ?? false ? "with" : "without") a tagger and this run has \(tagger != nil ? "one" : "none"); fit weights with the same setting (crosstalk project fit\(tagger != nil ? " --tagger RUN" : ""))\n".utf8))
            }
            settingsText += "; weights \(weights ?? "built-in"); mt \(mtNote); tagger \(tprojection.tagger ?? "none"); max n-gram \(tprojection.maxNgram); shortlist \(tprojection.shortlist)"
            methodLine = "tprojection (weights: \(weights ?? "built-in") — fitted on \(scorer!.fittedOn); threshold \(scorer!.threshold); MT: \(mtNote); tagger: \(tprojection.tagger ?? "none"))"
            work = { s, t in
                let feats = try tp.featurize(source: s, target: t, tagged: taggedSpans(tagger, t, batchSize: options.batchSize),
                                             batchSize: options.batchSize, workers: options.threads)
                return zip(feats, t).map { TProjection.select($0, scorer: scorer!, targetLength: $1.count).tags }
            }
        }
        let chunks = ChunkedOutput(output: output, chunk: chunk, total: src.count,
                                   settings: settingsText + "; source \(source); target \(target)")
        let done = try chunks.prepare(resume: resume)
        if done > 0 { FileHandle.standardError.write(Data("project: resuming, \(done) of \(chunks.count) chunks already done\n".utf8)) }
        let progress = Progress("project", total: src.count)
        progress.advance(by: min(src.count, done * chunk))
        for k in done..<chunks.count {
            let r = chunks.range(k)
            let tags = try work(Array(src[r]), Array(tgt[r]))
            try chunks.write(k, zip(tgt[r], tags).map { CoNLLSentence(tokens: $0, tags: $1) })
            progress.advance(by: r.count, note: "chunk \(k + 1)/\(chunks.count)")
            if let stop = stopAfterChunks, k + 1 - done >= stop, k + 1 < chunks.count {
                throw CLIError("\(output): stopped after \(k + 1) of \(chunks.count) chunks (--stop-after-chunks); run again with --resume to finish")
            }
        }
        let sentences = try chunks.finish()
        guard let report else { return }
        let sourceSpans = src.reduce(0) { $0 + BIO.spans($1.tags).count }
        let projected = sentences.reduce(0) { $0 + BIO.spans($1.tags).count }
        let seconds = Date().timeIntervalSince(start)
        let text = """
            # Projection report

            | setting | value |
            |---|---|
            | source | `\(source)` |
            | target | `\(target)` |
            | output | `\(output)` |
            | method | \(methodLine) |
            | model | \(options.model), layer \(embedder.layer) |
            | threads | \(options.threads) |

            | spans | count |
            |---|---|
            | source spans | \(sourceSpans) |
            | projected | \(projected) |
            | not projected (no candidate above the threshold / nothing aligned, or overlap) | \(sourceSpans - projected) |

            \(src.count) sentence pairs in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", Double(src.count) / max(seconds, 1e-9))) pairs/s, model loading included\(done > 0 ? "; \(done) chunks from an earlier run" : "")).

            """
        try withOutput(report) { $0.write(text) }
    }
}

/// Output written chunk by chunk: OUT.parts/chunk-NNNNNN.conll files (each atomic) and a
/// settings file; `finish` joins them into OUT atomically and removes the directory.
struct ChunkedOutput {
    let output: String
    let chunk: Int
    let total: Int
    let settings: String
    var directory: String { output + ".parts" }
    var count: Int { (total + chunk - 1) / chunk }
    func range(_ k: Int) -> Range<Int> { (k * chunk)..<min(total, (k + 1) * chunk) }
    func path(_ k: Int) -> String { directory + String(format: "/chunk-%06d.conll", k) }
    var settingsPath: String { directory + "/settings.txt" }
    var stamp: String { "chunk \(chunk); sentences \(total); \(settings)\n" }

    /// Creates the parts directory, or (resume) checks it belongs to this run; returns the number
    /// of leading chunks already done.
    func prepare(resume: Bool) throws -> Int {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("\(output): directory \(dir) does not exist")
        }
        if fm.fileExists(atPath: directory) {
            guard resume else {
                throw CLIError("\(directory): left by an interrupted run; pass --resume to continue it with the same settings, or delete it")
            }
            let old = (try? String(contentsOfFile: settingsPath, encoding: .utf8)) ?? ""
            guard old == stamp else {
                throw CLIError("\(settingsPath): the interrupted run had other settings (\(old.trimmingCharacters(in: .whitespacesAndNewlines))); expected \(stamp.trimmingCharacters(in: .whitespacesAndNewlines)); delete \(directory) to start again")
            }
            var k = 0
            while k < count && fm.fileExists(atPath: path(k)) { k += 1 }
            return k
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: false)
            try stamp.write(toFile: settingsPath, atomically: true, encoding: .utf8)
        } catch { throw CLIError("\(directory): cannot be created (\(error.localizedDescription))") }
        return 0
    }

    func write(_ k: Int, _ sentences: [CoNLLSentence]) throws {
        try CoNLLWriter.write(sentences, to: path(k))
    }

    /// Joins the chunks into OUT (atomically) and removes the parts directory; returns the sentences.
    func finish() throws -> [CoNLLSentence] {
        var all = [CoNLLSentence]()
        for k in 0..<count {
            let part = try CoNLLReader.read(path: path(k))
            guard part.count == range(k).count else {
                throw CLIError("\(path(k)): found \(part.count) sentences; expected \(range(k).count) (delete \(directory) and run again)")
            }
            all += part
        }
        try CoNLLWriter.write(all, to: output)
        try? FileManager.default.removeItem(atPath: directory)
        return all
    }
}

// MARK: fit

struct ProjectFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the tprojection scorer on source corpora and their gold-tagged translations; writes weights JSON.",
        discussion: """
            Give --source, --target (CoNLL with gold target tags) and optionally --target-lang once per language \
            pair, in the same order. Every shortlisted candidate becomes a row labelled correct when it is the gold \
            span matched to its source span (same type, one-to-one, by alignment and similarity); the logistic \
            regression is fitted on all rows (L2 --l2 = 1/C), then the selection threshold that gives the best \
            micro F1 over all pairs is chosen from a grid. Fitting and scoring on the same sentences overstates F1: \
            hold a language or a part of the corpus out to measure.
            """)

    @OptionGroup var options: AlignerOptions
    @OptionGroup var corpus: CorpusReadOptions
    @OptionGroup var tprojection: TProjectionOptions
    @Option(help: "Source CoNLL file (once per pair).") var source: [String] = []
    @Option(help: "Gold target CoNLL file (once per pair).") var target: [String] = []
    @Option(help: "Target language (once per pair, or not at all).") var targetLang: [String] = []
    @Option(help: "L2 penalty λ of the logistic regression (= 1/C).") var l2: Double = 1.0
    @Option(help: "Also measure held-out F1: `pairs` fits on all pairs but one and scores that one, for each pair; a number K splits every pair's sentences into K contiguous folds and scores each fold with weights fitted on the rest.")
    var holdout: HoldoutArgument?
    @Option(name: [.short, .customLong("output")], help: "Weights JSON to write.") var output: String

    func validate() throws {
        if source.isEmpty || source.count != target.count { throw ValidationError("give --source and --target once per pair (found \(source.count) and \(target.count))") }
        if !targetLang.isEmpty && targetLang.count != source.count { throw ValidationError("give --target-lang once per pair or not at all (found \(targetLang.count) for \(source.count) pairs)") }
        if !(l2 > 0) { throw ValidationError("--l2 must be positive") }
    }

    static let thresholds = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]

    /// One block of sentences: features, gold tags, target lengths.
    struct Block { var feats: [[SpanCandidates]]; var gold: [[String]]; var lengths: [Int]; var name: String }

    /// Fits on `train` blocks (weights, then the threshold with the best micro F1 on them).
    func fitBlocks(_ train: [Block], description: String) throws -> (CandidateScorer, [String], Double, Int, Int, Int) {
        var x = [[Float]](), y = [Bool]()
        var goldSpans = 0, shortlisted = 0
        for b in train {
            let rows = TProjection.trainingRows(b.feats, goldTags: b.gold)
            x += rows.x; y += rows.y; goldSpans += rows.goldSpans; shortlisted += rows.goldShortlisted
        }
        guard y.contains(true), y.contains(false) else {
            throw CLIError("\(description): no candidate matched a gold span (or all did); expected gold target tags of the source spans' types")
        }
        var scorer = CandidateScorer.fit(features: CandidateFeatures.names, x: x, y: y, l2: l2, fittedOn: description)
        var best = (threshold: 0.5, f1: -1.0)
        var lines = [String]()
        for threshold in ProjectFit.thresholds {
            scorer.threshold = threshold
            let f1 = try score(train, scorer).micro.f1
            lines.append(String(format: "threshold %.2f: micro F1 %.2f", threshold, 100 * f1))
            if f1 > best.f1 { best = (threshold, f1) }
        }
        scorer.threshold = best.threshold
        scorer.fittedOn = description + String(format: " (%d rows, %d correct; gold spans %d, %d among the candidates; L2 %.3g; threshold %.2f: micro F1 %.2f on the same data)",
                                               y.count, y.filter { $0 }.count, goldSpans, shortlisted, l2, best.threshold, 100 * best.f1)
        return (scorer, lines, best.f1, goldSpans, shortlisted, y.count)
    }

    func score(_ blocks: [Block], _ scorer: CandidateScorer) throws -> SpanReport {
        var g = [[String]](), p = [[String]]()
        for b in blocks {
            g += b.gold
            p += zip(b.feats, b.lengths).map { TProjection.select($0, scorer: scorer, targetLength: $1).tags }
        }
        return try SpanEvaluation.evaluate(gold: g, predicted: p)
    }

    func run() throws {
        if case .pairs = holdout, source.count < 2 { throw CLIError("--holdout pairs needs at least two pairs (found one --source/--target)") }
        let embedder = try options.embedder()
        let aligner = WordAligner(method: AlignmentProjection.defaultAligner.method,
                                  level: options.level ?? AlignmentProjection.defaultAligner.level,
                                  softmaxThreshold: options.softmaxThreshold)
        let tagger = try tprojection.taggerModel()
        var blocks = [Block]()
        for (k, (s, t)) in zip(source, target).enumerated() {
            let src = try corpus.readSource(s)
            let gold = try corpus.read(t)
            guard src.count == gold.count else {
                throw corpus.countMismatch(source: s, sourceLines: src.map { $0.lines.first ?? 0 }, target: t, targetLines: gold.map { $0.lines.first ?? 0 })
            }
            let lang = targetLang.isEmpty ? nil : targetLang[k]
            let (tp, mtNote) = try tprojection.make(embedder: embedder, aligner: aligner, target: lang)
            FileHandle.standardError.write(Data("project fit: \(t): MT \(mtNote)\n".utf8))
            let progress = Progress("features \(k + 1)/\(source.count)", total: 2 * src.count)
            let words = gold.map(\.tokens)
            let feats = try tp.featurize(source: src, target: words, tagged: taggedSpans(tagger, words, batchSize: options.batchSize),
                                         batchSize: options.batchSize, workers: options.threads) { stage, n in
                if stage == "encode" { progress.advance(by: n) }
            }
            blocks.append(Block(feats: feats, gold: gold.map(\.tags), lengths: words.map(\.count), name: t))
        }
        let description = zip(source, target).map { "\($0) → \($1)" }.joined(separator: "; ")
        var (scorer, lines, _, goldSpans, shortlisted, rows) = try fitBlocks(blocks, description: description)
        scorer.usedTagger = tagger != nil
        try scorer.save(to: output)
        var summary = "rows \(rows); gold spans \(goldSpans), among the shortlisted candidates \(shortlisted) (\(String(format: "%.1f", 100 * Double(shortlisted) / Double(max(1, goldSpans)))) %)\n"
        summary += lines.joined(separator: "\n") + "\n"
        summary += "weights (standardised features):\n"
        let width = (scorer.features.map(\.count).max() ?? 4) + 2
        for (name, w) in zip(scorer.features + ["bias"], scorer.weights + [scorer.bias]) {
            summary += "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%+.3f", w) + "\n"
        }
        summary += String(format: "chosen threshold %.2f → ", scorer.threshold) + output + "\n"
        if let holdout {
            // Held-out blocks: whole pairs, or K contiguous folds of every pair.
            var folds = [(train: [Block], test: [Block], name: String)]()
            switch holdout {
            case .pairs:
                for (k, b) in blocks.enumerated() { folds.append((blocks.enumerated().filter { $0.offset != k }.map(\.element), [b], b.name)) }
            case .folds(let kf):
                for f in 0..<kf {
                    var train = [Block](), test = [Block]()
                    for b in blocks {
                        let n = b.gold.count
                        let r = (f * n / kf)..<((f + 1) * n / kf)
                        func part(_ idx: [Int]) -> Block {
                            Block(feats: idx.map { b.feats[$0] }, gold: idx.map { b.gold[$0] }, lengths: idx.map { b.lengths[$0] }, name: b.name)
                        }
                        test.append(part(Array(r)))
                        train.append(part((0..<n).filter { !r.contains($0) }))
                    }
                    folds.append((train, test, "fold \(f + 1)/\(kf)"))
                }
            }
            summary += "held-out (\(holdout.description)): micro P / R / F1\n"
            // Predictions of every held-out part, gathered per pair (a pair's folds together).
            var perPair = [String: (gold: [[String]], pred: [[String]])]()
            var allGold = [[String]](), allPred = [[String]]()
            for fold in folds {
                let (s, _, _, _, _, _) = try fitBlocks(fold.train, description: "held-out fit")
                var foldGold = [[String]](), foldPred = [[String]]()
                for b in fold.test {
                    let pred = zip(b.feats, b.lengths).map { TProjection.select($0, scorer: s, targetLength: $1).tags }
                    perPair[b.name, default: ([], [])].gold += b.gold
                    perPair[b.name, default: ([], [])].pred += pred
                    foldGold += b.gold; foldPred += pred
                }
                allGold += foldGold; allPred += foldPred
                if case .folds = holdout {
                    let r = try SpanEvaluation.evaluate(gold: foldGold, predicted: foldPred)
                    summary += String(format: "  %@: %.2f / %.2f / %.2f (threshold %.2f)\n", fold.name as NSString,
                                      100 * r.micro.precision, 100 * r.micro.recall, 100 * r.micro.f1, s.threshold)
                }
            }
            for b in blocks {
                let p = perPair[b.name]!
                let r = try SpanEvaluation.evaluate(gold: p.gold, predicted: p.pred)
                summary += String(format: "  %@: %.2f / %.2f / %.2f\n", b.name as NSString, 100 * r.micro.precision, 100 * r.micro.recall, 100 * r.micro.f1)
            }
            let all = try SpanEvaluation.evaluate(gold: allGold, predicted: allPred)
            summary += String(format: "  all held-out: %.2f / %.2f / %.2f\n", 100 * all.micro.precision, 100 * all.micro.recall, 100 * all.micro.f1)
        }
        try withOutput(nil) { $0.write(summary) }
    }
}

/// `pairs` or a fold count.
enum HoldoutArgument: ExpressibleByArgument, CustomStringConvertible {
    case pairs
    case folds(Int)
    init?(argument: String) {
        if argument == "pairs" { self = .pairs; return }
        guard let k = Int(argument), k >= 2 else { return nil }
        self = .folds(k)
    }
    var description: String {
        switch self {
        case .pairs: return "leave one pair out"
        case .folds(let k): return "\(k) folds per pair"
        }
    }
}

// MARK: translate (markup)

struct ProjectTranslate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate a tagged corpus with Apertium, carrying the spans as markup (translate-train, EasyProject-style).",
        discussion: """
            Each source sentence is sent as one line of HTML with its spans as <b class="TYPE" id="eK">…</b>; \
            Apertium (-f html) translates the text and copies the tags onto the words they became. Pieces of one \
            span that word reordering split apart are joined (the span covers the first to the last word of id eK). \
            The output is split into words (white space, then punctuation at word edges) and written as CoNLL. \
            --pair: an Apertium mode such as eng-spa, or source-target language codes (en-fr goes through a pivot \
            when no direct mode is installed).
            """)

    @OptionGroup var corpus: CorpusReadOptions
    @Option(help: "Source CoNLL file.") var source: String
    @Option(help: "Apertium mode (eng-spa) or language codes (en-es, en-fr).") var pair: String
    @Option(name: [.short, .customLong("output")], help: "Output CoNLL file (translated tokens, carried tags).") var output: String
    @Option(help: "Write a Markdown report (pair, span counts) here.") var report: String?

    func translator() throws -> ApertiumTranslator {
        guard let exe = ApertiumTranslator.findExecutable() else { throw TranslationError.notInstalled("not on PATH") }
        let modes = try ApertiumTranslator.installedModes(executable: exe)
        if modes.contains(pair) { return ApertiumTranslator(modes: [pair], format: .html, executable: exe) }
        let parts = pair.split(separator: "-").map(String.init)
        guard parts.count == 2 else { throw ValidationError("--pair: found '\(pair)'; expected an installed mode (\(modes.joined(separator: ", "))) or two language codes such as en-es") }
        return try ApertiumTranslator(source: parts[0], target: parts[1], format: .html)
    }

    func run() throws {
        let src = try corpus.readSource(source)
        let mt = try translator()
        let lines = src.map { MarkupProjection.markup($0) }
        let progress = Progress("translate", total: src.count)
        var out = [String]()
        for start in stride(from: 0, to: lines.count, by: 256) {
            let part = Array(lines[start..<min(lines.count, start + 256)])
            out += try mt.translate(part)
            progress.advance(by: part.count)
        }
        var carried = 0, sourceSpans = 0, joined = 0
        // The target language: the second code of "en-it", or the last part of a mode ("spa-ita").
        let target = pair.split(separator: "-").last.map { String($0).lowercased() } ?? ""
        let splitElisions = MarkupProjection.elidingLanguages.contains(target)
        let sentences: [CoNLLSentence] = try zip(src, out).enumerated().map { i, pair in
            let r = try MarkupProjection.parse(pair.1, sentence: i + 1, file: output, splitElisions: splitElisions,
                                                   sourceFirstWords: BIO.spans(pair.0.tags).map { pair.0.tokens[$0.range.lowerBound] })
            sourceSpans += BIO.spans(pair.0.tags).count
            carried += BIO.spans(r.tags).count
            joined += r.joinedPieces
            return CoNLLSentence(tokens: r.tokens, tags: r.tags)
        }
        try CoNLLWriter.write(sentences, to: output)
        guard let report else { return }
        let text = """
            # Markup translation report

            | setting | value |
            |---|---|
            | source | `\(source)` |
            | output | `\(output)` |
            | translation | Apertium \(mt.name), -f html (rule-based MT; machine-translated text) |

            | spans | count |
            |---|---|
            | source spans | \(sourceSpans) |
            | carried into the translation | \(carried) (\(String(format: "%.1f", 100 * Double(carried) / Double(max(1, sourceSpans)))) %) |
            | spans whose pieces were joined after reordering | \(joined) |

            """
        try withOutput(report) { $0.write(text) }
    }
}

// MARK: eval

struct ProjectEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Span precision, recall and F1 per type of projected tags against gold target tags (seqeval-compatible).",
        discussion: "Both files are CoNLL with the same tokens in the same sentences; text is seqeval's classification_report. --tag-column applies to the gold file.")

    @OptionGroup var corpus: CorpusReadOptions
    @Option(help: "Gold target CoNLL file.") var gold: String
    @Option(help: "Projected CoNLL file (crosstalk project -o).") var pred: String
    @Option(help: "text | json") var format: ScoreFormat = .text

    func run() throws {
        let g = try corpus.read(gold)
        let p = try CoNLLReader.read(path: pred, replaceInvalidUTF8: corpus.replaceInvalidUTF8)
        try SpanEvaluation.checkAligned(gold: g, goldFile: gold, predicted: p, predictedFile: pred)
        let r = try SpanEvaluation.evaluate(gold: g.map(\.tags), predicted: p.map(\.tags))
        try withOutput(nil) { $0.write(format == .text ? r.text() : r.json() + "\n") }
    }
}
