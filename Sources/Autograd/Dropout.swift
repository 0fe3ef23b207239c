// Inverted dropout (torch.nn.functional.dropout in training mode): each element is kept with
// probability 1 − p and scaled by 1/(1 − p); the same mask scales the gradient. The mask comes
// from the caller's SeededGenerator, so a seed (and a restored generator state) gives the same
// masks. p = 0 returns x itself.

import TensorCore

public func dropout(_ x: Variable, p: Float, generator: inout SeededGenerator) -> Variable {
    precondition(p >= 0 && p < 1, "dropout: p \(p) outside [0, 1)")
    if p == 0 { return x }
    let mask = Tensor(uninitialized: x.shape)
    let scale = 1 / (1 - p)
    let mp = mask.base
    for i in 0..<mask.count { mp[i] = generator.nextUniform() < p ? 0 : scale }
    return record(x.value * mask, [x]) { g in [g * mask] }
}
