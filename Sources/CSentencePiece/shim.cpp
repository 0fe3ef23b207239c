// shim.cpp: extern "C" wrappers over sentencepiece::SentencePieceProcessor and
// SentencePieceTrainer (libsentencepiece 0.1.97). Each wrapper converts a
// util::Status or a C++ exception into a malloc'd message; nothing here throws.
// Encode results live in a thread-local std::vector<int> so the hot path makes no
// allocation per call. Not here: any policy (bos/eos, padding): that is Swift's.
#include "csentencepiece.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sentencepiece {
namespace logging {
void SetMinLogLevel(int v);  // exported by libsentencepiece, not declared in its headers
}
}  // namespace sentencepiece

struct csp_processor {
  sentencepiece::SentencePieceProcessor sp;
};

static_assert(sizeof(int) == sizeof(int32_t), "ids are copied as int32_t");

namespace {

char *dup_bytes(const char *data, size_t n) {
  char *p = static_cast<char *>(std::malloc(n + 1));
  if (p == nullptr) return nullptr;
  if (n) std::memcpy(p, data, n);
  p[n] = '\0';
  return p;
}

void set_error(char **error, const std::string &message) {
  if (error != nullptr) *error = dup_bytes(message.data(), message.size());
}

bool check(const sentencepiece::util::Status &status, char **error) {
  if (status.ok()) return true;
  set_error(error, status.ToString());
  return false;
}

std::vector<int> &tls_ids() {
  thread_local std::vector<int> ids;
  return ids;
}

int pack_strings(const std::vector<std::string> &v, csp_string_list *out) {
  size_t total = 0;
  for (const auto &s : v) total += s.size();
  out->count = v.size();
  out->bytes = static_cast<char *>(std::malloc(total + 1));
  out->offsets = static_cast<size_t *>(std::malloc((v.size() + 1) * sizeof(size_t)));
  if (out->bytes == nullptr || out->offsets == nullptr) return -1;
  size_t at = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    out->offsets[i] = at;
    if (!v[i].empty()) std::memcpy(out->bytes + at, v[i].data(), v[i].size());
    at += v[i].size();
  }
  out->offsets[v.size()] = at;
  return 0;
}

int out_string(const std::string &s, char **out, size_t *out_length) {
  *out = dup_bytes(s.data(), s.size());
  *out_length = s.size();
  return *out == nullptr ? -1 : 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::mutex &seed_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

#define CSP_TRY try {
#define CSP_CATCH(fail)                                             \
  }                                                                 \
  catch (const std::exception &e) {                                 \
    set_error(error, std::string("C++ exception: ") + e.what());    \
    return fail;                                                    \
  }                                                                 \
  catch (...) {                                                     \
    set_error(error, "unknown C++ exception");                      \
    return fail;                                                    \
  }

extern "C" {

// MARK: memory

void csp_string_free(char *s) { std::free(s); }

void csp_string_list_free(csp_string_list *list) {
  if (list == nullptr) return;
  std::free(list->bytes);
  std::free(list->offsets);
  list->bytes = nullptr;
  list->offsets = nullptr;
  list->count = 0;
}

void csp_id_lists_free(csp_id_lists *lists) {
  if (lists == nullptr) return;
  std::free(lists->ids);
  std::free(lists->offsets);
  lists->ids = nullptr;
  lists->offsets = nullptr;
  lists->count = 0;
}

// MARK: load / free

csp_processor *csp_load_file(const char *path, char **error) {
  CSP_TRY
  auto p = std::make_unique<csp_processor>();
  if (!check(p->sp.Load(std::string_view(path)), error)) return nullptr;
  return p.release();
  CSP_CATCH(nullptr)
}

csp_processor *csp_load_bytes(const void *data, size_t length, char **error) {
  CSP_TRY
  auto p = std::make_unique<csp_processor>();
  std::string_view bytes(static_cast<const char *>(data), length);
  if (!check(p->sp.LoadFromSerializedProto(bytes), error)) return nullptr;
  return p.release();
  CSP_CATCH(nullptr)
}

void csp_free(csp_processor *processor) { delete processor; }

// MARK: encode

const int32_t *csp_encode(const csp_processor *processor, const char *text,
                          size_t length, size_t *count, char **error) {
  CSP_TRY
  auto &ids = tls_ids();
  if (!check(processor->sp.Encode(std::string_view(text, length), &ids), error))
    return nullptr;
  *count = ids.size();
  // A non-null pointer even for an empty result, so NULL always means failure.
  static const int32_t empty = 0;
  return ids.empty() ? &empty : reinterpret_cast<const int32_t *>(ids.data());
  CSP_CATCH(nullptr)
}

int csp_encode_pieces(const csp_processor *processor, const char *text,
                      size_t length, csp_string_list *out, char **error) {
  CSP_TRY
  std::vector<std::string> pieces;
  if (!check(processor->sp.Encode(std::string_view(text, length), &pieces), error))
    return -1;
  return pack_strings(pieces, out);
  CSP_CATCH(-1)
}

const int32_t *csp_sample_encode(const csp_processor *processor, const char *text,
                                 size_t length, int nbest_size, float alpha,
                                 size_t *count, char **error) {
  CSP_TRY
  auto &ids = tls_ids();
  if (!check(processor->sp.SampleEncode(std::string_view(text, length), nbest_size,
                                        alpha, &ids),
             error))
    return nullptr;
  *count = ids.size();
  static const int32_t empty = 0;
  return ids.empty() ? &empty : reinterpret_cast<const int32_t *>(ids.data());
  CSP_CATCH(nullptr)
}

const int32_t *csp_sample_encode_seeded(const csp_processor *processor,
                                        const char *text, size_t length,
                                        int nbest_size, float alpha, uint32_t seed,
                                        size_t *count, char **error) {
  CSP_TRY
  // sentencepiece's generator is a thread_local std::mt19937 seeded from the global
  // seed on its first use in a thread (util.cc, random::GetRandomGenerator), so a
  // reproducible sample needs a thread that has never sampled.
  auto &ids = tls_ids();
  sentencepiece::util::Status status;
  {
    std::lock_guard<std::mutex> lock(seed_mutex());
    sentencepiece::SetRandomGeneratorSeed(seed);
    std::thread worker([&] {
      try {
        status = processor->sp.SampleEncode(std::string_view(text, length),
                                            nbest_size, alpha, &ids);
      } catch (const std::exception &e) {
        status = sentencepiece::util::Status(
            sentencepiece::util::StatusCode::kInternal,
            std::string("C++ exception: ") + e.what());
      }
    });
    worker.join();
  }
  if (!check(status, error)) return nullptr;
  *count = ids.size();
  static const int32_t empty = 0;
  return ids.empty() ? &empty : reinterpret_cast<const int32_t *>(ids.data());
  CSP_CATCH(nullptr)
}

int csp_sample_encode_pieces(const csp_processor *processor, const char *text,
                             size_t length, int nbest_size, float alpha,
                             csp_string_list *out, char **error) {
  CSP_TRY
  std::vector<std::string> pieces;
  if (!check(processor->sp.SampleEncode(std::string_view(text, length), nbest_size,
                                        alpha, &pieces),
             error))
    return -1;
  return pack_strings(pieces, out);
  CSP_CATCH(-1)
}

int csp_nbest_encode_pieces(const csp_processor *processor, const char *text,
                            size_t length, int n, csp_string_list *out,
                            size_t **hyp_offsets, size_t *hyp_count, char **error) {
  CSP_TRY
  std::vector<std::vector<std::string>> lists;
  if (!check(processor->sp.NBestEncode(std::string_view(text, length), n, &lists),
             error))
    return -1;
  std::vector<std::string> flat;
  *hyp_count = lists.size();
  *hyp_offsets = static_cast<size_t *>(std::malloc((lists.size() + 1) * sizeof(size_t)));
  if (*hyp_offsets == nullptr) return -1;
  for (size_t i = 0; i < lists.size(); ++i) {
    (*hyp_offsets)[i] = flat.size();
    for (auto &p : lists[i]) flat.push_back(std::move(p));
  }
  (*hyp_offsets)[lists.size()] = flat.size();
  return pack_strings(flat, out);
  CSP_CATCH(-1)
}

int csp_nbest_encode(const csp_processor *processor, const char *text,
                     size_t length, int n, csp_id_lists *out, char **error) {
  CSP_TRY
  std::vector<std::vector<int>> lists;
  if (!check(processor->sp.NBestEncode(std::string_view(text, length), n, &lists),
             error))
    return -1;
  size_t total = 0;
  for (const auto &l : lists) total += l.size();
  out->count = lists.size();
  out->ids = static_cast<int32_t *>(std::malloc((total + 1) * sizeof(int32_t)));
  out->offsets = static_cast<size_t *>(std::malloc((lists.size() + 1) * sizeof(size_t)));
  if (out->ids == nullptr || out->offsets == nullptr) return -1;
  size_t at = 0;
  for (size_t i = 0; i < lists.size(); ++i) {
    out->offsets[i] = at;
    for (int id : lists[i]) out->ids[at++] = id;
  }
  out->offsets[lists.size()] = at;
  return 0;
  CSP_CATCH(-1)
}

int csp_normalize(const csp_processor *processor, const char *text,
                  size_t length, char **out, size_t *out_length, char **error) {
  CSP_TRY
  // 0.1.97 has no public Normalize; the normalized string is the concatenation of
  // the encoded pieces (unknown pieces carry their normalized surface, byte pieces
  // are turned back into bytes), which is what 0.2's Normalize returns.
  sentencepiece::ImmutableSentencePieceText spt;
  if (!check(processor->sp.Encode(std::string_view(text, length), spt.mutable_proto()),
             error))
    return -1;
  std::string normalized;
  normalized.reserve(length + 8);
  for (size_t i = 0; i < spt.pieces_size(); ++i) {
    const auto piece = spt.pieces(static_cast<int>(i));
    const std::string &s = piece.piece();
    const int id = static_cast<int>(piece.id());
    if (processor->sp.IsByte(id) && s.size() == 6) {
      const int hi = hex_value(s[3]), lo = hex_value(s[4]);
      if (hi >= 0 && lo >= 0) {
        normalized.push_back(static_cast<char>(hi * 16 + lo));
        continue;
      }
    }
    if (processor->sp.IsControl(id)) continue;
    normalized += s;
  }
  return out_string(normalized, out, out_length);
  CSP_CATCH(-1)
}

// MARK: decode

int csp_decode_ids(const csp_processor *processor, const int32_t *ids,
                   size_t count, char **out, size_t *out_length, char **error) {
  CSP_TRY
  const int size = processor->sp.GetPieceSize();
  std::vector<int> v(ids, ids + count);
  for (size_t i = 0; i < count; ++i) {
    if (v[i] < 0 || v[i] >= size) {
      set_error(error, "id " + std::to_string(v[i]) + " at position " +
                           std::to_string(i) + " is out of range [0, " +
                           std::to_string(size) + ")");
      return -1;
    }
  }
  std::string text;
  if (!check(processor->sp.Decode(v, &text), error)) return -1;
  return out_string(text, out, out_length);
  CSP_CATCH(-1)
}

int csp_decode_pieces(const csp_processor *processor, const char *const *pieces,
                      const size_t *lengths, size_t count, char **out,
                      size_t *out_length, char **error) {
  CSP_TRY
  std::vector<std::string_view> v;
  v.reserve(count);
  for (size_t i = 0; i < count; ++i) v.emplace_back(pieces[i], lengths[i]);
  std::string text;
  if (!check(processor->sp.Decode(v, &text), error)) return -1;
  return out_string(text, out, out_length);
  CSP_CATCH(-1)
}

// MARK: vocabulary (no exceptions are expected here; ids are range-checked by Swift)

int32_t csp_piece_size(const csp_processor *p) { return p->sp.GetPieceSize(); }

const char *csp_id_to_piece(const csp_processor *p, int32_t id, size_t *length) {
  const std::string &s = p->sp.IdToPiece(id);
  *length = s.size();
  return s.data();
}

int32_t csp_piece_to_id(const csp_processor *p, const char *piece, size_t length) {
  return p->sp.PieceToId(std::string_view(piece, length));
}

float csp_score(const csp_processor *p, int32_t id) { return p->sp.GetScore(id); }
int csp_is_control(const csp_processor *p, int32_t id) { return p->sp.IsControl(id); }
int csp_is_unknown(const csp_processor *p, int32_t id) { return p->sp.IsUnknown(id); }
int csp_is_unused(const csp_processor *p, int32_t id) { return p->sp.IsUnused(id); }
int csp_is_byte(const csp_processor *p, int32_t id) { return p->sp.IsByte(id); }
int32_t csp_bos_id(const csp_processor *p) { return p->sp.bos_id(); }
int32_t csp_eos_id(const csp_processor *p) { return p->sp.eos_id(); }
int32_t csp_pad_id(const csp_processor *p) { return p->sp.pad_id(); }
int32_t csp_unk_id(const csp_processor *p) { return p->sp.unk_id(); }

// MARK: global settings and training

void csp_set_random_seed(uint32_t seed) { sentencepiece::SetRandomGeneratorSeed(seed); }

void csp_set_min_log_level(int level) { sentencepiece::logging::SetMinLogLevel(level); }

int csp_train(const char *args, size_t length, char **error) {
  CSP_TRY
  if (!check(sentencepiece::SentencePieceTrainer::Train(std::string_view(args, length)),
             error))
    return -1;
  return 0;
  CSP_CATCH(-1)
}

}  // extern "C"
