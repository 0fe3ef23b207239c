// The scorer weights `crosstalk project run --method tprojection` uses when no --weights file is
// given: fitted by `crosstalk project fit` (no tagger, Apertium where installed, L2 1) on Europarl
// NER en→de/es/it sentences 1–300 — the command is in Scripts/bench/projection_tprojection.md,
// with the held-out (leave-one-language-out) F1 of weights fitted the same way on two languages.
// Regenerate with that command after changing any feature; the names must match CandidateFeatures.
import Foundation

extension CandidateScorer {
    /// Weights fitted on Europarl NER en→de/es/it (see the file header).
    public static let europarl: CandidateScorer = {
        // Decoding a literal that ships with the binary; a failure is a build defect, tested by ProjectionTests.
        try! JSONDecoder().decode(CandidateScorer.self, from: Data(europarlJSON.utf8))
    }()

    static let europarlJSON = #"""
{
 "usedTagger": false,
 "bias": -8.508330863394209,
 "features": [
  "context_cos",
  "context_gap",
  "isolated_cos",
  "isolated_gap",
  "align_precision",
  "align_recall",
  "surface_dice",
  "surface_exact",
  "number_agreement",
  "mt_forward_dice",
  "mt_backward_dice",
  "mt_available",
  "tagger_exact",
  "tagger_overlap",
  "length_log_ratio",
  "edge_punctuation",
  "origin_alignment",
  "align_baseline",
  "first_case_agreement",
  "last_case_agreement",
  "outside_case"
 ],
 "fittedOn": "Europarl NER en → de/es/it, sentences 1–300 (europarl_ner: en-europarl.test.conll02 → {de,es,it}-europarl.s001-300.conll02), e5-small layer 7, Apertium for es and it, no tagger (9510 rows, 752 correct; gold spans 797, 752 among the candidates; L2 1; threshold 0.40: micro F1 91.98 on the same data)",
 "mean": [
  0.6516501727665762,
  -0.18700765342805162,
  0.8976631724433317,
  -0.05283093752670489,
  0.4618131025583649,
  0.9152718946447382,
  0.3568082081073686,
  0.020609884332281808,
  0.5026288117770767,
  0.18505572606363851,
  0.3281751025879421,
  0.6677181913774973,
  0,
  0,
  0.9476413012663398,
  0.0012618296529968455,
  0.6455310199789696,
  0.08286014721345952,
  0.42176656151419556,
  0.4543638275499474,
  0.10736067297581493
 ],
 "scale": [
  0.1451641182342416,
  0.14508506372700206,
  0.035342802435657905,
  0.03578711434924871,
  0.291279115643669,
  0.22698598811206835,
  0.22417153279037938,
  0.142074336176851,
  0.08544697823161305,
  0.2494525085008133,
  0.3156360119284671,
  0.4710314302474747,
  1,
  1,
  0.5568048251176443,
  0.035499823082990704,
  0.47835209022631714,
  0.2756707151969823,
  0.49384160325215903,
  0.4979129841288261,
  0.22251897753206215
 ],
 "threshold": 0.4,
 "weights": [
  0.1252848284987395,
  2.218886504435423,
  0.024066323529321604,
  1.01899617824443,
  0.804078385839722,
  -0.19439692409573656,
  -0.17810876210768803,
  0.40989105720495106,
  0.012827271260433582,
  0.06459925888627369,
  0.1909576130158981,
  -0.35295079336410234,
  0,
  0,
  -0.3760531667446316,
  -0.010596549165433294,
  -0.558257460030707,
  1.294127017988869,
  0.7633792569586708,
  0.025210194044674866,
  -0.8656614724842407
 ]
}
"""#
}
