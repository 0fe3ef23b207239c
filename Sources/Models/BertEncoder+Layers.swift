// BertEncoder+Layers: the hidden state after the first L layers, transformers'
// `output_hidden_states=True` → `hidden_states[L]` (4.x: index 0 is the embedding LayerNorm output,
// index L the output of layer L), which word aligners read from a middle layer (SimAlign and
// awesome-align take hidden_states[8] of mBERT's 12). Runs only layers 0..<L, so a middle layer
// costs L/N of a full pass. `forward(ids:mask:typeIds:workers:)` is this with L = layerCount, so the
// encoder parity goldens test this code path.
// Leaves out returning several layers from one pass.

import TensorCore

extension BertEncoder {
    /// hidden_states[upToLayer] of a padded batch: embeddings (upToLayer = 0), or the output of
    /// layer `upToLayer` (1-based; `config.layerCount` gives the last hidden state).
    /// - ids: [B][T] model ids, equal row lengths; mask: [B][T], 1 for tokens; typeIds: [B][T] or nil (all 0)
    /// - workers: threads inside each operation, as in `forward`
    /// - returns: [B, T, C]
    public func forward(ids: [[Int32]], mask: [[Int32]], typeIds: [[Int32]]? = nil, workers: Int = 1,
                        upToLayer: Int) -> Tensor {
        precondition(upToLayer >= 0 && upToLayer <= layers.count,
                     "forward: upToLayer \(upToLayer) outside 0...\(layers.count)")
        let b = ids.count, t = ids.first?.count ?? 0, c = config.hiddenSize
        let h = config.headCount, d = c / h
        precondition(ids.allSatisfy { $0.count == t } && mask.count == b && mask.allSatisfy { $0.count == t },
                     "forward: ids and mask must be [B][T] with equal rows")
        precondition(t + config.positionIdsStart <= config.maxPositions, "forward: \(t) tokens exceed max positions \(config.maxPositions) (first position \(config.positionIdsStart))")
        let flatIds = ids.flatMap { $0.map { Int($0) } }
        precondition(flatIds.allSatisfy { $0 >= 0 && $0 < config.vocabularySize }, "forward: id outside 0..<\(config.vocabularySize)")
        // Embeddings: word + position + type, then LayerNorm.   [B, T, C]
        var x = embedding(word, ids: flatIds, idsShape: [b, t])
        x += embedding(position, ids: BertEncoder.positionIds(mask: mask, start: config.positionIdsStart), idsShape: [b, t])
        let types = typeIds.map { $0.flatMap { $0.map { Int($0) } } } ?? [Int](repeating: 0, count: b * t)
        x += embedding(tokenType, ids: types, idsShape: [b, t])
        x = layerNorm(x, gamma: embNorm.g, beta: embNorm.b, eps: eps)
        let padded = mask.contains { $0.contains(0) }
        let additive: Tensor? = padded
            ? Tensor(mask.flatMap { $0.map { $0 != 0 ? Float(0) : -Float.infinity } }, shape: [b, 1, 1, t]) : nil
        let scale = 1 / Float(d).squareRoot()
        for layer in layers.prefix(upToLayer) {
            // Self-attention: one GEMM for q, k, v [B, T, 3C] → three [B, H, T, D] views (row stride 3C).
            let qkv = linear(x, weight: layer.qkv.w, bias: layer.qkv.b, residual: nil, workers: workers).reshaped([b, t, 3, h, d])
            let q = qkv.select(axis: 2, 0).permuted([0, 2, 1, 3])
            let k = qkv.select(axis: 2, 1).permuted([0, 2, 1, 3])
            let v = qkv.select(axis: 2, 2).permuted([0, 2, 1, 3])
            var scores = matmul(q, k, transposeB: true, workers: workers)           // [B, H, T, T]
            scores *= scale
            let probs = softmax(scores, mask: additive)                              // [B, H, T, T]
            let context = matmul(probs, v, workers: workers)                         // [B, H, T, D]
                .permuted([0, 2, 1, 3]).contiguous().reshaped([b, t, c])
            // Output projection with bias and residual accumulated in the GEMM (beta 1).
            let attn = linear(context, weight: layer.attnOut.w, bias: layer.attnOut.b, residual: x, workers: workers)
            x = layerNorm(attn, gamma: layer.attnNorm.g, beta: layer.attnNorm.b, eps: eps)
            // Feed-forward: GELU(x·W1ᵀ + b1)·W2ᵀ + b2, residual, LayerNorm.
            let inner = linear(x, weight: layer.inter.w, bias: layer.inter.b, residual: nil, workers: workers)   // [B, T, F]
            if workers > 1 {
                let n = inner.count, per = (n + workers - 1) / workers
                Parallel.forEach(workers, workers: workers) { c in
                    let lo = c * per, hi = min(n, lo + per)
                    if lo < hi { geluRows(inner.base + lo, inner.base + lo, count: hi - lo, approximation: activation) }
                }
            } else {
                geluInPlace(inner, approximation: activation)
            }
            let ff = linear(inner, weight: layer.out.w, bias: layer.out.b, residual: x, workers: workers)
            x = layerNorm(ff, gamma: layer.outNorm.g, beta: layer.outNorm.b, eps: eps)
        }
        return x
    }
}
