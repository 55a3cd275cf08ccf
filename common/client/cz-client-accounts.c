/* cz-client-accounts.c: the client engine's accounts: registration (the
 * password never leaves this process), SCRAM-SHA-256-PLUS login with PBKDF2
 * in a GTask thread, and the session cache of salted passwords that keeps
 * reconnects fast. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-client-private.h"
#include "cz-crypto.h"
#include "cz-message.h"
#include "cz-util.h"

/* ---- The salted-password cache ---------------------------------------------- */

typedef struct {
  GBytes *salt;
  guint iterations;
  guint8 salted[32];
  guint8 check[32];           /* cz_client_password_check(): the password it came from */
} CachedKey;

#define CACHE_CHECK_LABEL "causerie client key cache"

static GMutex cache_lock;
static GHashTable *cache;   /* "host:port\nuser" → CachedKey */
/* The check's HMAC key: random, this process's alone, made with the first
 * check and wiped (and made anew) when the cache is forgotten.  Unkeyed,
 * the check was the same in every process and a password oracle anyone
 * with a copy could test guesses against offline (issue #15 item 10). */
static guint8 check_key[32];
static gboolean check_key_set;

/* What ties a cache entry to the password typed: without it, a wrong
 * password would log in with the key cached from a right one.
 * HMAC-SHA-256(per-process key, label ‖ 0 ‖ password). */
void
cz_client_password_check (const char *password, guint8 out[32])
{
  gsize label_len = sizeof CACHE_CHECK_LABEL, len = strlen (password);
  guint8 *msg = g_malloc (label_len + len);

  memcpy (msg, CACHE_CHECK_LABEL, label_len);   /* with its NUL */
  memcpy (msg + label_len, password, len);
  g_mutex_lock (&cache_lock);
  if (!check_key_set)
    {
      cz_random_bytes (check_key, sizeof check_key);
      check_key_set = TRUE;
    }
  cz_hmac_sha256 (check_key, sizeof check_key, msg, label_len + len, out);
  g_mutex_unlock (&cache_lock);
  cz_memwipe (msg, label_len + len);
  g_free (msg);
}

static void
cached_key_free (gpointer data)
{
  CachedKey *k = data;
  g_bytes_unref (k->salt);
  cz_memwipe (k->salted, sizeof k->salted);
  cz_memwipe (k->check, sizeof k->check);
  g_free (k);
}

void
cz_client_forget_cached_keys (void)
{
  g_mutex_lock (&cache_lock);
  g_clear_pointer (&cache, g_hash_table_unref);
  cz_memwipe (check_key, sizeof check_key);
  check_key_set = FALSE;
  g_mutex_unlock (&cache_lock);
}

static char *
cache_key (CzClient *self, const char *user)
{
  return g_strdup_printf ("%s:%u\n%s", self->host, self->port, user);
}

/* ---- Accounts ------------------------------------------------------------------------------ */

typedef struct {
  char *password;
  GBytes *salt;
  guint iterations;
  CzScramCredentials creds;
} RegisterWork;

static void
register_work_free (gpointer data)
{
  RegisterWork *w = data;
  cz_str_wipe_free (w->password);
  g_bytes_unref (w->salt);
  cz_scram_credentials_clear (&w->creds);
  g_free (w);
}

static void
register_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  RegisterWork *w = data;
  GError *error = NULL;

  if (cz_scram_credentials_from_password (&w->creds, w->password, w->salt, w->iterations, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
register_keys_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CzClient *self = CZ_CLIENT (source);
  RegisterWork *w = g_task_get_task_data (G_TASK (result));
  guint32 ref = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->connected)
        {
          cz_client_end_request (self, ref);
          cz_client_emit_error (self, ref, error);
        }
      return;
    }
  if (!self->connected)
    return;
  cz_client_send_msg (self, cz_message_new ("register-keys",
                                  "ref", g_variant_new_uint32 (ref),
                                  "stored_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                           w->creds.stored_key, 32, 1),
                                  "server_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                           w->creds.server_key, 32, 1),
                                  NULL));
}

void
cz_client_on_register_params (CzClient *self, GVariant *msg, guint32 ref)
{
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  guint32 iterations;
  RegisterWork *w;

  if (ref != self->reg_ref || self->reg_password == NULL)
    return;
  if (!cz_message_get_bytes (msg, "salt", &salt, &error)
      || !cz_message_get_uint32 (msg, "iterations", &iterations, &error))
    {
      cz_client_end_request (self, ref);
      cz_client_emit_error (self, ref, error);
      return;
    }
  if (iterations < CZ_SCRAM_MIN_ITERATIONS || iterations > CZ_SCRAM_MAX_ITERATIONS)
    {
      cz_client_end_request (self, ref);
      cz_client_emit_error_literal (self, ref, CZ_ERROR_PROTOCOL,
                          _("the server asked for an unreasonable iteration count"));
      return;
    }
  w = g_new0 (RegisterWork, 1);
  w->password = g_steal_pointer (&self->reg_password);
  w->salt = g_bytes_ref (salt);
  w->iterations = iterations;
  task = g_task_new (self, self->cancellable, register_keys_ready_cb, GUINT_TO_POINTER (ref));
  g_task_set_task_data (task, w, register_work_free);
  g_task_run_in_thread (task, register_thread);
}

/* A clear local error for a password SCRAM cannot use (RFC 8265), before
 * anything is sent. */
static gboolean
password_usable (CzClient *self, const char *password)
{
  g_autoptr(GError) error = NULL;
  char *prepared = cz_scram_prepare_password (password, &error);

  if (prepared == NULL)
    {
      cz_client_emit_error (self, 0, error);
      return FALSE;
    }
  cz_str_wipe_free (prepared);
  return TRUE;
}

guint32
cz_client_register (CzClient *self, const char *user, const char *password)
{
  guint32 ref;

  if (!cz_user_name_valid (user))
    {
      cz_client_emit_error_literal (self, 0, CZ_ERROR_BAD_NAME,
                          _("user names are 1 to 32 of a-z, 0-9, “_”, “.” and “-”"));
      return 0;
    }
  if (!password_usable (self, password))
    return 0;
  ref = cz_client_start_request (self, "register");
  if (ref == 0)
    return 0;
  self->reg_ref = ref;
  g_free (self->reg_user);
  self->reg_user = g_strdup (user);
  g_clear_pointer (&self->reg_password, cz_str_wipe_free);
  self->reg_password = g_strdup (password);
  cz_client_send_msg (self, cz_message_new ("register",
                                  "ref", g_variant_new_uint32 (ref),
                                  "user", g_variant_new_string (user),
                                  NULL));
  return ref;
}

typedef struct {
  CzScramClient *scram;       /* owned by the task while PBKDF2 runs */
  char *server_first;
} LoginWork;

static void
login_work_free (gpointer data)
{
  LoginWork *w = data;
  g_clear_pointer (&w->scram, cz_scram_client_free);
  g_free (w->server_first);
  g_free (w);
}

static void
login_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  LoginWork *w = data;
  GError *error = NULL;
  char *final = cz_scram_client_final (w->scram, w->server_first, &error);

  if (final)
    g_task_return_pointer (task, final, g_free);
  else
    g_task_return_error (task, error);
}

static void
login_final_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CzClient *self = CZ_CLIENT (source);
  LoginWork *w = g_task_get_task_data (G_TASK (result));
  guint32 ref = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *final = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->connected)
    return;
  cz_client_end_request (self, ref);
  if (final == NULL)
    {
      cz_client_emit_error (self, ref, error);
      return;
    }
  /* The exchange goes on here: take the SCRAM state back. */
  g_clear_pointer (&self->scram, cz_scram_client_free);
  self->scram = g_steal_pointer (&w->scram);
  g_hash_table_insert (self->pending, GUINT_TO_POINTER (ref), (gpointer) "login");
  cz_client_send_msg (self, cz_message_new ("auth-finish",
                                  "ref", g_variant_new_uint32 (ref),
                                  "message", g_variant_new_string (final),
                                  NULL));
}

void
cz_client_on_auth_challenge (CzClient *self, GVariant *msg, guint32 ref)
{
  const char *server_first;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  LoginWork *w;

  if (ref != self->auth_ref || self->scram == NULL)
    return;
  if (!cz_message_get_string (msg, "message", &server_first, &error))
    {
      cz_client_end_request (self, ref);
      g_clear_pointer (&self->scram, cz_scram_client_free);
      cz_client_emit_error (self, ref, error);
      return;
    }
  w = g_new0 (LoginWork, 1);
  w->scram = g_steal_pointer (&self->scram);
  w->server_first = g_strdup (server_first);
  task = g_task_new (self, self->cancellable, login_final_ready_cb, GUINT_TO_POINTER (ref));
  g_task_set_task_data (task, w, login_work_free);
  g_task_run_in_thread (task, login_thread);
}

void
cz_client_on_auth_ok (CzClient *self, GVariant *msg, guint32 ref)
{
  const char *server_final, *user;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) salt = NULL;
  guint iterations;
  guint8 salted[32];

  if (ref != self->auth_ref || self->scram == NULL)
    return;
  if (!cz_message_get_string (msg, "message", &server_final, &error)
      || !cz_message_get_string (msg, "user", &user, &error)
      || !cz_scram_client_verify_server (self->scram, server_final, &error))
    {
      /* A server that cannot prove it knows our keys is not our server. */
      g_clear_pointer (&self->scram, cz_scram_client_free);
      cz_client_emit_error (self, ref, error);
      cz_client_disconnect (self);
      return;
    }
  if (cz_scram_client_get_salted (self->scram, &salt, &iterations, salted))
    {
      CachedKey *k = g_new0 (CachedKey, 1);
      k->salt = g_steal_pointer (&salt);
      k->iterations = iterations;
      memcpy (k->salted, salted, 32);
      memcpy (k->check, self->auth_check, 32);
      cz_memwipe (salted, sizeof salted);
      g_mutex_lock (&cache_lock);
      if (cache == NULL)
        cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_key_free);
      g_hash_table_insert (cache, cache_key (self, self->auth_user), k);
      g_mutex_unlock (&cache_lock);
    }
  g_clear_pointer (&self->scram, cz_scram_client_free);
  cz_memwipe (self->auth_check, sizeof self->auth_check);
  g_free (self->user);
  self->user = g_strdup (user);
  cz_client_emit_logged_in (self, ref, user, server_final);
}

guint32
cz_client_login (CzClient *self, const char *user, const char *password)
{
  static const char *const features[] = { CZ_FEATURE_PRESENCE_BATCH, NULL };
  g_autoptr(GBytes) cbind = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *key = NULL;
  guint32 ref;

  if (self->scram || self->user
      || (self->auth_ref && g_hash_table_contains (self->pending, GUINT_TO_POINTER (self->auth_ref))))
    {
      cz_client_emit_error_literal (self, 0, CZ_ERROR_PROTOCOL, _("already logged in or logging in"));
      return 0;
    }
  if (!password_usable (self, password))
    return 0;
  ref = cz_client_start_request (self, "login");
  if (ref == 0)
    return 0;
  cbind = cz_tls_channel_binding (cz_channel_get_session (self->channel), &error);
  if (cbind == NULL)
    {
      cz_client_end_request (self, ref);
      cz_client_emit_error (self, ref, error);
      return 0;
    }
  self->scram = cz_scram_client_new (user, password, cbind, NULL);
  cz_client_password_check (password, self->auth_check);
  key = cache_key (self, user);
  g_mutex_lock (&cache_lock);
  {
    CachedKey *k = cache ? g_hash_table_lookup (cache, key) : NULL;
    if (k && cz_memeq_ct (k->check, self->auth_check, 32))
      cz_scram_client_set_salted_password (self->scram, g_bytes_get_data (k->salt, NULL),
                                           g_bytes_get_size (k->salt), k->iterations, k->salted);
  }
  g_mutex_unlock (&cache_lock);
  self->auth_ref = ref;
  g_free (self->auth_user);
  self->auth_user = g_strdup (user);
  first = cz_scram_client_first (self->scram);
  cz_client_send_msg (self, cz_message_new ("auth-start",
                                  "ref", g_variant_new_uint32 (ref),
                                  "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                  "message", g_variant_new_string (first),
                                  /* presence as one frame per batch */
                                  "features", g_variant_new_strv (features, -1),
                                  NULL));
  return ref;
}

