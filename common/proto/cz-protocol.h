/* cz-protocol.h: the protocol's rules and limits, in one place
 * (DESIGN §2.1, §2.8).  Everything that says what a valid version, user
 * name, text, history request or transaction id is lives here, so the
 * server engine, the client engine and the command line agree by
 * construction. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The protocol version both hellos carry. */
#define CZ_PROTOCOL_VERSION 1

/* User names: ^[a-z0-9_.-]{1,32}$. */
#define CZ_USER_NAME_MAX 32
/* Chat text: valid UTF-8 without NUL, 1 to 4,096 characters, and no
 * terminal control but newline and tab (no other C0, DEL or C1). */
#define CZ_TEXT_MAX_CHARS 4096
/* History: a request without a limit gets this many; none gets more. */
#define CZ_HISTORY_DEFAULT 50
#define CZ_HISTORY_MAX 500
/* A message's transaction id (say/msg `txn`): 1 to 64 bytes. */
#define CZ_TXN_MAX 64
/* auth-start `features`: the client takes presence as one
 * `presence-batch` {online as, offline as} per batch (doc/protocol.md). */
#define CZ_FEATURE_PRESENCE_BATCH "presence-batch"
/* The room name a history request uses for the lobby. */
#define CZ_LOBBY_NAME "#lobby"

/* True for user names matching ^[a-z0-9_.-]{1,32}$. */
gboolean cz_user_name_valid (const char *name);

/* Checks chat text: valid UTF-8 without NUL, 1..4096 characters, no
 * control character other than newline and tab (issue #15 item 7: the
 * review drove other people's terminals with ESC, BEL and CR).
 * CZ_ERROR_BAD_TEXT or CZ_ERROR_TOO_LARGE. */
gboolean cz_text_valid (const char *text, gssize len, GError **error);

/* End-to-end direct messages (DESIGN §2.2, doc/protocol.md): serialized
 * public keys are 33 bytes (0x05 ‖ Curve25519), signatures 64; a user has
 * at most CZ_E2E_MAX_DEVICES devices, a device publishes at most
 * CZ_E2E_MAX_PREKEYS one-time prekeys at once and the server keeps at
 * most that many; one ciphertext is at most CZ_E2E_CIPHERTEXT_MAX bytes;
 * at most CZ_E2E_MAX_WAITING ciphertexts wait for one device. */
#define CZ_E2E_KEY_LEN 33
#define CZ_E2E_SIGNATURE_LEN 64
#define CZ_E2E_MAX_DEVICES 16
#define CZ_E2E_MAX_PREKEYS 200
#define CZ_E2E_CIPHERTEXT_MAX 20480
#define CZ_E2E_MAX_WAITING 10000

G_END_DECLS
