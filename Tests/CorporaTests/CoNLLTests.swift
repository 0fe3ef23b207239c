// CoNLL reading and writing: column and line-ending variants, every error with its exact
// "FILE:LINE: found; expected" line, writer round trip and atomicity, BIO repair and spans, and
// the counts the corpora READMEs state for every real CoNLL file in ../shared/corpora.
import Corpora
import Foundation
import XCTest

final class CoNLLTests: XCTestCase {
    func parse(_ text: String, requireTags: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> [CoNLLSentence] {
        try CoNLLReader.parse(bytes: Array(text.utf8), name: "t.conll", requireTags: requireTags)
    }

    func assertError(_ bytes: [UInt8], requireTags: Bool = true, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CoNLLReader.parse(bytes: bytes, name: "t.conll", requireTags: requireTags), file: file, line: line) { error in
            XCTAssertTrue(error is CoNLLError, "\(type(of: error))", file: file, line: line)
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
    }

    func assertError(_ text: String, requireTags: Bool = true, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        assertError(Array(text.utf8), requireTags: requireTags, expected, file: file, line: line)
    }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("crosstalk-conll-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }

    // MARK: reading

    func testTabSeparatedWithLineNumbers() throws {
        let s = try parse("EU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\nBlackburn\tI-PER\n\n")
        XCTAssertEqual(s, [CoNLLSentence(tokens: ["EU", "rejects"], tags: ["B-ORG", "O"], lines: [1, 2]),
                           CoNLLSentence(tokens: ["Peter", "Blackburn"], tags: ["B-PER", "I-PER"], lines: [4, 5])])
    }

    func testSingleAndMultipleSpacesAndMixedSeparators() throws {
        let s = try parse("a O\nb  B-LOC\nc \t I-LOC\nd\t\tO\n")
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].tokens, ["a", "b", "c", "d"])
        XCTAssertEqual(s[0].tags, ["O", "B-LOC", "I-LOC", "O"])
    }

    func testMiddleColumnsAreSkippedFirstIsTokenLastIsTag() throws {
        let s = try parse("U.N. NNP I-NP B-ORG\nofficial NN I-NP O\n\nEkeus NNP B-NP B-PER\n")
        XCTAssertEqual(s.map(\.tokens), [["U.N.", "official"], ["Ekeus"]])
        XCTAssertEqual(s.map(\.tags), [["B-ORG", "O"], ["B-PER"]])
        XCTAssertEqual(s.map(\.lines), [[1, 2], [4]])
    }

    func testTagsNotReadAreNotChecked() throws {
        // An ABSA manual projection: token, tag, quality flag ('-' is not a BIO tag).
        let text = Array("The\tO\t-\npizza\tB-TARGET\tHighQuality\n\nGood\tO\t-\n".utf8)
        XCTAssertThrowsError(try CoNLLReader.parse(bytes: text, name: "t.tsv"))
        let s = try CoNLLReader.parse(bytes: text, name: "t.tsv", requireTags: false, readTags: false)
        XCTAssertEqual(s.map(\.tokens), [["The", "pizza"], ["Good"]])
        XCTAssertEqual(s.map(\.tags), [[], []])
        XCTAssertEqual(s.map(\.lines), [[1, 2], [4]])
        XCTAssertEqual(try CoNLLReader.parse(bytes: text, name: "t.tsv", tagColumn: 2).map(\.tags), [["O", "B-TARGET"], ["O"]])
    }

    func testDocstartLinesAreSkippedAndEndASentence() throws {
        let s = try parse("-DOCSTART- O\nDat O\nis O\n\n-DOCSTART- O\n\nBrussel B-LOC\n-DOCSTART- -X- O\nGent B-LOC\n")
        XCTAssertEqual(s.map(\.tokens), [["Dat", "is"], ["Brussel"], ["Gent"]])
        XCTAssertEqual(s.map(\.lines), [[2, 3], [7], [9]])
    }

    func testWhitespaceOnlyLinesEndSentencesAndRunsOfBlankLinesMakeNoEmptySentences() throws {
        let s = try parse("\n\na O\n   \nb O\n\t\n\n\nc O\n \t \n")
        XCTAssertEqual(s.map(\.tokens), [["a"], ["b"], ["c"]])
        XCTAssertEqual(s.map(\.lines), [[3], [5], [9]])
    }

    func testCRLFLineEnds() throws {
        let s = try parse("a\tB-PER\r\nb\tI-PER\r\n\r\nc\tO\r\n")
        XCTAssertEqual(s.map(\.tokens), [["a", "b"], ["c"]])
        XCTAssertEqual(s.map(\.tags), [["B-PER", "I-PER"], ["O"]])
        XCTAssertEqual(s.map(\.lines), [[1, 2], [4]])
    }

    func testLastSentenceWithoutTrailingBlankLineOrNewline() throws {
        XCTAssertEqual(try parse("a O\n\nb B-X\nc I-X").map(\.tokens), [["a"], ["b", "c"]])
        XCTAssertEqual(try parse("a O\n\nb B-X\nc I-X\n").map(\.tokens), [["a"], ["b", "c"]])
    }

    func testUTF8ByteOrderMarkIsSkipped() throws {
        let s = try CoNLLReader.parse(bytes: [0xEF, 0xBB, 0xBF] + Array("Ñandú\tB-LOC\n".utf8), name: "t.conll")
        XCTAssertEqual(s, [CoNLLSentence(tokens: ["Ñandú"], tags: ["B-LOC"], lines: [1])])
    }

    func testLeadingSeparatorMeansAnEmptyToken() throws {
        // MasakhaNER's xho/train.txt has two lines " O": an empty token tagged O.
        let s = try parse("Ndiyekeni O\n, O\n O\nuNdila B-PER\n")
        XCTAssertEqual(s[0].tokens, ["Ndiyekeni", ",", "", "uNdila"])
        XCTAssertEqual(s[0].tags, ["O", "O", "O", "B-PER"])
    }

    func testTokenOnlyFileWhenTagsAreNotRequired() throws {
        let s = try parse("Hello\nworld\n\nBye\n", requireTags: false)
        XCTAssertEqual(s, [CoNLLSentence(tokens: ["Hello", "world"], tags: [], lines: [1, 2]),
                           CoNLLSentence(tokens: ["Bye"], tags: [], lines: [4])])
        // A tagged file still reads (and is still checked) when tags are optional.
        XCTAssertEqual(try parse("a B-X\n", requireTags: false)[0].tags, ["B-X"])
        assertError("a E-X\n", requireTags: false,
                    "t.conll:1: found tag 'E-X'; expected O, B-TYPE or I-TYPE (BIO/IOB2 only; IOB1, IOE and IOBES tags are not accepted)")
    }

    func testUnicodeTokensAndTypes() throws {
        let s = try parse("አዲስ\tB-LOC\nአበባ\tI-LOC\n🙂\tO\nÉcole\tB-ÉTABLISSEMENT\n")
        XCTAssertEqual(s[0].tokens, ["አዲስ", "አበባ", "🙂", "École"])
        XCTAssertEqual(s[0].tags.last, "B-ÉTABLISSEMENT")
    }

    // MARK: errors, each with its exact line

    func testInvalidUTF8NamesLineAndByte() {
        assertError(Array("a O\nbc O\n".utf8) + [0x78, 0xC3, 0x28, 0x20, 0x4F, 0x0A],
                    "t.conll:3: invalid UTF-8 at byte 2 of the line; expected UTF-8 text")
        assertError([0xEF, 0xBB, 0xBF, 0x61, 0x20, 0x4F, 0x0A, 0xED, 0xA0, 0x80, 0x20, 0x4F],  // a surrogate
                    "t.conll:2: invalid UTF-8 at byte 1 of the line; expected UTF-8 text")
        assertError(Array("ab".utf8) + [0xC0, 0xAF] + Array(" O\n".utf8),  // overlong "/"
                    "t.conll:1: invalid UTF-8 at byte 3 of the line; expected UTF-8 text")
    }

    func testColumnCountDifferentFromFirstTokenLine() {
        assertError("-DOCSTART- -X- -X- O\n\na B-X\nb I-X\n\nc NN O\n",
                    "t.conll:6: found 3 columns; expected 2, as on line 3, the first token line")
        assertError("a NN B-X\nb O\n",
                    "t.conll:2: found 2 columns; expected 3, as on line 1, the first token line")
        assertError("Hello\nworld x\n", requireTags: false,
                    "t.conll:2: found 2 columns; expected 1, as on line 1, the first token line")
    }

    func testTokenWithoutTag() {
        assertError("Hello\nworld\n", "t.conll:1: found a token without a tag; expected a token and a tag separated by a TAB or spaces")
        assertError("a O\n\nb\n", "t.conll:3: found a token without a tag; expected a token and a tag separated by a TAB or spaces")
    }

    func testTagsOutsideBIO() {
        let suffix = "; expected O, B-TYPE or I-TYPE (BIO/IOB2 only; IOB1, IOE and IOBES tags are not accepted)"
        assertError("a B-PER\nb E-PER\n", "t.conll:2: found tag 'E-PER'" + suffix)
        assertError("a S-LOC\n", "t.conll:1: found tag 'S-LOC'" + suffix)
        assertError("a O\n\nb B-\n", "t.conll:3: found tag 'B-'" + suffix)
        assertError("a PER\n", "t.conll:1: found tag 'PER'" + suffix)
        assertError("a o\n", "t.conll:1: found tag 'o'" + suffix)
        assertError("a B_PER\n", "t.conll:1: found tag 'B_PER'" + suffix)
    }

    func testFilesWithoutSentences() {
        assertError("", "t.conll:1: found no token lines; expected at least one sentence")
        assertError([0xEF, 0xBB, 0xBF], "t.conll:1: found no token lines; expected at least one sentence")
        assertError("\n \n\t\n", "t.conll:3: found no token lines; expected at least one sentence")
        assertError("-DOCSTART- -X- O O\n\n", "t.conll:2: found no token lines; expected at least one sentence")
    }

    func testReadNamesMissingFilesAndDirectories() throws {
        let dir = try tempDir()
        let missing = dir.appendingPathComponent("nope.conll").path
        XCTAssertThrowsError(try CoNLLReader.read(path: missing)) {
            XCTAssertEqual("\($0)", "\(missing): no such file; expected a readable CoNLL file")
        }
        XCTAssertThrowsError(try CoNLLReader.read(path: dir.path)) {
            XCTAssertEqual("\($0)", "\(dir.path): is a directory; expected a readable CoNLL file")
        }
        let bad = dir.appendingPathComponent("bad.conll")
        try Data("a B-X\nb X-B\n".utf8).write(to: bad)
        XCTAssertThrowsError(try CoNLLReader.read(path: bad.path)) {
            XCTAssertEqual($0 as? CoNLLError, .invalidTag(file: bad.path, line: 2, tag: "X-B"))
        }
    }

    // MARK: writing

    let sample = [CoNLLSentence(tokens: ["Peter", "Blackburn", "lives", "in", "Ñandú"], tags: ["B-PER", "I-PER", "O", "O", "B-LOC"]),
                  CoNLLSentence(tokens: ["", "EU"], tags: ["O", "B-ORG"])]

    func testRenderIsTokenSepTagWithABlankLineAfterEachSentence() throws {
        XCTAssertEqual(String(decoding: try CoNLLWriter.render(sample), as: UTF8.self),
                       "Peter\tB-PER\nBlackburn\tI-PER\nlives\tO\nin\tO\nÑandú\tB-LOC\n\n\tO\nEU\tB-ORG\n\n")
        XCTAssertEqual(String(decoding: try CoNLLWriter.render([sample[1]], separator: .space), as: UTF8.self), " O\nEU B-ORG\n\n")
        XCTAssertEqual(String(decoding: try CoNLLWriter.render([CoNLLSentence(tokens: ["a", "b"], tags: [])]), as: UTF8.self), "a\nb\n\n")
        XCTAssertEqual(try CoNLLWriter.render([]), [])
    }

    func testWriteReadRoundTrip() throws {
        let dir = try tempDir()
        for separator in CoNLLWriter.Separator.allCases {
            let path = dir.appendingPathComponent("out-\(separator).conll").path
            try CoNLLWriter.write(sample, to: path, separator: separator)
            let back = try CoNLLReader.read(path: path)
            XCTAssertEqual(back.map(\.tokens), sample.map(\.tokens))
            XCTAssertEqual(back.map(\.tags), sample.map(\.tags))
            XCTAssertEqual(back.map(\.lines), [[1, 2, 3, 4, 5], [7, 8]])
            // Reading and writing again gives the same bytes.
            try CoNLLWriter.write(back, to: path + ".2", separator: separator)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: URL(fileURLWithPath: path + ".2")))
        }
        let tokensOnly = dir.appendingPathComponent("tokens.txt").path
        try CoNLLWriter.write([CoNLLSentence(tokens: ["x", "y"], tags: [])], to: tokensOnly)
        XCTAssertEqual(try CoNLLReader.read(path: tokensOnly, requireTags: false), [CoNLLSentence(tokens: ["x", "y"], tags: [], lines: [1, 2])])
    }

    func testWriterRefusesWhatWouldReadBackDifferently() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("x.conll").path
        let cases: [(CoNLLSentence, String)] = [
            (CoNLLSentence(tokens: ["New York"], tags: ["B-LOC"]),
             "\(path): sentence 2, token 1: token 'New York' contains a space, TAB or line break; expected one column"),
            (CoNLLSentence(tokens: ["a"], tags: ["B PER"]),
             "\(path): sentence 2, token 1: tag 'B PER' is empty or contains a space, TAB or line break; expected one column"),
            (CoNLLSentence(tokens: ["a", ""], tags: []),
             "\(path): sentence 2, token 2: empty token without a tag; expected a non-empty token (it would read as a sentence break)"),
            (CoNLLSentence(tokens: ["-DOCSTART-"], tags: ["O"]),
             "\(path): sentence 2, token 1: token '-DOCSTART-' opens a sentence; expected any other token (it would read as a document separator)"),
        ]
        for (bad, message) in cases {
            XCTAssertThrowsError(try CoNLLWriter.write([sample[0], bad], to: path)) { XCTAssertEqual("\($0)", message) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing is written on failure")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testAtomicWriteLeavesNothingOnFailureAndKeepsAnExistingFile() throws {
        let dir = try tempDir()
        // An existing file survives a failed write unchanged.
        let existing = dir.appendingPathComponent("keep.conll").path
        try CoNLLWriter.write([sample[0]], to: existing)
        let before = try Data(contentsOf: URL(fileURLWithPath: existing))
        XCTAssertThrowsError(try CoNLLWriter.write([CoNLLSentence(tokens: ["a b"], tags: ["O"])], to: existing))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), before)

        // The rename step fails (the destination is a non-empty directory): the temporary is removed.
        let target = dir.appendingPathComponent("adir")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: target.appendingPathComponent("inside"))
        XCTAssertThrowsError(try CoNLLWriter.write(sample, to: target.path)) { error in
            guard case CoNLLError.writeFailed(let file, let reason)? = error as? CoNLLError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, target.path)
            XCTAssertTrue(reason.hasPrefix("rename: "), reason)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["adir", "keep.conll"])

        // The directory does not exist: nothing is created anywhere.
        let nowhere = dir.appendingPathComponent("missing/out.conll").path
        XCTAssertThrowsError(try CoNLLWriter.write(sample, to: nowhere)) { error in
            XCTAssertEqual("\(error)", "\(nowhere): could not be written (No such file or directory); no partial file was left")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["adir", "keep.conll"])
    }

    // MARK: BIO

    func testBIOValidity() {
        for t in ["O", "B-PER", "I-PER", "B-GPE-LOC", "I-ÉVÉNEMENT", "B-x"] { XCTAssertTrue(BIO.isValid(t), t) }
        for t in ["", "o", "B", "I", "B-", "E-PER", "S-PER", "L-PER", "U-PER", "PER", "B_PER", "BPER", "O-PER"] { XCTAssertFalse(BIO.isValid(t), t) }
    }

    func testRepairTurnsUncontinuedIIntoB() {
        XCTAssertEqual(BIO.repair(["I-PER", "I-PER", "O", "I-LOC", "B-ORG", "I-LOC", "I-LOC", "B-LOC", "I-LOC"]),
                       ["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "B-LOC", "I-LOC", "B-LOC", "I-LOC"])
        XCTAssertEqual(BIO.repair([]), [])
        XCTAssertEqual(BIO.repair(["O", "B-X", "I-X"]), ["O", "B-X", "I-X"])
        // Idempotent, and a repaired sequence has the same spans.
        let tags = ["I-A", "I-B", "I-B", "O", "I-A", "B-A", "I-A"]
        XCTAssertEqual(BIO.repair(BIO.repair(tags)), BIO.repair(tags))
        XCTAssertEqual(BIO.spans(BIO.repair(tags)).map { "\($0.type)\($0.range)" }, BIO.spans(tags).map { "\($0.type)\($0.range)" })
    }

    func testSpans() {
        func spans(_ tags: [String]) -> [String] { BIO.spans(tags).map { "\($0.type)@\($0.range.lowerBound)..<\($0.range.upperBound)" } }
        XCTAssertEqual(spans(["B-PER", "I-PER", "O", "I-LOC"]), ["PER@0..<2", "LOC@3..<4"])
        XCTAssertEqual(spans(["B-PER", "B-PER", "I-PER"]), ["PER@0..<1", "PER@1..<3"])
        XCTAssertEqual(spans(["B-PER", "I-LOC", "I-LOC"]), ["PER@0..<1", "LOC@1..<3"])
        XCTAssertEqual(spans(["O", "O"]), [])
        XCTAssertEqual(spans([]), [])
        XCTAssertEqual(spans(["I-X"]), ["X@0..<1"])
        XCTAssertEqual(spans(["B-A-B", "I-A-B", "I-A"]), ["A-B@0..<2", "A@2..<3"])
    }

    // MARK: the real corpora

    static var corporaRoot: URL {
        if let env = ProcessInfo.processInfo.environment["CROSSTALK_DATA"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpora")
    }

    struct Counts: Equatable, CustomStringConvertible {
        var sentences = 0, tokens = 0, entities = 0, docstarts = 0
        var description: String { "\(sentences) sentences, \(tokens) tokens, \(entities) entities" }
    }

    func counts(_ url: URL) throws -> Counts {
        let sentences = try CoNLLReader.read(path: url.path)
        var c = Counts()
        c.sentences = sentences.count
        for s in sentences {
            c.tokens += s.tokens.count
            c.entities += BIO.spans(s.tags).count
            XCTAssertEqual(s.tags.count, s.tokens.count)
        }
        let data = try Data(contentsOf: url)
        if data.starts(with: Data("-DOCSTART-".utf8)) { c.docstarts += 1 }
        var from = data.startIndex
        while let r = data.range(of: Data("\n-DOCSTART-".utf8), in: from..<data.endIndex) { c.docstarts += 1; from = r.upperBound }
        return c
    }

    /// The "| `file` | split | sentences | tokens | entities |" rows of a corpus README.
    func readmeRows(_ readme: URL) throws -> [(file: String, counts: Counts)] {
        var rows = [(file: String, counts: Counts)]()
        for line in try String(contentsOf: readme, encoding: .utf8).split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, let s = Int(cells[2]), let t = Int(cells[3]), let e = Int(cells[4]) else { continue }
            rows.append((cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")), Counts(sentences: s, tokens: t, entities: e)))
        }
        return rows
    }

    func testEveryCoNLLFileOfTheCorporaReadsWithTheREADMECounts() throws {
        let root = Self.corporaRoot
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("conll_ner").path) else {
            throw XCTSkip("skipped: corpus not found")
        }
        let fm = FileManager.default
        var files = [URL]()
        func add(_ dir: String, _ match: (String) -> Bool) throws {
            let base = root.appendingPathComponent(dir)
            for rel in try fm.subpathsOfDirectory(atPath: base.path).sorted() where match(rel) {
                files.append(base.appendingPathComponent(rel))
            }
        }
        try add("masakhaner") { $0.hasSuffix("/train.txt") || $0.hasSuffix("/dev.txt") }
        try add("conll_ner") { $0.hasSuffix(".tsv") }
        try add("crossner") { $0.hasSuffix(".txt") && $0.contains("/") }
        try add("europarl_ner") { $0.hasSuffix(".conll02") }
        XCTAssertEqual(files.count, 42 + 4 + 10 + 4)

        var measured = [String: Counts]()
        for f in files {
            let rel = f.path.dropFirst(root.path.count + 1)
            do { measured[String(rel)] = try counts(f) } catch { XCTFail("\(error)") }
        }

        // A handful stated exactly (from the READMEs).
        XCTAssertEqual(measured["conll_ner/es/es.conll.train.tsv"], Counts(sentences: 8323, tokens: 264715, entities: 18798))
        XCTAssertEqual(measured["conll_ner/es/es.conll.dev.tsv"], Counts(sentences: 1915, tokens: 52923, entities: 4352))
        // The README's 37761 tokens for Dutch testa include its 74 "-DOCSTART- O" lines, which are not tokens.
        XCTAssertEqual(measured["conll_ner/nl/nl.conll.dev.tsv"], Counts(sentences: 2895, tokens: 37761 - 74, entities: 2616, docstarts: 74))
        XCTAssertEqual(measured["masakhaner/xho/train.txt"], Counts(sentences: 5718, tokens: 86647, entities: 6786))
        XCTAssertEqual(measured["masakhaner/amh/dev.txt"], Counts(sentences: 250, tokens: 3749, entities: 328))
        XCTAssertEqual(measured["crossner/politics/dev.txt"], Counts(sentences: 541, tokens: 24624, entities: 3482))
        XCTAssertEqual(measured["europarl_ner/en-europarl.test.conll02"], Counts(sentences: 799, tokens: 22320, entities: 702))

        // Every row of every README.
        var checked = 0
        for corpus in ["masakhaner", "conll_ner", "crossner", "europarl_ner"] {
            for row in try readmeRows(root.appendingPathComponent(corpus).appendingPathComponent("README.md")) {
                let key = "\(corpus)/\(row.file)"
                guard let m = measured[key] else { XCTFail("\(key): listed in the README but not read"); continue }
                XCTAssertEqual(m.sentences, row.counts.sentences, "\(key) sentences")
                XCTAssertEqual(m.tokens + m.docstarts, row.counts.tokens, "\(key) tokens (+ -DOCSTART- lines, which its README counts)")
                XCTAssertEqual(m.entities, row.counts.entities, "\(key) entities")
                checked += 1
            }
        }
        XCTAssertEqual(checked, files.count, "every file has a README row")
    }
}
