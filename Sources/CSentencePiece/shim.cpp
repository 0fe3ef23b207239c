#include "csentencepiece.h"
#include <sentencepiece_processor.h>
extern "C" int csp_version_placeholder(void) { return 0; }
