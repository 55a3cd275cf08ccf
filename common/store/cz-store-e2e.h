/* cz-store-e2e.h: the store operations of end-to-end direct messages
 * (DESIGN §2.2): device bundles, one-time prekeys handed out once, and
 * ciphertexts kept per recipient device until that device has them.
 *
 * The server never sees a plaintext here: a saved end-to-end message is a
 * row of `messages` (its id, time, sender, recipient and receipts, text
 * empty) that history and the plain pending queue leave out, plus one
 * ciphertext per device. */
#pragma once

#include "cz-store.h"

G_BEGIN_DECLS

/* A device's public bundle as the server keeps it; in a FETCH_KEYS result
 * at most one one-time prekey (@prekey_id 0 and @prekey NULL when the
 * device has none left). */
typedef struct {
  char *user;
  guint32 device;
  GBytes *identity;
  guint32 signed_prekey_id;
  GBytes *signed_prekey;
  GBytes *signature;
  guint32 prekey_id;
  GBytes *prekey;
} CzDeviceKeys;

void cz_device_keys_free (CzDeviceKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzDeviceKeys, cz_device_keys_free)

/* One ciphertext for one device. */
typedef struct {
  char *user;          /* the device's user */
  guint32 device;
  gboolean prekey;     /* a prekey message (it sets the session up) */
  GBytes *data;
} CzEmsgCopy;

void cz_emsg_copy_free (CzEmsgCopy *copy);
CzEmsgCopy *cz_emsg_copy_new (const char *user, guint32 device, gboolean prekey, GBytes *data);

/* A ciphertext waiting for a device. */
typedef struct {
  gint64 id;
  gint64 ts;
  char *from;
  guint32 from_device;
  char *to;            /* the conversation's other user (the recipient) */
  gboolean prekey;
  GBytes *data;
} CzEmsgRecord;

void cz_emsg_record_free (CzEmsgRecord *rec);

/* A device publishes its bundle: the device is added (at most
 * CZ_E2E_MAX_DEVICES per user) or its signed prekey replaced; its
 * identity key never changes (CZ_ERROR_BAD_BUNDLE).  One-time prekeys are
 * added, except those whose id is not above every id already handed out
 * (a prekey is handed out once), up to CZ_E2E_MAX_PREKEYS held. */
typedef struct {
  CzStoreOp op;
  char *user;
  CzDeviceKeys *keys;  /* user, device, identity, signed prekey (prekey unused) */
  GArray *prekey_ids;  /* guint32 */
  GPtrArray *prekeys;  /* GBytes */
  guint held;          /* output: one-time prekeys the server holds now */
} CzStorePublishKeys;

/* The bundles of every device of @user, each with the lowest one-time
 * prekey it has left, which is removed (handed out once).  @asker's
 * @asker_device itself is left out.  CZ_ERROR_NO_SUCH_USER for an unknown
 * user; no devices is an empty result. */
typedef struct {
  CzStoreOp op;
  char *asker;
  guint32 asker_device;
  char *user;
  GPtrArray *devices;  /* output: CzDeviceKeys* */
} CzStoreFetchKeys;

/* An end-to-end message from @sender's @sender_device to @to: one
 * ciphertext per device in @copies (devices of @to and the sender's other
 * devices).  Every device named must be a published device of that user
 * (CZ_ERROR_UNKNOWN_DEVICE), only @to's and @sender's devices may be named
 * (CZ_ERROR_INVALID), and a device with CZ_E2E_MAX_WAITING ciphertexts
 * waiting takes no more (CZ_ERROR_MAILBOX_FULL).  @txn as for
 * SAVE_MESSAGE. */
typedef struct {
  CzStoreOp op;
  char *sender;
  guint32 sender_device;
  char *to;
  char *txn;
  gint64 ts;           /* Unix ms (0 = now) */
  GPtrArray *copies;   /* CzEmsgCopy* */
  gint64 id;           /* output */
  gboolean duplicate;  /* output */
  guint64 size;        /* output: the ciphertexts' total size */
} CzStoreSaveEmsg;

/* The ciphertexts waiting for @user's @device, oldest first, after
 * @after_id, at most @limit (0 = all). */
typedef struct {
  CzStoreOp op;
  char *user;
  guint32 device;
  gint64 after_id;
  guint limit;
  GPtrArray *messages; /* output: CzEmsgRecord* */
} CzStoreDevicePending;

/* @user's @device has the ciphertexts of messages @ids: they are deleted. */
typedef struct {
  CzStoreOp op;
  char *user;
  guint32 device;
  GArray *ids;         /* gint64 */
  guint removed;       /* output */
} CzStoreDeviceReceived;

/* @keys, @prekey_ids, @prekeys, @copies and @ids are taken. */
CzStorePublishKeys *cz_store_publish_keys_new (CzDeviceKeys *keys, GArray *prekey_ids,
                                               GPtrArray *prekeys);
CzStoreFetchKeys *cz_store_fetch_keys_new (const char *asker, guint32 asker_device,
                                           const char *user);
CzStoreSaveEmsg *cz_store_save_emsg_new (const char *sender, guint32 sender_device,
                                         const char *to, const char *txn, gint64 ts,
                                         GPtrArray *copies);
CzStoreDevicePending *cz_store_device_pending_new (const char *user, guint32 device,
                                                   gint64 after_id, guint limit);
CzStoreDeviceReceived *cz_store_device_received_new (const char *user, guint32 device,
                                                     GArray *ids);

CZ_STORE_DEFINE_OP_TYPE (CzStorePublishKeys, publish_keys, op->kind == CZ_STORE_OP_PUBLISH_KEYS)
CZ_STORE_DEFINE_OP_TYPE (CzStoreFetchKeys, fetch_keys, op->kind == CZ_STORE_OP_FETCH_KEYS)
CZ_STORE_DEFINE_OP_TYPE (CzStoreSaveEmsg, save_emsg, op->kind == CZ_STORE_OP_SAVE_EMSG)
CZ_STORE_DEFINE_OP_TYPE (CzStoreDevicePending, device_pending,
                         op->kind == CZ_STORE_OP_DEVICE_PENDING)
CZ_STORE_DEFINE_OP_TYPE (CzStoreDeviceReceived, device_received,
                         op->kind == CZ_STORE_OP_DEVICE_RECEIVED)

G_END_DECLS
