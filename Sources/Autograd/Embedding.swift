// Embedding gather (TensorCore.embedding) and its gradient: the output gradient's rows are
// added into the rows of a zero table gradient they came from (repeated ids accumulate).

import TensorCore

/// Rows of `table` picked by `ids`.
/// - table: [V, C]; ids: in C order for `idsShape` (e.g. [B, T]) → idsShape + [C]
public func embedding(_ table: Variable, ids: [Int], idsShape: [Int]) -> Variable {
    let y = TensorCore.embedding(table.value, ids: ids, idsShape: idsShape)
    let tableShape = table.shape
    return record(y, [table]) { g in
        let gc = g.contiguous()
        let c = tableShape[1]
        let out = Tensor(zeros: tableShape)
        let gp = gc.base, op = out.base
        for (i, id) in ids.enumerated() {
            let src = gp + i * c, dst = op + id * c
            for j in 0..<c { dst[j] += src[j] }
        }
        return [out]
    }
}
