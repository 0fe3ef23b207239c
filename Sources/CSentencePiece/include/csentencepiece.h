// csentencepiece.h: a thin C interface over libsentencepiece's C++ API (0.1.97,
// sentencepiece_processor.h / sentencepiece_trainer.h) with opaque handles.
// Every function catches C++ exceptions; failures come back as a NULL handle or a
// non-zero status plus a malloc'd message (free it with csp_string_free).
// Not here: protobuf access, extra encode/decode options, SampleEncodeAndScore.
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque handle to a loaded sentencepiece::SentencePieceProcessor.
typedef struct csp_processor csp_processor;

/// A packed list of byte strings: string i is bytes[offsets[i] ..< offsets[i+1]].
/// offsets has count + 1 entries. Free with csp_string_list_free.
typedef struct {
  char *bytes;
  size_t *offsets;
  size_t count;
} csp_string_list;

/// A packed list of id lists: list i is ids[offsets[i] ..< offsets[i+1]].
/// offsets has count + 1 entries. Free with csp_id_lists_free.
typedef struct {
  int32_t *ids;
  size_t *offsets;
  size_t count;
} csp_id_lists;

// MARK: memory
void csp_string_free(char *s);
void csp_string_list_free(csp_string_list *list);
void csp_id_lists_free(csp_id_lists *lists);

// MARK: load / free
/// Loads a model file. Returns NULL and sets *error (status message) on failure.
csp_processor *csp_load_file(const char *path, char **error);
/// Loads a serialized ModelProto. Returns NULL and sets *error on failure.
csp_processor *csp_load_bytes(const void *data, size_t length, char **error);
void csp_free(csp_processor *processor);

// MARK: encode
/// Encode(absl::string_view, std::vector<int>*) into a thread-local buffer.
/// Returns a pointer to *count ids, valid until the next csp_encode* call on the
/// same thread; NULL (and *error set) on failure. No copy of the input is made.
const int32_t *csp_encode(const csp_processor *processor, const char *text,
                          size_t length, size_t *count, char **error);
/// Encode(absl::string_view, std::vector<std::string>*) packed into *out. Returns 0 on success.
int csp_encode_pieces(const csp_processor *processor, const char *text,
                      size_t length, csp_string_list *out, char **error);
/// SampleEncode(text, nbest_size, alpha, std::vector<int>*) into the same thread-local
/// buffer as csp_encode. Uses sentencepiece's per-thread generator (seeded once per thread).
const int32_t *csp_sample_encode(const csp_processor *processor, const char *text,
                                 size_t length, int nbest_size, float alpha,
                                 size_t *count, char **error);
/// Like csp_sample_encode, but reproducible: runs on a fresh thread whose generator is
/// seeded with `seed` (sentencepiece::SetRandomGeneratorSeed), serialised by a mutex.
const int32_t *csp_sample_encode_seeded(const csp_processor *processor,
                                        const char *text, size_t length,
                                        int nbest_size, float alpha, uint32_t seed,
                                        size_t *count, char **error);
/// SampleEncode(text, nbest_size, alpha, std::vector<std::string>*) packed into *out
/// (unknown pieces carry their surface text, as spm_encode prints them). Uses the calling
/// thread's generator. Returns 0 on success.
int csp_sample_encode_pieces(const csp_processor *processor, const char *text,
                             size_t length, int nbest_size, float alpha,
                             csp_string_list *out, char **error);
/// NBestEncode(text, n, std::vector<std::vector<std::string>>*): all pieces packed into *out;
/// *hyp_offsets (malloc'd, *hyp_count + 1 entries, free with csp_string_free) gives each
/// hypothesis's range of pieces. Returns 0 on success.
int csp_nbest_encode_pieces(const csp_processor *processor, const char *text,
                            size_t length, int n, csp_string_list *out,
                            size_t **hyp_offsets, size_t *hyp_count, char **error);
/// NBestEncode(text, n, std::vector<std::vector<int>>*) packed into *out. Returns 0 on success.
int csp_nbest_encode(const csp_processor *processor, const char *text,
                     size_t length, int n, csp_id_lists *out, char **error);
/// Normalized text as python sentencepiece's `normalize` gives it (whitespace as U+2581,
/// dummy prefix kept). Returns 0 on success; *out is malloc'd, *out_length its size.
int csp_normalize(const csp_processor *processor, const char *text,
                  size_t length, char **out, size_t *out_length, char **error);

// MARK: decode
/// Decode(std::vector<int>) → *out (malloc'd). Ids outside [0, piece size) fail with
/// an error naming the id. Returns 0 on success.
int csp_decode_ids(const csp_processor *processor, const int32_t *ids,
                   size_t count, char **out, size_t *out_length, char **error);
/// Decode(std::vector<absl::string_view>) → *out (malloc'd). pieces[i] has lengths[i] bytes.
int csp_decode_pieces(const csp_processor *processor, const char *const *pieces,
                      const size_t *lengths, size_t count, char **out,
                      size_t *out_length, char **error);

// MARK: vocabulary (ids must be in [0, csp_piece_size); the Swift layer checks)
int32_t csp_piece_size(const csp_processor *processor);
/// Pointer into the model's own storage (valid while the processor lives).
const char *csp_id_to_piece(const csp_processor *processor, int32_t id, size_t *length);
int32_t csp_piece_to_id(const csp_processor *processor, const char *piece, size_t length);
float csp_score(const csp_processor *processor, int32_t id);
int csp_is_control(const csp_processor *processor, int32_t id);
int csp_is_unknown(const csp_processor *processor, int32_t id);
int csp_is_unused(const csp_processor *processor, int32_t id);
int csp_is_byte(const csp_processor *processor, int32_t id);
int32_t csp_bos_id(const csp_processor *processor);
int32_t csp_eos_id(const csp_processor *processor);
int32_t csp_pad_id(const csp_processor *processor);
int32_t csp_unk_id(const csp_processor *processor);

// MARK: global settings and training
/// sentencepiece::SetRandomGeneratorSeed: affects threads that have not sampled yet.
void csp_set_random_seed(uint32_t seed);
/// sentencepiece::logging::SetMinLogLevel (0 info, 1 warning, 2 error).
void csp_set_min_log_level(int level);
/// SentencePieceTrainer::Train(args). Returns 0 on success; else sets *error.
int csp_train(const char *args, size_t length, char **error);

#ifdef __cplusplus
}
#endif

#endif  // CSENTENCEPIECE_H
