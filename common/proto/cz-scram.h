/* cz-scram.h: SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) with the
 * tls-exporter channel binding (RFC 9266), DESIGN §2.5.
 *
 * Pure message logic: no I/O and no TLS here.  The caller passes the
 * channel-binding bytes (TLS exporter, label CZ_SCRAM_CB_EXPORTER_LABEL,
 * empty context, CZ_SCRAM_CB_EXPORTER_SIZE bytes) and moves the messages.
 *
 * Errors: every authentication failure is CZ_ERROR_AUTH_FAILED; a message
 * that does not follow the RFC 5802 §7 grammar is CZ_ERROR_BAD_FRAME; a call
 * out of sequence is CZ_ERROR_PROTOCOL.
 *
 * Passwords are prepared as RFC 8265 OpaqueString (NFC, non-ASCII spaces
 * mapped to U+0020; controls and unassigned code points refused) by
 * cz_scram_prepare_password(), which the client and the registration
 * paths below call: "é" typed precomposed or decomposed is one password.
 * cz_scram_salted_password() alone takes the password as given. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CZ_SCRAM_MECHANISM "SCRAM-SHA-256-PLUS"
#define CZ_SCRAM_CB_NAME "tls-exporter"
#define CZ_SCRAM_CB_EXPORTER_LABEL "EXPORTER-Channel-Binding"
#define CZ_SCRAM_CB_EXPORTER_SIZE 32
#define CZ_SCRAM_MIN_ITERATIONS 4096
#define CZ_SCRAM_MAX_ITERATIONS 10000000
#define CZ_SCRAM_DEFAULT_ITERATIONS 600000
#define CZ_SCRAM_SALT_SIZE 16
#define CZ_SCRAM_KEY_SIZE 32

/* The password as SCRAM uses it (RFC 8265 OpaqueString, with GnuTLS's
 * gnutls_utf8_password_normalize()); NULL and CZ_ERROR_INVALID when it is
 * not a valid OpaqueString.  Free with cz_str_wipe_free(). */
char *cz_scram_prepare_password (const char *password, GError **error);

/* RFC 5802 key derivation.  SaltedPassword = PBKDF2-HMAC-SHA-256 of
 * @password as given (already prepared). */
void cz_scram_salted_password (const char *password, const guint8 *salt,
                               gsize salt_len, guint iterations,
                               guint8 out[32]);
/* StoredKey = SHA-256 (HMAC (salted, "Client Key"));
 * ServerKey = HMAC (salted, "Server Key"). */
void cz_scram_keys_from_salted (const guint8 salted[32], guint8 stored_key[32],
                                guint8 server_key[32]);

/* A fresh random salt of CZ_SCRAM_SALT_SIZE bytes (registration). */
GBytes *cz_scram_new_salt (void);

/* ---- Client ---------------------------------------------------------- */

typedef struct _CzScramClient CzScramClient;

/* GS2 header "p=tls-exporter,," when @cbind != NULL, "n,," when NULL (only
 * for the RFC 7677 vector test).  @nonce NULL = 24 random bytes, base64. */
CzScramClient *cz_scram_client_new (const char *user, const char *password,
                                    GBytes *cbind, const char *nonce);
/* Optional: a cached SaltedPassword for (salt, iterations), so that no
 * PBKDF2 runs when the server sends the same parameters. */
void cz_scram_client_set_salted_password (CzScramClient *c, const guint8 *salt,
                                          gsize salt_len, guint iterations,
                                          const guint8 salted[32]);
/* client-first-message. */
char *cz_scram_client_first (CzScramClient *c);
/* Parses server-first (nonce extends ours, salt base64, iterations within
 * CZ_SCRAM_MIN_ITERATIONS..CZ_SCRAM_MAX_ITERATIONS), computes SaltedPassword
 * (unless cached) and returns client-final-message.  CZ_ERROR_INVALID if
 * the password given to cz_scram_client_new() is not a valid
 * OpaqueString. */
char *cz_scram_client_final (CzScramClient *c, const char *server_first,
                             GError **error);
/* Salt, iterations and SaltedPassword used (for the client's cache).
 * FALSE before cz_scram_client_final() succeeded. */
gboolean cz_scram_client_get_salted (CzScramClient *c, GBytes **salt,
                                     guint *iterations, guint8 salted[32]);
/* Verifies v= in server-final (constant time) or reports e=... */
gboolean cz_scram_client_verify_server (CzScramClient *c,
                                        const char *server_final,
                                        GError **error);
/* Wipes the password and every derived secret. */
void cz_scram_client_free (CzScramClient *c);

/* ---- Stored credentials --------------------------------------------- */

typedef struct {
  GBytes *salt;
  guint iterations;
  guint8 stored_key[32];
  guint8 server_key[32];
} CzScramCredentials;

/* Frees the salt and wipes the keys; the struct itself is not freed. */
void cz_scram_credentials_clear (CzScramCredentials *c);
/* Registration: derives @out from a password, prepared first (runs
 * PBKDF2).  @out is cleared first.  FALSE (CZ_ERROR_INVALID) for a
 * password that is not a valid OpaqueString. */
gboolean cz_scram_credentials_from_password (CzScramCredentials *out,
                                             const char *password, GBytes *salt,
                                             guint iterations, GError **error);

/* ---- Server ---------------------------------------------------------- */

typedef struct _CzScramServer CzScramServer;

/* @cbind: the TLS exporter bytes; NULL only for the RFC 7677 test, where the
 * client must say "n,," (or "y,,").  @nonce: the server's part of the
 * nonce, NULL = 18 random bytes, base64. */
CzScramServer *cz_scram_server_new (GBytes *cbind, const char *nonce);
/* Parses client-first: GS2 header "p=tls-exporter,," required when cbind
 * != NULL (downgrade protection), no authzid, n= saslname (=2C / =3D
 * decoded), r= printable nonce.  Returns the decoded user name in @user
 * (not checked against the user-name rules: the caller does that). */
gboolean cz_scram_server_parse_first (CzScramServer *s,
                                      const char *client_first, char **user,
                                      GError **error);
/* server-first-message for @creds.  For an unknown user pass @creds NULL: a
 * fake salt derived from @fake_secret and the user name, with
 * @fake_iterations, is sent, and the exchange fails at the end only. */
char *cz_scram_server_first (CzScramServer *s, const CzScramCredentials *creds,
                             const guint8 fake_secret[32],
                             guint fake_iterations);
/* Checks client-final (channel binding, nonce, proof); returns the
 * server-final-message "v=..." on success. */
char *cz_scram_server_final (CzScramServer *s, const char *client_final,
                             GError **error);
/* The user of a successful exchange, else NULL. */
const char *cz_scram_server_get_user (CzScramServer *s);
void cz_scram_server_free (CzScramServer *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzScramClient, cz_scram_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzScramServer, cz_scram_server_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CzScramCredentials, cz_scram_credentials_clear)

G_END_DECLS
