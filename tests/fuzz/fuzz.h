/* fuzz.h: what every fuzz target and both of its drivers share.
 *
 * A target defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize).  It is linked either with libFuzzer (clang,
 * tests/fuzz/run-fuzzers) or with standalone-main.c (make check), which
 * replays the checked-in corpora. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Makes GLib criticals and warnings fatal (they mean a precondition of the
 * library was broken: a bug the fuzzer should report), quiets the rest. */
void cz_fuzz_setup (void);


/* A temporary directory for the process (removed at exit). */
const char *cz_fuzz_tmpdir (void);

/* A fresh CA and server certificate (ECDSA P-256, CN localhost) in
 * cz_fuzz_tmpdir(): returns the paths (static). */
void cz_fuzz_pki (const char **ca, const char **cert, const char **key);

/* Reads little chunks off the input. */
typedef struct {
  const uint8_t *data;
  size_t size;
} CzFuzzInput;

guint8 cz_fuzz_u8 (CzFuzzInput *in);
guint16 cz_fuzz_u16 (CzFuzzInput *in);
/* At most @max bytes (fewer at the end of the input); *len receives the count. */
const uint8_t *cz_fuzz_bytes (CzFuzzInput *in, size_t max, size_t *len);

G_END_DECLS
