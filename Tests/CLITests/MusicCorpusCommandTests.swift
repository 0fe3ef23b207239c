// `crosstalk corpus music` as a user runs it: MIDI-only corpora are identical for a seed, tags.csv
// agrees with the program changes in the MIDI files and with clips.csv, the README says the data
// are synthetic; two short clips render to WAV when fluidsynth and a GM soundfont are installed;
// bad input gets one line, a non-zero exit and leaves nothing behind.
import AudioFeatures
import Foundation
import XCTest

final class MusicCorpusCommandTests: XCTestCase {
    static let families = ["piano", "organ", "guitar", "bass", "strings", "brass", "woodwind", "voice", "drums"]

    func csv(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Program-change numbers and whether channel 10 plays, scanning the MIDI events (no running status).
    func programs(inMIDI path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (programs: [Int], drums: Bool) {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(b[0..<4]), Array("MThd".utf8), path, file: file, line: line)
        var p = 14, programs: [Int] = [], drums = false
        while p + 8 <= b.count {
            XCTAssertEqual(Array(b[p..<p + 4]), Array("MTrk".utf8), path, file: file, line: line)
            let end = p + 8 + (Int(b[p + 4]) << 24 | Int(b[p + 5]) << 16 | Int(b[p + 6]) << 8 | Int(b[p + 7]))
            p += 8
            while p < end {
                while b[p] & 0x80 != 0 { p += 1 }
                p += 1  // last delta byte
                let s = b[p]
                if s == 0xFF {
                    p += 2
                    var n = 0
                    while true { let c = b[p]; p += 1; n = n << 7 | Int(c & 0x7F); if c < 0x80 { break } }
                    p += n
                } else if s & 0xF0 == 0xC0 { programs.append(Int(b[p + 1])); p += 2 }
                else { if s == 0x99 { drums = true }; p += 3 }
            }
        }
        XCTAssertEqual(p, b.count, path, file: file, line: line)
        return (programs, drums)
    }

    func testMidiOnlyCorpusIsDeterministicAndTagsMatchPrograms() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        for out in [a, b] {
            let r = try CLI.run(["corpus", "music", "--out", out, "--clips", "24", "--seed", "5", "--seconds", "4", "--midi-only"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let tags = try csv(a + "/tags.csv")
        XCTAssertEqual(tags[0], ["file", "split"] + Self.families)
        XCTAssertEqual(tags.count, 25)
        let clips = try csv(a + "/clips.csv")
        XCTAssertEqual(clips.count, 25)
        for (i, (row, meta)) in zip(tags.dropFirst(), clips.dropFirst()).enumerated() {
            let name = String(format: "clip-%04d", i)
            XCTAssertEqual(row[0], "midi/\(name).mid")
            XCTAssertTrue(["train", "test"].contains(row[1]))
            let midi = a + "/midi/\(name).mid"
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: midi)), try Data(contentsOf: URL(fileURLWithPath: b + "/midi/\(name).mid")), "\(name) differs between runs")
            let (programs, drums) = try programs(inMIDI: midi)
            let tagged = Self.families.enumerated().filter { row[$0.offset + 2] == "1" }.map(\.element)
            XCTAssertTrue((1...3).contains(tagged.count), "\(name): \(tagged)")
            XCTAssertEqual(tagged.contains("drums"), drums, name)
            XCTAssertEqual(programs.count, tagged.count - (drums ? 1 : 0), name)
            XCTAssertEqual(meta[0], name)
            XCTAssertEqual(meta[2], tagged.joined(separator: ";"))
            // clips.csv's family:program pairs are the MIDI program changes.
            let listed = meta[3].split(separator: ";").compactMap { Int($0.split(separator: ":")[1]) }
            XCTAssertEqual(listed.sorted(), programs.sorted(), name)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/tags.csv")), try Data(contentsOf: URL(fileURLWithPath: b + "/tags.csv")))
        let readme = try String(contentsOfFile: a + "/README.md", encoding: .utf8)
        XCTAssertTrue(readme.contains("These data are synthetic"))
        XCTAssertTrue(readme.contains("--clips 24 --seed 5"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["a", "b"], "no temporaries left")

        let other = dir.appendingPathComponent("c").path
        XCTAssertEqual(try CLI.run(["corpus", "music", "--out", other, "--clips", "24", "--seed", "6", "--seconds", "4", "--midi-only"]).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: other + "/midi/clip-0000.mid")),
                          try Data(contentsOf: URL(fileURLWithPath: a + "/midi/clip-0000.mid")))
    }

    func testRendersTwoShortClipsWithFluidsynth() throws {
        _ = try CLI.tool("fluidsynth")
        guard FileManager.default.fileExists(atPath: "/usr/share/sounds/sf2/TimGM6mb.sf2") else {
            throw XCTSkip("skipped: timgm6mb-soundfont not installed (Scripts/setup installs it)")
        }
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("music").path
        let r = try CLI.run(["corpus", "music", "--out", out, "--clips", "2", "--seed", "1", "--seconds", "2", "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let list = try String(contentsOfFile: out + "/files.txt", encoding: .utf8)
        XCTAssertEqual(list, "audio/clip-0000.wav\naudio/clip-0001.wav\n")
        XCTAssertEqual(try csv(out + "/tags.csv").dropFirst().map { $0[0] }, ["audio/clip-0000.wav", "audio/clip-0001.wav"])
        for name in ["clip-0000", "clip-0001"] {
            let audio = try AudioFile.read(path: out + "/audio/\(name).wav")
            XCTAssertEqual(audio.sampleRate, 22050)
            XCTAssertEqual(audio.channels, 2)
            XCTAssertGreaterThanOrEqual(audio.frames, 2 * 22050, "at least the 2 s of MIDI")
            XCTAssertLessThan(audio.frames, 6 * 22050, "a release tail, not minutes")
            let peak = audio.samples.map(abs).max() ?? 0
            XCTAssertGreaterThan(peak, 0.01, "\(name) is not silent")
            XCTAssertLessThan(peak, 1.0, "\(name) does not clip")
        }
        let readme = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        XCTAssertTrue(readme.contains("These data are synthetic"))
        XCTAssertTrue(readme.contains("TimGM6mb.sf2"))
        XCTAssertTrue(readme.contains("GPL-2"))
        XCTAssertTrue(readme.contains("fluidsynth 2."), readme)
    }

    func testBadInputIsOneLineAndLeavesNothingBehind() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("music").path
        assertOneLineError(try CLI.run(["corpus", "music", "--out", out, "--clips", "0"]), contains: ["--clips 0", "at least 1"])
        assertOneLineError(try CLI.run(["corpus", "music", "--out", out, "--seconds=-1"]), contains: ["--seconds -1.0"])
        assertOneLineError(try CLI.run(["corpus", "music", "--out", out, "--clips", "2", "--soundfont", dir.path + "/nope.sf2"]),
                           contains: ["nope.sf2: no such file", "General MIDI"])
        let junk = try CLI.write("not a soundfont", "junk.sf2", in: dir)
        assertOneLineError(try CLI.run(["corpus", "music", "--out", out, "--clips", "2", "--soundfont", junk]), contains: ["junk.sf2: not a SoundFont"])
        try FileManager.default.removeItem(atPath: junk)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "nothing left behind")
        // An existing directory is never overwritten.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        assertOneLineError(try CLI.run(["corpus", "music", "--out", out, "--clips", "2", "--midi-only"]), contains: ["already exists"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["music"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
        // A soundfont whose header passes but whose body fluidsynth cannot load: the render fails, no corpus appears.
        if (try? CLI.tool("fluidsynth")) != nil {
            let broken = dir.appendingPathComponent("broken.sf2")
            try Data(Array("RIFF".utf8) + [4, 0, 0, 0] + Array("sfbkLIST-garbage".utf8)).write(to: broken)
            let fresh = dir.appendingPathComponent("fresh").path
            let r = try CLI.run(["corpus", "music", "--out", fresh, "--clips", "2", "--seconds", "1", "--soundfont", broken.path])
            assertOneLineError(r, contains: ["midi/clip-000", "fluidsynth"])
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["broken.sf2", "music"])
        }
    }
}
