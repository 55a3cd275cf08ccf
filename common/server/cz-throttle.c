/* cz-throttle.c: exponential backoff and temporary bans for failed logins. */
#include "config.h"

#include "cz-throttle.h"

typedef struct {
  guint failures;
  gint64 last_failure_us;
  gint64 blocked_until_us;
} Entry;

struct _CzThrottle {
  GHashTable *entries;   /* key → Entry */
};

CzThrottle *
cz_throttle_new (void)
{
  CzThrottle *self = g_new0 (CzThrottle, 1);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
cz_throttle_free (CzThrottle *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->entries);
  g_free (self);
}

static gboolean
forgotten (const Entry *e, gint64 now_us)
{
  return now_us >= e->blocked_until_us
         && now_us - e->last_failure_us >= (gint64) CZ_THROTTLE_FORGET * G_USEC_PER_SEC;
}

guint
cz_throttle_check (CzThrottle *self, const char *key, gint64 now_us)
{
  Entry *e = g_hash_table_lookup (self->entries, key);

  if (e == NULL || now_us >= e->blocked_until_us)
    return 0;
  /* Round up: "retry after 1 s" must really be enough. */
  return (guint) ((e->blocked_until_us - now_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

void
cz_throttle_failure (CzThrottle *self, const char *key, gint64 now_us)
{
  Entry *e = g_hash_table_lookup (self->entries, key);
  gint64 wait_s = 0;

  if (e && forgotten (e, now_us))
    e->failures = 0;
  if (e == NULL)
    {
      e = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_strdup (key), e);
    }
  e->failures++;
  e->last_failure_us = now_us;

  if (e->failures >= CZ_THROTTLE_BAN_AFTER)
    wait_s = CZ_THROTTLE_BAN;
  else if (e->failures > CZ_THROTTLE_FREE)
    wait_s = MIN ((gint64) 1 << MIN (e->failures - CZ_THROTTLE_FREE - 1, 30),
                  CZ_THROTTLE_MAX_BACKOFF);
  if (wait_s > 0)
    e->blocked_until_us = MAX (e->blocked_until_us, now_us + wait_s * G_USEC_PER_SEC);
}

void
cz_throttle_success (CzThrottle *self, const char *key)
{
  g_hash_table_remove (self->entries, key);
}

void
cz_throttle_expire (CzThrottle *self, gint64 now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (forgotten (value, now_us))
      g_hash_table_iter_remove (&iter);
}

guint
cz_throttle_size (CzThrottle *self)
{
  return g_hash_table_size (self->entries);
}
