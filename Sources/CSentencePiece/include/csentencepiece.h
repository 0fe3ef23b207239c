// Placeholder; the Tokenization work replaces this with the extern "C" shim over libsentencepiece.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
int csp_version_placeholder(void);
#ifdef __cplusplus
}
#endif
