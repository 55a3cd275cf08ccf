/* cz-message.c: the (sa{sv}) message codec: decoding and reading fields
 * (building and encoding: cz-message-build.c).
 *
 * Decoding trusts
 * nothing: GLib checks the framing (g_variant_is_normal_form, which also
 * refuses strings that are not NUL-terminated UTF-8), then we walk the value
 * once more for our own rules: a non-empty kind,
 * no duplicate keys in any dictionary, and at most CZ_MESSAGE_MAX_DEPTH
 * levels of containers inside a field. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-message.h"
#include "cz-message-private.h"
#include "cz-error.h"
#include "cz-util.h"

/* Deepest container nesting allowed inside a field value: a field's value
 * is level 1, each array, dictionary entry, tuple, maybe or variant inside
 * it adds one.  `history {messages: aa{sv}}` needs 4. */
#define CZ_MESSAGE_MAX_DEPTH 8

/* Dictionaries up to this size are checked for duplicates pairwise. */
#define SMALL_DICT 16

/* Names the field being validated, for error messages. */
static const char *
where (const char *field)
{
  return field != NULL ? field : "?";
}

static gboolean
too_deep (const char *field, GError **error)
{
  g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
               _("Field “%s” is nested too deeply (more than %d levels)"),
               where (field), CZ_MESSAGE_MAX_DEPTH);
  return FALSE;
}

/* Container levels within the type itself (a variant's content, unknown
 * here, counts as 0: it is checked when visited). */
static guint
type_depth (const GVariantType *type)
{
  const GVariantType *item;
  guint deepest = 0;

  if (g_variant_type_is_basic (type) || g_variant_type_is_variant (type))
    return 0;
  if (g_variant_type_is_array (type) || g_variant_type_is_maybe (type))
    return 1 + type_depth (g_variant_type_element (type));
  for (item = g_variant_type_first (type); item != NULL; item = g_variant_type_next (item))
    deepest = MAX (deepest, type_depth (item));
  return 1 + deepest;
}

/* Whether values of @type must be visited: they may hold dictionaries
 * (duplicate keys) or variants (unknown content). */
static gboolean
type_needs_walk (const GVariantType *type)
{
  const char *sig = g_variant_type_peek_string (type);
  gsize i, len = g_variant_type_get_string_length (type);

  for (i = 0; i < len; i++)
    if (sig[i] == 'v' || sig[i] == '{')
      return TRUE;
  return FALSE;
}

/* No two of the @n keys of a dictionary inside field @field are equal. */
static gboolean
check_duplicates (GVariant *const *keys, gsize n, const char *field, GError **error)
{
  g_autoptr(GHashTable) seen = NULL;
  gsize i, j;

  if (n > SMALL_DICT)
    seen = g_hash_table_new (g_variant_hash, g_variant_equal);

  for (i = 0; i < n; i++)
    {
      gboolean dup = FALSE;

      if (seen != NULL)
        dup = !g_hash_table_add (seen, keys[i]);
      else
        for (j = 0; j < i && !dup; j++)
          dup = g_variant_equal (keys[i], keys[j]);
      if (!dup)
        continue;

      if (!g_variant_is_of_type (keys[i], G_VARIANT_TYPE_STRING))
        g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                     _("Duplicate key in field “%s”"), where (field));
      else
        g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                     _("Duplicate key “%s” in field “%s”"),
                     g_variant_get_string (keys[i], NULL), field);
      return FALSE;
    }
  return TRUE;
}

static gboolean validate_value (GVariant *value, const char *field, guint depth, GError **error);

/* Visits a dictionary inside field @field (at @depth; its entries are one
 * level deeper and their keys and values two) and checks its keys are
 * distinct. */
static gboolean
validate_dict (GVariant *dict, const char *field, guint depth, GError **error)
{
  gsize n = g_variant_n_children (dict), i;
  GVariant *small[SMALL_DICT];
  GVariant **keys = n <= SMALL_DICT ? small : g_new (GVariant *, n);
  gsize n_keys = 0;
  gboolean ok = FALSE;

  for (i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (dict, i);
      g_autoptr(GVariant) value = g_variant_get_child_value (entry, 1);
      GVariant *key = g_variant_get_child_value (entry, 0);

      keys[n_keys++] = key;
      if (!validate_value (key, field, depth + 2, error)
          || !validate_value (value, field, depth + 2, error))
        goto out;
    }
  ok = check_duplicates (keys, n_keys, field, error);

out:
  for (i = 0; i < n_keys; i++)
    g_variant_unref (keys[i]);
  if (keys != small)
    g_free (keys);
  return ok;
}

static gboolean
validate_value (GVariant *value, const char *field, guint depth, GError **error)
{
  const GVariantType *type = g_variant_get_type (value);
  gsize i, n;

  if (depth + type_depth (type) > CZ_MESSAGE_MAX_DEPTH)
    return too_deep (field, error);

  /* Strings were checked with the framing (UTF-8, NUL); numbers, byte
   * strings, arrays of integers...: nothing more to check. */
  if (g_variant_type_is_basic (type))
    return TRUE;
  if (!type_needs_walk (type))
    return TRUE;

  if (g_variant_type_is_array (type)
      && g_variant_type_is_dict_entry (g_variant_type_element (type)))
    return validate_dict (value, field, depth, error);

  n = g_variant_n_children (value);
  for (i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      if (!validate_value (child, field, depth + 1, error))
        return FALSE;
    }
  return TRUE;
}

/* No two of the message's @n field names are equal. */
static gboolean
check_field_names (const char *const *names, gsize n, GError **error)
{
  g_autoptr(GHashTable) seen = n > SMALL_DICT ? g_hash_table_new (g_str_hash, g_str_equal) : NULL;

  for (gsize i = 0; i < n; i++)
    {
      gboolean dup = FALSE;

      if (seen != NULL)
        dup = !g_hash_table_add (seen, (gpointer) names[i]);
      else
        for (gsize j = 0; j < i && !dup; j++)
          dup = strcmp (names[i], names[j]) == 0;
      if (dup)
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME, _("Duplicate field “%s”"), names[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- The fields of the last message decoded -------------------------------
 *
 * Reading a field of a serialized GVariant walks offset tables and
 * allocates at every level, and decoding already walked every field once to
 * validate it.  So each thread remembers what its last decode took out: the
 * message (a reference, so the pointer cannot be reused while remembered),
 * its kind and its fields' names and values.  Lookups on that message (the
 * handler of a message runs right after its decode) read the table;
 * anything else takes the general path. */

typedef struct {
  GVariant *message;
  const char *kind;
  GPtrArray *names;            /* const char *, into the message's data */
  GPtrArray *values;           /* GVariant *, the fields' contents */
} Decoded;

static void
decoded_clear (Decoded *d)
{
  g_clear_pointer (&d->message, g_variant_unref);
  d->kind = NULL;
  g_ptr_array_set_size (d->names, 0);
  g_ptr_array_set_size (d->values, 0);
}

static void
decoded_free (gpointer data)
{
  Decoded *d = data;

  decoded_clear (d);
  g_ptr_array_unref (d->names);
  g_ptr_array_unref (d->values);
  g_free (d);
}

static GPrivate decoded_key = G_PRIVATE_INIT (decoded_free);

static Decoded *
decoded_get (void)
{
  Decoded *d = g_private_get (&decoded_key);

  if (d == NULL)
    {
      d = g_new0 (Decoded, 1);
      d->names = g_ptr_array_new ();
      d->values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
      g_private_set (&decoded_key, d);
    }
  return d;
}

/* The table of @message if it is the last one decoded on this thread. */
static Decoded *
decoded_lookup (GVariant *message)
{
  Decoded *d = g_private_get (&decoded_key);

  return d != NULL && d->message == message ? d : NULL;
}

/* Validates the message's own fields (the top-level a{sv}) and fills this
 * thread's table with them. */
static gboolean
validate_message (GVariant *message, GError **error)
{
  g_autoptr(GVariant) kind = g_variant_get_child_value (message, 0);
  g_autoptr(GVariant) fields = g_variant_get_child_value (message, 1);
  gsize n = g_variant_n_children (fields), kind_len;
  Decoded *d = decoded_get ();

  decoded_clear (d);
  d->kind = g_variant_get_string (kind, &kind_len);
  if (kind_len == 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                           _("The message kind is empty"));
      goto fail;
    }

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (fields, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);
      GVariant *value = g_variant_get_variant (boxed);
      /* Points into the message's buffer, like every serialized child. */
      const char *name = g_variant_get_string (key, NULL);

      g_ptr_array_add (d->names, (gpointer) name);
      g_ptr_array_add (d->values, value);
      /* The field's own v is level 0: its content is level 1. */
      if (!g_variant_type_is_basic (g_variant_get_type (value))
          && !validate_value (value, name, 1, error))
        goto fail;
    }
  if (!check_field_names ((const char *const *) d->names->pdata, n, error))
    goto fail;

  d->message = g_variant_ref (message);
  return TRUE;

fail:
  decoded_clear (d);
  return FALSE;
}

/* A decoded message's own copy of its plaintext, wiped when the last value
 * that points into it is gone (as the channel wipes its buffers): SCRAM
 * proofs and keys pass through here. */
typedef struct {
  gsize len;
  guint8 data[];
} Plaintext;

static void
plaintext_free (gpointer data)
{
  Plaintext *p = data;

  cz_memwipe (p->data, p->len);
  g_free (p);
}

GVariant *
cz_message_decode (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) message = NULL;
  Plaintext *copy;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cz_message_keep_types ();
  copy = g_malloc (sizeof (Plaintext) + len);
  copy->len = len;
  if (len > 0)
    memcpy (copy->data, data, len);
  bytes = g_bytes_new_with_free_func (copy->data, len, plaintext_free, copy);
  message = g_variant_ref_sink (g_variant_new_from_bytes (CZ_MESSAGE_TYPE, bytes, FALSE));
  if (!g_variant_is_normal_form (message))
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                           _("Malformed message: not a normal-form (sa{sv}) value "
                             "with valid UTF-8 strings"));
      return NULL;
    }
#if G_BYTE_ORDER == G_BIG_ENDIAN
  {
    GVariant *swapped = g_variant_byteswap (message);

    g_variant_unref (message);
    message = swapped;
  }
#endif

  if (!validate_message (message, error))
    return NULL;
  return g_steal_pointer (&message);
}

const char *
cz_message_kind (GVariant *message)
{
  g_autoptr(GVariant) kind = NULL;
  Decoded *d;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (message, CZ_MESSAGE_TYPE), NULL);

  if ((d = decoded_lookup (message)) != NULL)
    return d->kind;
  /* Points into @message's data (serialized) or into the child it holds
   * (tree form): valid as long as @message. */
  kind = g_variant_get_child_value (message, 0);
  return g_variant_get_string (kind, NULL);
}

void
cz_message_lookup_fields (GVariant *message, CzMessageField *fields, gsize n)
{
  g_autoptr(GVariant) dict = NULL;
  gsize n_entries, found = 0;
  Decoded *d;

  g_return_if_fail (message != NULL);
  g_return_if_fail (g_variant_is_of_type (message, CZ_MESSAGE_TYPE));
  g_return_if_fail (fields != NULL || n == 0);

  for (gsize j = 0; j < n; j++)
    fields[j].value = NULL;

  if ((d = decoded_lookup (message)) != NULL)
    {
      for (gsize j = 0; j < n; j++)
        for (guint i = 0; i < d->names->len; i++)
          if (strcmp (fields[j].key, d->names->pdata[i]) == 0)
            {
              GVariant *value = d->values->pdata[i];

              if (fields[j].type == NULL || g_variant_is_of_type (value, fields[j].type))
                fields[j].value = g_variant_ref (value);
              break;
            }
      return;
    }

  /* One pass over the entries for all the fields asked for. */
  dict = g_variant_get_child_value (message, 1);
  n_entries = g_variant_n_children (dict);
  for (gsize i = 0; i < n_entries && found < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (dict, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
      const char *name = g_variant_get_string (key, NULL);
      g_autoptr(GVariant) value = NULL;

      /* Keys are unique: each entry answers every field that names it
       * (a wrong type stays wrong). */
      for (gsize j = 0; j < n; j++)
        {
          if (strcmp (fields[j].key, name) != 0)
            continue;
          if (value == NULL)
            {
              g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);
              value = g_variant_get_variant (boxed);
            }
          if (fields[j].type == NULL || g_variant_is_of_type (value, fields[j].type))
            fields[j].value = g_variant_ref (value);
          found++;
        }
    }
}

void
cz_message_forget (GVariant *message)
{
  Decoded *d;

  g_return_if_fail (message != NULL);

  if ((d = decoded_lookup (message)) != NULL)
    decoded_clear (d);
}

void
cz_message_fields_clear (CzMessageField *fields, gsize n)
{
  for (gsize j = 0; j < n; j++)
    g_clear_pointer (&fields[j].value, g_variant_unref);
}

GVariant *
cz_message_lookup (GVariant *message, const char *key, const GVariantType *type)
{
  CzMessageField field = { key, type, NULL };

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (message, CZ_MESSAGE_TYPE), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  cz_message_lookup_fields (message, &field, 1);
  return field.value;
}

/* How an error names a field's expected type. */
static const char *
type_description (const GVariantType *type)
{
  if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
    return _("a string");
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
    return _("an unsigned 32-bit integer (u)");
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT64))
    return _("a 64-bit integer (x)");
  if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
    return _("a boolean");
  if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
    return _("a byte array (ay)");
  return g_variant_type_peek_string (type);
}

static void
set_field_error (GError **error, const char *key, const GVariantType *type)
{
  g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
               /* TRANSLATORS: the second %s is a type: "a string"... */
               _("Field “%s” is missing or not %s"), key, type_description (type));
}

gboolean
cz_message_require_fields (GVariant *message, CzMessageField *fields, gsize n, GError **error)
{
  cz_message_lookup_fields (message, fields, n);
  for (gsize j = 0; j < n; j++)
    if (fields[j].value == NULL)
      {
        set_field_error (error, fields[j].key, fields[j].type);
        cz_message_fields_clear (fields, n);
        return FALSE;
      }
  return TRUE;
}

/* The value of a required field, or NULL with an error naming it. */
static GVariant *
require (GVariant *message, const char *key, const GVariantType *type, GError **error)
{
  GVariant *value = cz_message_lookup (message, key, type);

  if (value == NULL)
    set_field_error (error, key, type);
  return value;
}

gboolean
cz_message_get_string (GVariant *message, const char *key, const char **out, GError **error)
{
  g_autoptr(GVariant) value = require (message, key, G_VARIANT_TYPE_STRING, error);

  if (value == NULL)
    return FALSE;
  /* Points into @message's data (serialized) or into the child it holds
   * (tree form): valid as long as @message. */
  *out = g_variant_get_string (value, NULL);
  return TRUE;
}

gboolean
cz_message_get_uint32 (GVariant *message, const char *key, guint32 *out, GError **error)
{
  g_autoptr(GVariant) value = require (message, key, G_VARIANT_TYPE_UINT32, error);

  if (value == NULL)
    return FALSE;
  *out = g_variant_get_uint32 (value);
  return TRUE;
}

gboolean
cz_message_get_int64 (GVariant *message, const char *key, gint64 *out, GError **error)
{
  g_autoptr(GVariant) value = require (message, key, G_VARIANT_TYPE_INT64, error);

  if (value == NULL)
    return FALSE;
  *out = g_variant_get_int64 (value);
  return TRUE;
}

gboolean
cz_message_get_boolean (GVariant *message, const char *key, gboolean *out, GError **error)
{
  g_autoptr(GVariant) value = require (message, key, G_VARIANT_TYPE_BOOLEAN, error);

  if (value == NULL)
    return FALSE;
  *out = g_variant_get_boolean (value);
  return TRUE;
}

gboolean
cz_message_get_bytes (GVariant *message, const char *key, GBytes **out, GError **error)
{
  g_autoptr(GVariant) value = require (message, key, G_VARIANT_TYPE_BYTESTRING, error);

  if (value == NULL)
    return FALSE;
  *out = g_variant_get_data_as_bytes (value);
  return TRUE;
}

guint32
cz_message_opt_uint32 (GVariant *message, const char *key, guint32 def)
{
  g_autoptr(GVariant) value = cz_message_lookup (message, key, G_VARIANT_TYPE_UINT32);

  return value != NULL ? g_variant_get_uint32 (value) : def;
}

const char *
cz_message_opt_string (GVariant *message, const char *key, const char *def)
{
  g_autoptr(GVariant) value = cz_message_lookup (message, key, G_VARIANT_TYPE_STRING);

  return value != NULL ? g_variant_get_string (value, NULL) : def;
}

guint32
cz_message_ref (GVariant *message)
{
  return cz_message_opt_uint32 (message, "ref", 0);
}
