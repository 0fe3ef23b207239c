// Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF)
// with the position of the first bad sequence as (line, byte within the line), both 1-based, so a
// reader can say "FILE:LINE: invalid UTF-8 at byte K". Shared by the corpus readers and the
// command line. Leaves out repair; `UTF8Check.replacingInvalid` substitutes U+FFFD instead.

public enum UTF8Check {
    /// The 1-based line and byte-within-line of the first invalid sequence, or nil for valid UTF-8.
    public static func firstInvalid(_ bytes: [UInt8]) -> (line: Int, byte: Int)? {
        bytes.withUnsafeBufferPointer { p -> (line: Int, byte: Int)? in
            let n = p.count
            var i = 0
            while i < n {
                // Fast path: 8 ASCII bytes at a time.
                if i + 8 <= n {
                    let w = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self)
                    if w & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
                }
                let b0 = p[i]
                if b0 < 0x80 { i += 1; continue }
                var len = 0
                var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
                switch b0 {
                case 0xC2...0xDF: len = 2
                case 0xE0: len = 3; lo = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: len = 3
                case 0xED: len = 3; hi = 0x9F
                case 0xF0: len = 4; lo = 0x90
                case 0xF1...0xF3: len = 4
                case 0xF4: len = 4; hi = 0x8F
                default: len = 0
                }
                var ok = len > 0 && i + len <= n
                if ok {
                    let b1 = p[i + 1]
                    ok = b1 >= lo && b1 <= hi
                    var k = 2
                    while ok && k < len { ok = p[i + k] & 0xC0 == 0x80; k += 1 }
                }
                if !ok {
                    var line = 1, lineStart = 0
                    for j in 0..<i where p[j] == 0x0A { line += 1; lineStart = j + 1 }
                    return (line, i - lineStart + 1)
                }
                i += len
            }
            return nil
        }
    }

    /// `bytes` with every invalid sequence replaced by U+FFFD (Swift's decoder, the WHATWG rule).
    public static func replacingInvalid(_ bytes: [UInt8]) -> [UInt8] {
        firstInvalid(bytes) == nil ? bytes : Array(String(decoding: bytes, as: UTF8.self).utf8)
    }
}
