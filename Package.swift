// swift-tools-version:6.0
// Crosstalk: transfer learning across languages and modalities, on libsentencepiece,
// libsndfile, FFTW, libsoxr and OpenBLAS. See ../shared/ARCHITECTURE.md for the module map.
import PackageDescription

// The numeric modules are compiled with -O in debug builds too: unoptimised element-wise Swift is
// 30-100× slower (an encoder forward pass over 300 sentences: 307 s instead of 8 s), which would
// make the parity tests on real weights impractical. Everything else keeps -Onone for debugging.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Crosstalk",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "crosstalk", targets: ["crosstalk"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "AudioFeatures", targets: ["AudioFeatures"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Corpora", targets: ["Corpora"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Tagging", targets: ["Tagging"]),
        .library(name: "Projection", targets: ["Projection"]),
        .library(name: "Probes", targets: ["Probes"]),
        .library(name: "Signals", targets: ["Signals"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: C shims and system libraries (found by pkg-config, installed by Scripts/setup)
        .target(
            name: "CSentencePiece",
            path: "Sources/CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("sentencepiece_train")]
        ),
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CSndfile", path: "Sources/CSndfile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", path: "Sources/CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"])]),
        // OpenBLAS: only cblas.h's types come from here (libopenblas-dev puts it on the multiarch
        // include path); TensorCore loads the library itself at first use (see TensorCore/BLAS.swift
        // for why it is neither linked nor the serial build).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),

        // MARK: libraries
        .target(name: "Tokenization", dependencies: ["CSentencePiece"]),
        .target(name: "AudioFeatures", dependencies: ["CSndfile", "CFFTW", "CSoxr"], swiftSettings: optimizedInDebug),
        .target(name: "TensorCore", dependencies: ["COpenBLAS"], swiftSettings: optimizedInDebug),
        .target(name: "Autograd", dependencies: ["TensorCore"], swiftSettings: optimizedInDebug),
        .target(name: "NN", dependencies: ["Autograd", "TensorCore"], swiftSettings: optimizedInDebug),
        .target(name: "Models", dependencies: ["TensorCore", "Tokenization", "NN", "Autograd"], swiftSettings: optimizedInDebug),
        .target(name: "Corpora"),
        .target(name: "Evaluation", dependencies: ["Corpora"]),
        .target(name: "Tagging", dependencies: ["Models", "NN", "Autograd", "TensorCore", "Tokenization", "Corpora", "Evaluation"],
                swiftSettings: optimizedInDebug),
        .target(name: "Projection", dependencies: ["Models", "TensorCore", "Tokenization", "Corpora", "Evaluation", "Probes"],
                swiftSettings: optimizedInDebug),
        .target(name: "Probes", dependencies: ["TensorCore", "AudioFeatures"], swiftSettings: optimizedInDebug),
        // Signals plans FFTW in double precision (libfftw3, same Debian package as fftw3f) for scipy parity.
        .target(name: "Signals", dependencies: ["AudioFeatures", "CFFTW"], swiftSettings: optimizedInDebug,
                linkerSettings: [.linkedLibrary("fftw3")]),
        // Seeded MIDI composition and fluidsynth rendering of the synthetic music corpus (`crosstalk corpus music`).
        .target(name: "SyntheticMusic"),

        // MARK: tool
        .executableTarget(
            name: "crosstalk",
            dependencies: [
                "Tokenization", "AudioFeatures", "TensorCore", "Models", "CFFTW",
                "Autograd", "NN", "Corpora", "Evaluation", "Tagging", "Projection", "Probes", "Signals", "SyntheticMusic",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: tests
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "AudioFeaturesTests", dependencies: ["AudioFeatures"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TensorCore", "Tokenization"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "TensorCore"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autograd", "TensorCore"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "CorporaTests", dependencies: ["Corpora"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Corpora"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "TaggingTests", dependencies: ["Tagging", "Models", "NN", "Autograd", "TensorCore", "Corpora", "Evaluation"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "ProjectionTests", dependencies: ["Projection", "Models", "TensorCore", "Corpora", "Evaluation"]),
        .testTarget(name: "ProbesTests", dependencies: ["Probes"], resources: [.copy("Resources")]),
        .testTarget(name: "SignalsTests", dependencies: ["Signals"], resources: [.copy("Resources")]),
        .testTarget(name: "SyntheticMusicTests", dependencies: ["SyntheticMusic"]),
        .testTarget(name: "CLITests", dependencies: ["AudioFeatures"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
