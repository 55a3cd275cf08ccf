#include "config.h"

#include "cz-scram.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>

#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-util.h"

/* RFC 5802 §7: a message is a list of attr=value pairs separated by ','.
 * The attributes defined by the RFC may only appear where the grammar puts
 * them; unknown ones (extensions) are ignored where the grammar allows. */
#define RFC_ATTRS "amnrcspiev"
#define MAX_ATTRS 16
#define MAX_NONCE_LEN 256
#define CLIENT_NONCE_BYTES 24
#define SERVER_NONCE_BYTES 18

typedef struct {
  GStrv parts;         /* "x=value" each */
  guint n;
} AttrList;

#define ATTR_NAME(list, i) ((list)->parts[i][0])
#define ATTR_VALUE(list, i) ((const char *) (list)->parts[i] + 2)

static void
attr_list_clear (AttrList *list)
{
  g_clear_pointer (&list->parts, g_strfreev);
  list->n = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AttrList, attr_list_clear)

static gboolean
bad_frame (GError **error, const char *what, const char *detail)
{
  g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME, _("SCRAM %s: %s"), what, detail);
  return FALSE;
}

static gboolean
auth_failed (GError **error, const char *detail)
{
  if (detail == NULL)
    g_set_error_literal (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED, _("authentication failed"));
  else
    g_set_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED, _("authentication failed: %s"), detail);
  return FALSE;
}

static gboolean
attr_list_parse (AttrList *list, const char *msg, const char *what, GError **error)
{
  if (msg == NULL || *msg == '\0')
    return bad_frame (error, what, _("empty message"));
  if (!g_utf8_validate (msg, -1, NULL))
    return bad_frame (error, what, _("not valid UTF-8"));

  list->parts = g_strsplit (msg, ",", MAX_ATTRS + 1);
  list->n = g_strv_length (list->parts);
  if (list->n > MAX_ATTRS)
    return bad_frame (error, what, _("too many attributes"));
  for (guint i = 0; i < list->n; i++)
    {
      const char *p = list->parts[i];

      if (!g_ascii_isalpha (p[0]) || p[1] != '=' || p[2] == '\0')
        return bad_frame (error, what, _("malformed attribute"));
      for (guint j = 0; j < i; j++)
        if (ATTR_NAME (list, j) == p[0])
          return bad_frame (error, what, _("duplicate attribute"));
    }

  return TRUE;
}

/* @mandatory: the attributes the grammar puts at the head, in order.  The
 * attributes after them, except the last @tail ones, are extensions: an
 * attribute defined by RFC 5802 there is an error. */
static gboolean
attr_list_check (const AttrList *list, const char *mandatory, guint tail,
                 const char *what, GError **error)
{
  guint n_mandatory = strlen (mandatory);

  if (list->n > 0 && ATTR_NAME (list, 0) == 'm')
    return bad_frame (error, what, _("unsupported mandatory extension"));
  if (list->n < n_mandatory + tail)
    return bad_frame (error, what, _("missing attribute"));
  for (guint i = 0; i < n_mandatory; i++)
    if (ATTR_NAME (list, i) != mandatory[i])
      return bad_frame (error, what, _("missing or misplaced attribute"));
  for (guint i = n_mandatory; i < list->n - tail; i++)
    if (strchr (RFC_ATTRS, ATTR_NAME (list, i)) != NULL)
      return bad_frame (error, what, _("unexpected attribute"));

  return TRUE;
}

/* Strict base64: only the alphabet, padded, canonical (decode + re-encode
 * gives the same text).  @expect_len 0 = any non-empty length. */
static GBytes *
b64_decode_strict (const char *s, gsize expect_len, const char *what,
                   GError **error)
{
  gsize len = strlen (s);
  gsize out_len = 0;
  g_autofree guchar *out = NULL;
  g_autofree char *again = NULL;

  if (len == 0 || len % 4 != 0 ||
      strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789+/=") != len)
    {
      bad_frame (error, what, _("invalid base64"));
      return NULL;
    }

  out = g_base64_decode (s, &out_len);
  again = g_base64_encode (out, out_len);
  if (out_len == 0 || strcmp (again, s) != 0)
    {
      bad_frame (error, what, _("invalid base64"));
      return NULL;
    }
  if (expect_len != 0 && out_len != expect_len)
    {
      bad_frame (error, what, _("value has the wrong length"));
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&out), out_len);
}

/* printable = %x21-2B / %x2D-7E */
static gboolean
nonce_valid (const char *nonce)
{
  gsize len = 0;

  for (const char *p = nonce; *p != '\0'; p++, len++)
    if (*p < 0x21 || *p > 0x7e || *p == ',')
      return FALSE;

  return len > 0 && len <= MAX_NONCE_LEN;
}

/* posit-number = %x31-39 *DIGIT, then the sane range. */
static gboolean
parse_iterations (const char *s, guint *out, const char *what, GError **error)
{
  gsize len = strlen (s);
  guint64 v;

  if (len == 0 || len > 9 || s[0] < '1' || s[0] > '9' ||
      strspn (s, "0123456789") != len)
    return bad_frame (error, what, _("malformed iteration count"));

  v = g_ascii_strtoull (s, NULL, 10);
  if (v < CZ_SCRAM_MIN_ITERATIONS || v > CZ_SCRAM_MAX_ITERATIONS)
    return bad_frame (error, what, _("iteration count out of range"));

  *out = (guint) v;
  return TRUE;
}

/* saslname: ',' and '=' are sent as "=2C" and "=3D". */
static char *
saslname_encode (const char *name)
{
  GString *out = g_string_new (name);

  g_string_replace (out, "=", "=3D", 0);
  g_string_replace (out, ",", "=2C", 0);
  return g_string_free (out, FALSE);
}

static char *
saslname_decode (const char *s, const char *what, GError **error)
{
  GString *out;

  for (const char *p = strchr (s, '='); p != NULL; p = strchr (p + 1, '='))
    if (strncmp (p, "=2C", 3) != 0 && strncmp (p, "=3D", 3) != 0)
      {
        bad_frame (error, what, _("malformed user name"));
        return NULL;
      }

  out = g_string_new (s);
  g_string_replace (out, "=2C", ",", 0);
  g_string_replace (out, "=3D", "=", 0);
  return g_string_free (out, FALSE);
}

static char *
random_nonce (gsize n_bytes)
{
  guint8 buf[32];

  g_assert (n_bytes <= sizeof buf);
  cz_random_bytes (buf, n_bytes);
  return cz_base64_encode (buf, n_bytes);
}

/* c= value: base64 (gs2-header || cbind-data). */
static char *
channel_binding_b64 (const char *gs2_header, GBytes *cbind)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();

  g_byte_array_append (buf, (const guint8 *) gs2_header, strlen (gs2_header));
  if (cbind != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (cbind, &len);

      g_byte_array_append (buf, data, len);
    }

  return cz_base64_encode (buf->data, buf->len);
}

char *
cz_scram_prepare_password (const char *password, GError **error)
{
  gnutls_datum_t out = { NULL, 0 };
  char *prepared;
  int ret;

  g_return_val_if_fail (password != NULL, NULL);

  ret = gnutls_utf8_password_normalize ((const unsigned char *) password, strlen (password),
                                        &out, 0);
  if (ret < 0 || out.data == NULL || out.size == 0)
    {
      if (out.data)
        {
          cz_memwipe (out.data, out.size);
          gnutls_free (out.data);
        }
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("this password cannot be used: it must be valid UTF-8, not empty, "
                     "and have no control characters or unassigned code points "
                     "(RFC 8265 OpaqueString)"));
      return NULL;
    }
  prepared = g_strndup ((const char *) out.data, out.size);
  cz_memwipe (out.data, out.size);
  gnutls_free (out.data);
  return prepared;
}

void
cz_scram_salted_password (const char *password, const guint8 *salt,
                          gsize salt_len, guint iterations, guint8 out[32])
{
  g_return_if_fail (password != NULL && salt != NULL && iterations > 0);

  cz_pbkdf2_sha256 (password, strlen (password), salt, salt_len, iterations,
                    out, CZ_SCRAM_KEY_SIZE);
}

static void
client_key_from_salted (const guint8 salted[32], guint8 client_key[32])
{
  cz_hmac_sha256 (salted, CZ_SCRAM_KEY_SIZE, "Client Key", 10, client_key);
}

void
cz_scram_keys_from_salted (const guint8 salted[32], guint8 stored_key[32],
                           guint8 server_key[32])
{
  guint8 client_key[CZ_SCRAM_KEY_SIZE];

  client_key_from_salted (salted, client_key);
  cz_sha256 (client_key, sizeof client_key, stored_key);
  cz_hmac_sha256 (salted, CZ_SCRAM_KEY_SIZE, "Server Key", 10, server_key);
  cz_memwipe (client_key, sizeof client_key);
}

GBytes *
cz_scram_new_salt (void)
{
  guint8 *salt = g_malloc (CZ_SCRAM_SALT_SIZE);

  cz_random_bytes (salt, CZ_SCRAM_SALT_SIZE);
  return g_bytes_new_take (salt, CZ_SCRAM_SALT_SIZE);
}

void
cz_scram_credentials_clear (CzScramCredentials *c)
{
  if (c == NULL)
    return;

  g_clear_pointer (&c->salt, g_bytes_unref);
  c->iterations = 0;
  cz_memwipe (c->stored_key, sizeof c->stored_key);
  cz_memwipe (c->server_key, sizeof c->server_key);
}

gboolean
cz_scram_credentials_from_password (CzScramCredentials *out,
                                    const char *password, GBytes *salt,
                                    guint iterations, GError **error)
{
  guint8 salted[CZ_SCRAM_KEY_SIZE];
  gsize salt_len;
  const guint8 *salt_data;
  char *prepared;

  g_return_val_if_fail (out != NULL && password != NULL && salt != NULL, FALSE);

  cz_scram_credentials_clear (out);
  prepared = cz_scram_prepare_password (password, error);
  if (prepared == NULL)
    return FALSE;
  salt_data = g_bytes_get_data (salt, &salt_len);
  cz_scram_salted_password (prepared, salt_data, salt_len, iterations, salted);
  cz_str_wipe_free (prepared);
  cz_scram_keys_from_salted (salted, out->stored_key, out->server_key);
  out->salt = g_bytes_ref (salt);
  out->iterations = iterations;
  cz_memwipe (salted, sizeof salted);
  return TRUE;
}

/* ---- Client ---------------------------------------------------------- */

typedef enum {
  STEP_START,
  STEP_FIRST_DONE,
  STEP_FINAL_DONE,
  STEP_SUCCEEDED,
  STEP_FAILED,
} Step;

/* Each message is accepted once, in order; a failure is final. */
static gboolean
advance_step (Step *step, Step expected, GError **error)
{
  gboolean ok = *step == expected;

  *step = STEP_FAILED;
  if (!ok)
    g_set_error_literal (error, CZ_ERROR, CZ_ERROR_PROTOCOL, _("SCRAM message out of sequence"));
  return ok;
}

struct _CzScramClient {
  Step step;
  char *user;
  char *password;      /* prepared (RFC 8265); NULL if it cannot be */
  GError *password_error;
  GBytes *cbind;
  char *nonce;
  char *gs2_header;
  char *first_bare;

  GBytes *salt;
  guint iterations;
  guint8 salted[CZ_SCRAM_KEY_SIZE];
  gboolean have_salted;

  GBytes *cached_salt;
  guint cached_iterations;
  guint8 cached_salted[CZ_SCRAM_KEY_SIZE];

  guint8 server_signature[CZ_SCRAM_KEY_SIZE];
};

CzScramClient *
cz_scram_client_new (const char *user, const char *password, GBytes *cbind,
                     const char *nonce)
{
  CzScramClient *c;

  g_return_val_if_fail (user != NULL && password != NULL, NULL);
  g_return_val_if_fail (nonce == NULL || nonce_valid (nonce), NULL);

  c = g_new0 (CzScramClient, 1);
  c->user = g_strdup (user);
  c->password = cz_scram_prepare_password (password, &c->password_error);
  c->cbind = cbind != NULL ? g_bytes_ref (cbind) : NULL;
  c->nonce = nonce != NULL ? g_strdup (nonce) : random_nonce (CLIENT_NONCE_BYTES);
  c->gs2_header = g_strdup (cbind != NULL ? "p=" CZ_SCRAM_CB_NAME ",," : "n,,");

  return c;
}

void
cz_scram_client_set_salted_password (CzScramClient *c, const guint8 *salt,
                                     gsize salt_len, guint iterations,
                                     const guint8 salted[32])
{
  g_return_if_fail (c != NULL && salt != NULL && salted != NULL);

  g_clear_pointer (&c->cached_salt, g_bytes_unref);
  c->cached_salt = g_bytes_new (salt, salt_len);
  c->cached_iterations = iterations;
  memcpy (c->cached_salted, salted, CZ_SCRAM_KEY_SIZE);
}

char *
cz_scram_client_first (CzScramClient *c)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (c != NULL && c->step == STEP_START, NULL);

  name = saslname_encode (c->user);
  c->first_bare = g_strdup_printf ("n=%s,r=%s", name, c->nonce);
  c->step = STEP_FIRST_DONE;

  return g_strconcat (c->gs2_header, c->first_bare, NULL);
}

char *
cz_scram_client_final (CzScramClient *c, const char *server_first,
                       GError **error)
{
  const char *what = "server-first-message";
  g_auto(AttrList) list = { 0 };
  g_autoptr(GBytes) salt = NULL;
  g_autofree char *cb = NULL;
  g_autofree char *without_proof = NULL;
  g_autofree char *auth_message = NULL;
  g_autofree char *proof_b64 = NULL;
  const char *nonce;
  guint iterations = 0;
  guint8 client_key[CZ_SCRAM_KEY_SIZE];
  guint8 stored_key[CZ_SCRAM_KEY_SIZE];
  guint8 signature[CZ_SCRAM_KEY_SIZE];
  guint8 server_key[CZ_SCRAM_KEY_SIZE];

  g_return_val_if_fail (c != NULL && server_first != NULL, NULL);

  if (!advance_step (&c->step, STEP_FIRST_DONE, error))
    return NULL;
  if (c->password == NULL)
    {
      g_propagate_error (error, g_error_copy (c->password_error));
      return NULL;
    }

  if (!attr_list_parse (&list, server_first, what, error) ||
      !attr_list_check (&list, "rsi", 0, what, error))
    return NULL;

  nonce = ATTR_VALUE (&list, 0);
  if (!nonce_valid (nonce))
    {
      bad_frame (error, what, _("malformed nonce"));
      return NULL;
    }
  if (!g_str_has_prefix (nonce, c->nonce) || strlen (nonce) <= strlen (c->nonce))
    {
      auth_failed (error, _("the server changed the nonce"));
      return NULL;
    }
  salt = b64_decode_strict (ATTR_VALUE (&list, 1), 0, what, error);
  if (salt == NULL || !parse_iterations (ATTR_VALUE (&list, 2), &iterations, what, error))
    return NULL;

  if (c->cached_salt != NULL && c->cached_iterations == iterations &&
      g_bytes_equal (c->cached_salt, salt))
    {
      memcpy (c->salted, c->cached_salted, CZ_SCRAM_KEY_SIZE);
    }
  else
    {
      gsize salt_len;
      const guint8 *salt_data = g_bytes_get_data (salt, &salt_len);

      cz_scram_salted_password (c->password, salt_data, salt_len, iterations,
                                c->salted);
    }
  c->have_salted = TRUE;
  c->salt = g_bytes_ref (salt);
  c->iterations = iterations;

  cb = channel_binding_b64 (c->gs2_header, c->cbind);
  without_proof = g_strdup_printf ("c=%s,r=%s", cb, nonce);
  auth_message = g_strjoin (",", c->first_bare, server_first, without_proof, NULL);

  client_key_from_salted (c->salted, client_key);
  cz_sha256 (client_key, sizeof client_key, stored_key);
  cz_hmac_sha256 (stored_key, sizeof stored_key, auth_message,
                  strlen (auth_message), signature);
  for (guint i = 0; i < CZ_SCRAM_KEY_SIZE; i++)
    client_key[i] ^= signature[i];        /* now ClientProof */
  proof_b64 = cz_base64_encode (client_key, sizeof client_key);

  cz_scram_keys_from_salted (c->salted, stored_key, server_key);
  cz_hmac_sha256 (server_key, sizeof server_key, auth_message,
                  strlen (auth_message), c->server_signature);

  cz_memwipe (client_key, sizeof client_key);
  cz_memwipe (stored_key, sizeof stored_key);
  cz_memwipe (server_key, sizeof server_key);
  c->step = STEP_FINAL_DONE;

  return g_strdup_printf ("%s,p=%s", without_proof, proof_b64);
}

gboolean
cz_scram_client_get_salted (CzScramClient *c, GBytes **salt, guint *iterations,
                            guint8 salted[32])
{
  g_return_val_if_fail (c != NULL, FALSE);

  if (!c->have_salted)
    return FALSE;
  if (salt != NULL)
    *salt = g_bytes_ref (c->salt);
  if (iterations != NULL)
    *iterations = c->iterations;
  if (salted != NULL)
    memcpy (salted, c->salted, CZ_SCRAM_KEY_SIZE);

  return TRUE;
}

gboolean
cz_scram_client_verify_server (CzScramClient *c, const char *server_final,
                               GError **error)
{
  const char *what = "server-final-message";
  g_auto(AttrList) list = { 0 };
  g_autoptr(GBytes) signature = NULL;

  g_return_val_if_fail (c != NULL && server_final != NULL, FALSE);

  if (!advance_step (&c->step, STEP_FINAL_DONE, error))
    return FALSE;

  if (!attr_list_parse (&list, server_final, what, error))
    return FALSE;
  if (ATTR_NAME (&list, 0) == 'e')
    {
      if (!attr_list_check (&list, "e", 0, what, error))
        return FALSE;
      return auth_failed (error, ATTR_VALUE (&list, 0));
    }
  if (!attr_list_check (&list, "v", 0, what, error))
    return FALSE;

  signature = b64_decode_strict (ATTR_VALUE (&list, 0), CZ_SCRAM_KEY_SIZE, what, error);
  if (signature == NULL)
    return FALSE;
  if (!cz_memeq_ct (g_bytes_get_data (signature, NULL), c->server_signature,
                    CZ_SCRAM_KEY_SIZE))
    return auth_failed (error, _("the server's signature is wrong"));

  c->step = STEP_SUCCEEDED;
  return TRUE;
}

void
cz_scram_client_free (CzScramClient *c)
{
  if (c == NULL)
    return;

  g_free (c->user);
  cz_str_wipe_free (c->password);
  g_clear_error (&c->password_error);
  g_clear_pointer (&c->cbind, g_bytes_unref);
  g_free (c->nonce);
  g_free (c->gs2_header);
  g_free (c->first_bare);
  g_clear_pointer (&c->salt, g_bytes_unref);
  g_clear_pointer (&c->cached_salt, g_bytes_unref);
  cz_memwipe (c, sizeof *c);
  g_free (c);
}

/* ---- Server ---------------------------------------------------------- */

struct _CzScramServer {
  Step step;
  GBytes *cbind;
  char *server_nonce;
  char *gs2_header;
  char *first_bare;
  char *client_nonce;
  char *user;
  char *nonce;          /* client nonce + server nonce */
  char *server_first;
  gboolean fake;
  guint8 stored_key[CZ_SCRAM_KEY_SIZE];
  guint8 server_key[CZ_SCRAM_KEY_SIZE];
};

CzScramServer *
cz_scram_server_new (GBytes *cbind, const char *nonce)
{
  CzScramServer *s;

  g_return_val_if_fail (nonce == NULL || nonce_valid (nonce), NULL);

  s = g_new0 (CzScramServer, 1);
  s->cbind = cbind != NULL ? g_bytes_ref (cbind) : NULL;
  s->server_nonce = nonce != NULL ? g_strdup (nonce) : random_nonce (SERVER_NONCE_BYTES);

  return s;
}

/* gs2-header = gs2-cbind-flag "," [ authzid ] ","
 * gs2-cbind-flag = ("p=" cb-name) / "n" / "y".  Returns the length of the
 * header, or 0 with @error set. */
static gsize
parse_gs2_header (const char *msg, char *flag, char **cb_name, GError **error)
{
  const char *what = "client-first-message";
  const char *p = msg;

  if (p[0] == 'p' && p[1] == '=')
    {
      gsize len = strspn (p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789.-");

      if (len == 0 || p[2 + len] != ',')
        return bad_frame (error, what, _("malformed channel binding name"));
      *flag = 'p';
      *cb_name = g_strndup (p + 2, len);
      p += 2 + len + 1;
    }
  else if ((p[0] == 'n' || p[0] == 'y') && p[1] == ',')
    {
      *flag = p[0];
      p += 2;
    }
  else
    return bad_frame (error, what, _("malformed GS2 header"));

  if (*p != ',')
    {
      if (p[0] == 'a' && p[1] == '=')
        return auth_failed (error, _("authorization identities are not supported"));
      return bad_frame (error, what, _("malformed GS2 header"));
    }

  return p + 1 - msg;
}

gboolean
cz_scram_server_parse_first (CzScramServer *s, const char *client_first,
                             char **user, GError **error)
{
  const char *what = "client-first-message";
  g_auto(AttrList) list = { 0 };
  g_autofree char *cb_name = NULL;
  g_autofree char *name = NULL;
  char flag = 0;
  gsize header_len;

  g_return_val_if_fail (s != NULL && client_first != NULL, FALSE);

  if (!advance_step (&s->step, STEP_START, error))
    return FALSE;

  if (!g_utf8_validate (client_first, -1, NULL))
    return bad_frame (error, what, _("not valid UTF-8"));
  header_len = parse_gs2_header (client_first, &flag, &cb_name, error);
  if (header_len == 0)
    return FALSE;

  if (!attr_list_parse (&list, client_first + header_len, what, error) ||
      !attr_list_check (&list, "nr", 0, what, error))
    return FALSE;
  name = saslname_decode (ATTR_VALUE (&list, 0), what, error);
  if (name == NULL)
    return FALSE;
  if (!nonce_valid (ATTR_VALUE (&list, 1)))
    return bad_frame (error, what, _("malformed nonce"));

  /* Downgrade protection: a server with channel binding accepts nothing
   * but tls-exporter ("y" means the client thinks we cannot do it). */
  if (s->cbind != NULL && (flag != 'p' || strcmp (cb_name, CZ_SCRAM_CB_NAME) != 0))
    return auth_failed (error, _("channel binding tls-exporter is required"));
  if (s->cbind == NULL && flag == 'p')
    return auth_failed (error, _("channel binding is not available"));

  s->gs2_header = g_strndup (client_first, header_len);
  s->first_bare = g_strdup (client_first + header_len);
  s->client_nonce = g_strdup (ATTR_VALUE (&list, 1));
  s->user = g_steal_pointer (&name);
  s->step = STEP_FIRST_DONE;
  if (user != NULL)
    *user = g_strdup (s->user);

  return TRUE;
}

char *
cz_scram_server_first (CzScramServer *s, const CzScramCredentials *creds,
                       const guint8 fake_secret[32], guint fake_iterations)
{
  g_autoptr(GBytes) salt = NULL;
  g_autofree char *salt_b64 = NULL;
  guint iterations;

  g_return_val_if_fail (s != NULL && s->step == STEP_FIRST_DONE, NULL);
  g_return_val_if_fail (creds != NULL || fake_secret != NULL, NULL);
  g_return_val_if_fail (creds == NULL || creds->salt != NULL, NULL);

  if (creds != NULL)
    {
      salt = g_bytes_ref (creds->salt);
      iterations = creds->iterations;
      memcpy (s->stored_key, creds->stored_key, CZ_SCRAM_KEY_SIZE);
      memcpy (s->server_key, creds->server_key, CZ_SCRAM_KEY_SIZE);
    }
  else
    {
      /* Same salt on every attempt for this name, so a prober cannot tell
       * a fake account from a real one by asking twice. */
      g_autofree char *label = g_strconcat ("causerie scram fake salt:", s->user, NULL);
      guint8 mac[CZ_SHA256_SIZE];

      cz_hmac_sha256 (fake_secret, 32, label, strlen (label), mac);
      salt = g_bytes_new (mac, CZ_SCRAM_SALT_SIZE);
      iterations = CLAMP (fake_iterations, CZ_SCRAM_MIN_ITERATIONS,
                          CZ_SCRAM_MAX_ITERATIONS);
      cz_random_bytes (s->stored_key, CZ_SCRAM_KEY_SIZE);
      cz_random_bytes (s->server_key, CZ_SCRAM_KEY_SIZE);
      s->fake = TRUE;
    }

  salt_b64 = cz_base64_encode (g_bytes_get_data (salt, NULL), g_bytes_get_size (salt));
  s->nonce = g_strconcat (s->client_nonce, s->server_nonce, NULL);
  s->server_first = g_strdup_printf ("r=%s,s=%s,i=%u", s->nonce, salt_b64, iterations);
  s->step = STEP_FINAL_DONE;

  return g_strdup (s->server_first);
}

char *
cz_scram_server_final (CzScramServer *s, const char *client_final,
                       GError **error)
{
  const char *what = "client-final-message";
  g_auto(AttrList) list = { 0 };
  g_autoptr(GBytes) proof = NULL;
  g_autofree char *expected_cb = NULL;
  g_autofree char *without_proof = NULL;
  g_autofree char *auth_message = NULL;
  g_autofree char *sig_b64 = NULL;
  const char *cb, *nonce, *proof_b64;
  const guint8 *proof_data;
  guint8 signature[CZ_SCRAM_KEY_SIZE];
  guint8 client_key[CZ_SCRAM_KEY_SIZE];
  guint8 hashed[CZ_SCRAM_KEY_SIZE];
  gboolean ok;

  g_return_val_if_fail (s != NULL && client_final != NULL, NULL);

  if (!advance_step (&s->step, STEP_FINAL_DONE, error))
    return NULL;

  /* client-final-message = channel-binding "," nonce ["," extensions]
   *                        "," proof */
  if (!attr_list_parse (&list, client_final, what, error) ||
      !attr_list_check (&list, "cr", 1, what, error))
    return NULL;
  if (ATTR_NAME (&list, list.n - 1) != 'p')
    {
      bad_frame (error, what, _("the proof must come last"));
      return NULL;
    }
  cb = ATTR_VALUE (&list, 0);
  nonce = ATTR_VALUE (&list, 1);
  proof_b64 = ATTR_VALUE (&list, list.n - 1);
  proof = b64_decode_strict (proof_b64, CZ_SCRAM_KEY_SIZE, what, error);
  if (proof == NULL)
    return NULL;
  proof_data = g_bytes_get_data (proof, NULL);

  without_proof = g_strndup (client_final,
                             strlen (client_final) - strlen (proof_b64) - 3);
  auth_message = g_strjoin (",", s->first_bare, s->server_first, without_proof, NULL);

  /* ClientKey = ClientProof XOR HMAC (StoredKey, AuthMessage);
   * it is right when SHA-256 (ClientKey) == StoredKey. */
  cz_hmac_sha256 (s->stored_key, CZ_SCRAM_KEY_SIZE, auth_message,
                  strlen (auth_message), signature);
  for (guint i = 0; i < CZ_SCRAM_KEY_SIZE; i++)
    client_key[i] = proof_data[i] ^ signature[i];
  cz_sha256 (client_key, sizeof client_key, hashed);
  ok = cz_memeq_ct (hashed, s->stored_key, CZ_SCRAM_KEY_SIZE);
  cz_memwipe (client_key, sizeof client_key);

  expected_cb = channel_binding_b64 (s->gs2_header, s->cbind);
  ok = ok && strlen (cb) == strlen (expected_cb) &&
       cz_memeq_ct (cb, expected_cb, strlen (cb));
  ok = ok && strcmp (nonce, s->nonce) == 0;
  ok = ok && !s->fake;
  if (!ok)
    {
      auth_failed (error, NULL);
      return NULL;
    }

  cz_hmac_sha256 (s->server_key, CZ_SCRAM_KEY_SIZE, auth_message,
                  strlen (auth_message), signature);
  sig_b64 = cz_base64_encode (signature, sizeof signature);
  s->step = STEP_SUCCEEDED;

  return g_strconcat ("v=", sig_b64, NULL);
}

const char *
cz_scram_server_get_user (CzScramServer *s)
{
  g_return_val_if_fail (s != NULL, NULL);

  return s->step == STEP_SUCCEEDED ? s->user : NULL;
}

void
cz_scram_server_free (CzScramServer *s)
{
  if (s == NULL)
    return;

  g_clear_pointer (&s->cbind, g_bytes_unref);
  g_free (s->server_nonce);
  g_free (s->gs2_header);
  g_free (s->first_bare);
  g_free (s->client_nonce);
  g_free (s->user);
  g_free (s->nonce);
  g_free (s->server_first);
  cz_memwipe (s, sizeof *s);
  g_free (s);
}
