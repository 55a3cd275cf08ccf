/* cz-e2e-private.h: what the end-to-end pieces of the client engine share
 * and nobody else sees: libomemo-c's types, the crypto provider
 * (cz-e2e-provider.c) and the device's SQLite file (cz-device-store.c).
 * The engine's public face is cz-e2e-device.h, free of libomemo-c. */
#pragma once

#include <glib.h>
#include <signal_protocol.h>

G_BEGIN_DECLS

/* A libomemo-c context with the Nettle/GnuTLS crypto provider and @lock
 * (a GRecMutex the caller owns and outlives the context) as its lock.
 * NULL if libomemo-c could not allocate it. */
signal_context *cz_e2e_context_new (GRecMutex *lock);
/* The provider itself (its known-answer tests call it directly). */
const signal_crypto_provider *cz_e2e_crypto_provider (void);

/* The device's local SQLite file: the device's own keys ("meta"), its
 * one-time and signed prekeys, its sessions and the identities of the
 * devices it talks to. */
typedef struct _CzDeviceDb CzDeviceDb;

/* Opens or creates @path (mode 0600, its folder 0700), creating the
 * schema.  CZ_ERROR_STORE with the reason on failure. */
CzDeviceDb *cz_device_db_open (const char *path, GError **error);
void cz_device_db_close (CzDeviceDb *db);

/* The device's own values (device id, identity keys, registration id,
 * counters).  get: NULL if absent. */
GBytes *cz_device_db_get_meta (CzDeviceDb *db, const char *key);
gboolean cz_device_db_set_meta (CzDeviceDb *db, const char *key,
                                const void *data, gsize len, GError **error);
gboolean cz_device_db_get_meta_u32 (CzDeviceDb *db, const char *key, guint32 *value);
gboolean cz_device_db_set_meta_u32 (CzDeviceDb *db, const char *key, guint32 value,
                                    GError **error);

/* One transaction around several writes (key generation). */
gboolean cz_device_db_begin (CzDeviceDb *db, GError **error);
gboolean cz_device_db_commit (CzDeviceDb *db, GError **error);
void cz_device_db_rollback (CzDeviceDb *db);

/* One-time prekeys held, and their serialized records in id order
 * (GBytes each; ids in @ids). */
guint cz_device_db_count_prekeys (CzDeviceDb *db);
GPtrArray *cz_device_db_list_prekeys (CzDeviceDb *db, GArray *ids);

/* The identity keys recorded for @name's devices, device id → GBytes. */
GHashTable *cz_device_db_identities (CzDeviceDb *db, const char *name);
/* Forgets @name's @device (session and identity): it left. */
gboolean cz_device_db_forget (CzDeviceDb *db, const char *name, guint32 device);

/* Installs the session, pre-key, signed pre-key and identity store
 * callbacks on @store; they read and write @db, which must outlive it. */
void cz_device_db_install (CzDeviceDb *db, signal_protocol_store_context *store);

G_END_DECLS
