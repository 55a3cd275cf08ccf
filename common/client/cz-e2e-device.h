/* cz-e2e-device.h: this installation's end-to-end device (DESIGN §2.2):
 * its keys, its published bundle, and the sessions it holds with other
 * devices, on libomemo-c (X3DH + Double Ratchet) with a Nettle/GnuTLS
 * crypto provider and a local SQLite file.
 *
 * A device belongs to one user on one server; its file lives under
 * $XDG_DATA_HOME/causerie/devices/ (cz_e2e_device_default_path()).  Used
 * from one thread (the engine's).  No libomemo-c type shows here.
 *
 * Errors: CZ_ERROR_STORE (the file), CZ_ERROR_BAD_BUNDLE (a bundle that
 * does not verify or parse), CZ_ERROR_E2E_FAILED (a ciphertext that does
 * not decrypt: tampered, replayed, or from a session this device lost). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* At least this many one-time prekeys are kept published; a device tops
 * up to CZ_E2E_PREKEYS_TARGET when it falls below. */
#define CZ_E2E_PREKEYS_MIN 20
#define CZ_E2E_PREKEYS_TARGET 100

typedef struct _CzE2eDevice CzE2eDevice;

/* One device's public bundle, as published and as fetched.  Keys are
 * serialized (33 bytes: type 0x05 ‖ Curve25519), the signature 64 bytes.
 * Published: the one-time prekeys in @prekey_ids / @prekeys (GBytes).
 * Fetched: at most one, or none when the server ran out. */
typedef struct {
  guint32 device_id;
  GBytes *identity;
  guint32 signed_prekey_id;
  GBytes *signed_prekey;
  GBytes *signature;
  GArray *prekey_ids;     /* guint32 */
  GPtrArray *prekeys;     /* GBytes */
} CzE2eBundle;

CzE2eBundle *cz_e2e_bundle_new (void);
void cz_e2e_bundle_free (CzE2eBundle *bundle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzE2eBundle, cz_e2e_bundle_free)

/* $XDG_DATA_HOME/causerie/devices/HOST_PORT/USER.db */
char *cz_e2e_device_default_path (const char *host, guint16 port, const char *user);

/* Opens the device in @path, creating it (id, identity key pair, signed
 * prekey, one-time prekeys) on first use. */
CzE2eDevice *cz_e2e_device_open (const char *path, GError **error);
void cz_e2e_device_free (CzE2eDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzE2eDevice, cz_e2e_device_free)

guint32 cz_e2e_device_get_id (CzE2eDevice *device);
/* The serialized public identity key (33 bytes). */
GBytes *cz_e2e_device_get_identity (CzE2eDevice *device);

/* Tops the one-time prekeys up to CZ_E2E_PREKEYS_TARGET when fewer than
 * CZ_E2E_PREKEYS_MIN are left; *@added (may be NULL) says how many were
 * made (0: nothing to publish). */
gboolean cz_e2e_device_replenish (CzE2eDevice *device, guint *added, GError **error);
guint cz_e2e_device_count_prekeys (CzE2eDevice *device);

/* The bundle to publish: identity, signed prekey and every one-time
 * prekey this device still holds. */
CzE2eBundle *cz_e2e_device_get_bundle (CzE2eDevice *device, GError **error);

/* Builds a session with @user's device from its fetched bundle (X3DH),
 * after checking the signed prekey's signature. */
gboolean cz_e2e_device_build_session (CzE2eDevice *device, const char *user,
                                      const CzE2eBundle *bundle, GError **error);
gboolean cz_e2e_device_has_session (CzE2eDevice *device, const char *user, guint32 device_id);
/* Forgets the session and identity of @user's @device_id. */
void cz_e2e_device_forget (CzE2eDevice *device, const char *user, guint32 device_id);

/* The identity keys this device has recorded for @user's devices:
 * device id (GUINT_TO_POINTER) → GBytes. */
GHashTable *cz_e2e_device_identities (CzE2eDevice *device, const char *user);

/* Encrypts @plain for @user's @device_id over the existing session.
 * *@prekey says whether the result is a prekey message (the first ones,
 * until the peer answers), which the receiver must know. */
GBytes *cz_e2e_device_encrypt (CzE2eDevice *device, const char *user, guint32 device_id,
                               const void *plain, gsize len, gboolean *prekey,
                               GError **error);

/* Decrypts what @user's @device_id sent to this device; a prekey message
 * builds the session (and uses up one of this device's one-time prekeys:
 * call cz_e2e_device_replenish() after). */
GBytes *cz_e2e_device_decrypt (CzE2eDevice *device, const char *user, guint32 device_id,
                               gboolean prekey, GBytes *ciphertext, GError **error);

G_END_DECLS
