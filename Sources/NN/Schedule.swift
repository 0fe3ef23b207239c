// Learning-rate schedules as multipliers of the base rate at optimiser step s (0-based, the
// step about to be taken), mirroring transformers' get_linear_schedule_with_warmup and
// get_cosine_schedule_with_warmup (LambdaLR stepped after each optimiser step, so the first
// step uses λ(0), which is 0 when there is warm-up).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct LRSchedule: Equatable, Sendable {
    public enum Decay: String, Sendable, CaseIterable { case linear, cosine, constant }
    public var warmupSteps: Int
    public var totalSteps: Int
    public var decay: Decay

    public init(warmupSteps: Int, totalSteps: Int, decay: Decay) {
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
        self.decay = decay
    }

    /// λ(s) ∈ [0, 1].
    public func multiplier(step s: Int) -> Float {
        if s < warmupSteps { return Float(s) / Float(max(1, warmupSteps)) }
        let progress = Double(s - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        switch decay {
        case .constant: return 1
        case .linear: return Float(max(0, Double(totalSteps - s) / Double(max(1, totalSteps - warmupSteps))))
        case .cosine: return Float(max(0, 0.5 * (1 + cos(Double.pi * progress))))
        }
    }
}
